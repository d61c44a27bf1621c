"""Payments over REST: merchant accounts, online orders, the provider's notify endpoint, bank
statements and their reconciliation queue, invoice requests and invoices."""

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from cloud.deps import CurrentActor, SessionDep
from cloud.documents.http import OPENAPI, document_response
from cloud.payments import invoices, reconciliation, service
from cloud.payments.schemas import (
    AccountCreate,
    AccountRead,
    ColumnMapping,
    InvoiceRead,
    InvoiceRequestCreate,
    InvoiceSellerData,
    LineDecision,
    LineRead,
    NotificationRead,
    OrderCreate,
    OrderRead,
    StatementImported,
)

router = APIRouter(tags=["payments"])
CREATED = status.HTTP_201_CREATED


@router.post("/payment-accounts", response_model=AccountRead, status_code=CREATED)
def create_payment_account(
    data: AccountCreate, session: SessionDep, actor: CurrentActor
) -> AccountRead:
    account = service.create_account(session=session, actor=actor, data=data)
    return AccountRead.model_validate(account, from_attributes=True)


@router.post("/payment-orders", response_model=OrderRead, status_code=CREATED)
def create_payment_order(data: OrderCreate, session: SessionDep, actor: CurrentActor) -> OrderRead:
    """Start an online payment; open `pay_url` on a phone, or show `qr_payload` as a QR code."""
    return OrderRead.of(service.create_order(session=session, actor=actor, data=data))


@router.get("/payment-orders", response_model=list[OrderRead])
def list_payment_orders(session: SessionDep, actor: CurrentActor) -> list[OrderRead]:
    return [OrderRead.of(o) for o in service.list_orders(session=session, actor=actor)]


@router.get("/payment-orders/{out_trade_no}", response_model=OrderRead)
def get_payment_order(out_trade_no: str, session: SessionDep, actor: CurrentActor) -> OrderRead:
    order = service.get_order(session=session, actor=actor, out_trade_no=out_trade_no)
    return OrderRead.of(order)


@router.post("/payment-orders/{out_trade_no}/refresh", response_model=OrderRead)
def refresh_payment_order(out_trade_no: str, session: SessionDep, actor: CurrentActor) -> OrderRead:
    """Ask the provider how the order stands (when its notification is late)."""
    order = service.refresh_order(session=session, actor=actor, out_trade_no=out_trade_no)
    return OrderRead.of(order)


@router.post("/payments/notify/{app_id}", responses={400: {"description": "rejected"}})
async def payment_notify(app_id: str, request: Request, session: SessionDep) -> JSONResponse:
    """The provider's signed asynchronous notification (no login: the signature is the proof).

    2xx tells the provider to stop redelivering; a rejected notification is recorded and
    answered 400 with the reason."""
    body = await request.body()
    # The service is synchronous database work: off the event loop, as FastAPI runs sync routes.
    result = await run_in_threadpool(
        service.handle_notification,
        session=session,
        app_id=app_id,
        body=body,
        headers=dict(request.headers.items()),
    )
    if result.accepted:
        return JSONResponse({"code": "SUCCESS", "message": result.message})
    return JSONResponse({"code": "FAIL", "message": result.message}, status_code=400)


@router.get("/payment-notifications", response_model=list[NotificationRead])
def list_payment_notifications(session: SessionDep, actor: CurrentActor) -> list[NotificationRead]:
    records = service.list_notifications(session=session, actor=actor)
    return [NotificationRead.of(r) for r in records]


@router.post("/bank-statements", response_model=StatementImported, status_code=CREATED)
async def import_bank_statement(
    file: UploadFile,
    session: SessionDep,
    actor: CurrentActor,
    mapping: Annotated[str | None, Form(description="ColumnMapping as JSON")] = None,
) -> StatementImported:
    """Import a CSV or Excel (.xlsx) statement; confident matches are applied at once."""
    content = await file.read()
    columns = ColumnMapping.model_validate_json(mapping) if mapping else ColumnMapping()
    return await run_in_threadpool(
        reconciliation.import_statement,
        session=session,
        actor=actor,
        filename=file.filename or "statement",
        content=content,
        mapping=columns,
    )


@router.get("/bank-statement-lines", response_model=list[LineRead])
def list_bank_statement_lines(
    session: SessionDep, actor: CurrentActor, queued_only: bool = False
) -> list[LineRead]:
    return reconciliation.list_lines(session=session, actor=actor, queued_only=queued_only)


@router.post("/bank-statement-lines/{line_id}/decision", response_model=LineRead)
def decide_bank_statement_line(
    line_id: int, data: LineDecision, session: SessionDep, actor: CurrentActor
) -> LineRead:
    """Confirm the suggested tenant, assign another, or dismiss the line."""
    return reconciliation.decide(session=session, actor=actor, line_id=line_id, data=data)


@router.post("/invoice-requests", response_model=InvoiceRead, status_code=CREATED)
def request_invoice(
    data: InvoiceRequestCreate, session: SessionDep, actor: CurrentActor
) -> InvoiceRead:
    return invoices.request_invoice(session=session, actor=actor, data=data)


@router.get("/invoice-requests", response_model=list[InvoiceRead])
def list_invoice_requests(session: SessionDep, actor: CurrentActor) -> list[InvoiceRead]:
    return invoices.list_requests(session=session, actor=actor)


@router.post("/invoice-requests/{request_id}/issue", response_model=InvoiceRead)
def issue_invoice(request_id: int, session: SessionDep, actor: CurrentActor) -> InvoiceRead:
    """Issue through the org's invoice provider: numbered without gaps, document written."""
    return invoices.issue(session=session, actor=actor, request_id=request_id)


@router.get("/invoice-seller", response_model=InvoiceSellerData)
def get_invoice_seller(session: SessionDep, actor: CurrentActor) -> InvoiceSellerData:
    return invoices.get_seller(session=session, actor=actor)


@router.put("/invoice-seller", response_model=InvoiceSellerData)
def set_invoice_seller(
    data: InvoiceSellerData, session: SessionDep, actor: CurrentActor
) -> InvoiceSellerData:
    """The org's own tax details (销售方) and VAT rate for the invoices it issues from now on."""
    return invoices.set_seller(session=session, actor=actor, data=data)


@router.get("/invoices/{number}/document", response_class=Response, responses=OPENAPI)
def invoice_document(
    number: str,
    session: SessionDep,
    actor: CurrentActor,
    format: Literal["pdf", "html"] = "html",
) -> Response:
    """The invoice (发票) as issued (printable HTML), or `format=pdf` for a PDF with an embedded
    Chinese font (HTML, with an `X-Document-Note` header, when the server has none)."""
    rendered = invoices.document_as(session=session, actor=actor, number=number, format=format)
    return document_response(rendered, number)

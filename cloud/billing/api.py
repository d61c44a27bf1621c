"""Billing over REST: electricity charges, runs (preview, post, close), bills and reminders,
payments and other money moves, balances, ageing and late fees; all under /billing except the
older electricity-charge paths."""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from cloud.billing import (
    adjustments,
    arrears,
    documents,
    exports,
    late_fees,
    ledger,
    reports,
    runs,
    service,
)
from cloud.billing.models import LedgerEntry, ReminderStage
from cloud.billing.schemas import (
    AdjustmentCreate,
    Ageing,
    BillDetail,
    BillingSettingsRead,
    BillRead,
    DeductCreate,
    ElectricityCharge,
    EntryRead,
    LateFeePolicyRead,
    MoneyOut,
    OpenItem,
    PaymentCreate,
    ReminderCreate,
    Report,
    RunCreate,
    RunPreview,
    RunRead,
    SettleCreate,
    TenantBalance,
)
from cloud.deps import CurrentActor, SessionDep
from cloud.documents.http import OPENAPI, document_response
from cloud.identity.actor import Actor
from cloud.leasing import service as leasing_service

router = APIRouter(tags=["billing"])
XLSX = exports.XLSX
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}
}
CREATED = status.HTTP_201_CREATED


@router.get("/leases/{code}/electricity-charge", response_model=ElectricityCharge)
def electricity_charge(
    code: str, period_start: date, period_end: date, session: SessionDep, actor: CurrentActor
) -> ElectricityCharge:
    return service.electricity_charge(
        session=session,
        actor=actor,
        lease_code=code,
        period_start=period_start,
        period_end=period_end,
    )


@router.get("/electricity-charges/current", response_model=list[ElectricityCharge])
def current_electricity_charges(
    session: SessionDep, actor: CurrentActor, today: date | None = None
) -> list[ElectricityCharge]:
    """Month to date for every visible lease; `today` defaults to today in the org's zone."""
    return service.current_electricity_charges(session=session, actor=actor, today=today)


def _tenant_id(session: Session, actor: Actor, code: str) -> int:
    return leasing_service.get_tenant(session=session, actor=actor, code=code).id


def _read(entry: LedgerEntry) -> EntryRead:
    return EntryRead.model_validate(entry)


@router.get("/billing/settings", response_model=BillingSettingsRead)
def get_settings(session: SessionDep, actor: CurrentActor) -> BillingSettingsRead:
    return service.get_settings(session=session, actor=actor)


@router.put("/billing/settings", response_model=BillingSettingsRead)
def update_settings(
    data: BillingSettingsRead, session: SessionDep, actor: CurrentActor
) -> BillingSettingsRead:
    """The allocation order (oldest first, or by fee item) and the days bills fall due after."""
    return service.update_settings(session=session, actor=actor, data=data)


@router.get("/billing/runs/preview", response_model=RunPreview)
def preview_run(
    period_start: date,
    period_end: date,
    session: SessionDep,
    actor: CurrentActor,
    site_code: str | None = None,
) -> RunPreview:
    """What posting the run would add (lines already posted are marked); writes nothing."""
    return runs.preview_run(
        session=session,
        actor=actor,
        period_start=period_start,
        period_end=period_end,
        site_code=site_code,
    )


@router.post("/billing/runs", response_model=RunRead, status_code=CREATED)
def post_run(data: RunCreate, session: SessionDep, actor: CurrentActor) -> RunRead:
    """Post the period's new lines; a second call adds nothing."""
    return runs.post_run(session=session, actor=actor, **data.model_dump())


@router.post("/billing/periods/{month}/close", status_code=CREATED)
def close_period(month: date, session: SessionDep, actor: CurrentActor) -> dict[str, str]:
    """Close the month holding `month`: no run may post into it again."""
    runs.close_period(session=session, actor=actor, month=month)
    return {"closed": f"{month:%Y-%m}"}


@router.get("/billing/bills", response_model=list[BillRead])
def list_bills(
    session: SessionDep,
    actor: CurrentActor,
    tenant_code: str | None = None,
    open_only: bool = False,
) -> list[BillRead]:
    tenant_id = _tenant_id(session, actor, tenant_code) if tenant_code else None
    return arrears.list_bills(
        session=session, actor=actor, tenant_id=tenant_id, open_only=open_only
    )


@router.get("/billing/bills/{code}", response_model=BillDetail)
def get_bill(code: str, session: SessionDep, actor: CurrentActor) -> BillDetail:
    return arrears.get_bill(session=session, actor=actor, code=code)


@router.get("/billing/bills/{code}/document", response_class=Response, responses=OPENAPI)
def bill_document(
    code: str,
    session: SessionDep,
    actor: CurrentActor,
    format: Literal["pdf", "html"] = "pdf",
) -> Response:
    """The bill (缴费通知单) as PDF, or printable HTML when asked for or when the server has no
    Chinese font (the `X-Document-Note` header then says so); a tenant gets only its own."""
    rendered = documents.bill_document(session=session, actor=actor, code=code, format=format)
    return document_response(rendered, code)


@router.post("/billing/bills/{code}/reminders", status_code=CREATED, response_model=BillDetail)
def send_reminder(
    code: str, data: ReminderCreate, session: SessionDep, actor: CurrentActor
) -> BillDetail:
    arrears.send_reminder(
        session=session,
        actor=actor,
        code=code,
        stage=ReminderStage(data.stage),
        on=data.on,
        note=data.note,
    )
    return arrears.get_bill(session=session, actor=actor, code=code)


@router.get("/billing/tenants/{code}/balance", response_model=TenantBalance)
def tenant_balance(code: str, session: SessionDep, actor: CurrentActor) -> TenantBalance:
    tenant_id = _tenant_id(session, actor, code)
    return ledger.tenant_balance(session=session, actor=actor, tenant_id=tenant_id)


@router.get("/billing/tenants/{code}/open-items", response_model=list[OpenItem])
def open_items(code: str, session: SessionDep, actor: CurrentActor) -> list[OpenItem]:
    tenant_id = _tenant_id(session, actor, code)
    return ledger.open_items(session=session, actor=actor, tenant_id=tenant_id)


@router.post("/billing/payments", response_model=EntryRead, status_code=CREATED)
def receive_payment(data: PaymentCreate, session: SessionDep, actor: CurrentActor) -> EntryRead:
    """An offline payment, recorded once per idempotency key and allocated in the org's order."""
    values = data.model_dump(exclude={"tenant_code"})
    tenant_id = _tenant_id(session, actor, data.tenant_code)
    return _read(
        ledger.receive_payment(session=session, actor=actor, tenant_id=tenant_id, **values)
    )


@router.post("/billing/adjustments", response_model=EntryRead, status_code=CREATED)
def adjust(data: AdjustmentCreate, session: SessionDep, actor: CurrentActor) -> EntryRead:
    values = data.model_dump(exclude={"tenant_code"})
    tenant_id = _tenant_id(session, actor, data.tenant_code)
    return _read(adjustments.adjust(session=session, actor=actor, tenant_id=tenant_id, **values))


@router.post("/billing/write-offs", response_model=EntryRead, status_code=CREATED)
def write_off(data: SettleCreate, session: SessionDep, actor: CurrentActor) -> EntryRead:
    return _read(adjustments.write_off(session=session, actor=actor, **data.model_dump()))


@router.post("/billing/waivers", response_model=EntryRead, status_code=CREATED)
def waive_late_fee(data: SettleCreate, session: SessionDep, actor: CurrentActor) -> EntryRead:
    values = data.model_dump(exclude={"amount"})
    return _read(adjustments.waive_late_fee(session=session, actor=actor, **values))


@router.post("/billing/refunds", response_model=EntryRead, status_code=CREATED)
def refund(data: MoneyOut, session: SessionDep, actor: CurrentActor) -> EntryRead:
    values = data.model_dump(exclude={"tenant_code", "item"})
    tenant_id = _tenant_id(session, actor, data.tenant_code)
    return _read(adjustments.refund(session=session, actor=actor, tenant_id=tenant_id, **values))


@router.post("/billing/deposits", response_model=EntryRead, status_code=CREATED)
def receive_deposit(data: MoneyOut, session: SessionDep, actor: CurrentActor) -> EntryRead:
    values = data.model_dump(exclude={"tenant_code"})
    tenant_id = _tenant_id(session, actor, data.tenant_code)
    entry = adjustments.receive_deposit(session=session, actor=actor, tenant_id=tenant_id, **values)
    return _read(entry)


@router.post("/billing/deposits/deductions", response_model=EntryRead, status_code=CREATED)
def deduct_deposit(data: DeductCreate, session: SessionDep, actor: CurrentActor) -> EntryRead:
    values = data.model_dump(exclude={"tenant_code"})
    tenant_id = _tenant_id(session, actor, data.tenant_code)
    entry = adjustments.deduct_deposit(session=session, actor=actor, tenant_id=tenant_id, **values)
    return _read(entry)


@router.post("/billing/deposits/refunds", response_model=EntryRead, status_code=CREATED)
def refund_deposit(data: MoneyOut, session: SessionDep, actor: CurrentActor) -> EntryRead:
    values = data.model_dump(exclude={"tenant_code", "item"})
    tenant_id = _tenant_id(session, actor, data.tenant_code)
    entry = adjustments.refund_deposit(session=session, actor=actor, tenant_id=tenant_id, **values)
    return _read(entry)


@router.get("/billing/ageing", response_model=Ageing)
def ageing(as_of: date, session: SessionDep, actor: CurrentActor) -> Ageing:
    """Receivables outstanding on `as_of` by tenant: not due, 0-30, 31-60, 61-90, 90+ days."""
    return arrears.ageing(session=session, actor=actor, as_of=as_of)


@router.put("/billing/contracts/{code}/late-fee-policy", response_model=LateFeePolicyRead)
def set_late_fee_policy(
    code: str, data: LateFeePolicyRead, session: SessionDep, actor: CurrentActor
) -> LateFeePolicyRead:
    values = data.model_dump(exclude={"contract_code"})
    return late_fees.set_policy(session=session, actor=actor, contract_code=code, **values)


@router.post("/billing/late-fees/run")
def post_late_fees(on: date, session: SessionDep, actor: CurrentActor) -> dict[str, int]:
    """Post the late fees due up to `on` (what the daily job does); returns how many."""
    return {"added": late_fees.post_late_fees(session=session, actor=actor, on=on)}


def _xlsx(content: bytes, filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get("/billing/ageing.xlsx", response_class=Response, responses=XLSX_RESPONSE)
def ageing_xlsx(as_of: date, session: SessionDep, actor: CurrentActor) -> Response:
    """The ageing as an Excel workbook (same roles as the JSON ageing)."""
    content = exports.ageing_workbook(session=session, actor=actor, as_of=as_of)
    return _xlsx(content, f"ageing-{as_of.isoformat()}.xlsx")


# Before the JSON report: `{name}` there would otherwise take "revenue.xlsx" and refuse it.
@router.get("/billing/reports/{name}.xlsx", response_class=Response, responses=XLSX_RESPONSE)
def report_xlsx(
    name: reports.ReportName,
    start: date,
    end: date,
    session: SessionDep,
    actor: CurrentActor,
    by: Annotated[reports.Dimension, Query()] = "month",
) -> Response:
    """A report as an Excel workbook: the same parameters and roles as the JSON report."""
    content = exports.report_workbook(
        session=session, actor=actor, name=name, start=start, end=end, by=by
    )
    return _xlsx(content, f"{name}-{start.isoformat()}-{end.isoformat()}.xlsx")


@router.get("/billing/reports/{name}", response_model=Report)
def report(
    name: reports.ReportName,
    start: date,
    end: date,
    session: SessionDep,
    actor: CurrentActor,
    by: Annotated[reports.Dimension, Query()] = "month",
) -> Report:
    """Revenue by building, tenant, fee item or month; collection rate; cash flow; rent/m²."""
    return reports.report(session=session, actor=actor, name=name, start=start, end=end, by=by)

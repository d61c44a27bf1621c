"""Invoices: requests with the buyer's tax details, issued through an invoice provider. The
built-in provider numbers them `FP-{year}-{seq}` without gaps per org and year and writes the
document through a renderer (`DocumentRenderer`; the built-in one is the 发票 template of
`invoice_documents`, stored as printable HTML when issued and drawn as PDF when asked for)."""

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.db.upsert import insert_ignoring_duplicates
from cloud.documents.render import Format, Rendered, render
from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Org, Role
from cloud.leasing.models import Tenant
from cloud.payments.invoice_documents import InvoiceTemplate
from cloud.payments.models import (
    Invoice,
    InvoiceCounter,
    InvoiceRequest,
    InvoiceSeller,
    InvoiceStatus,
)
from cloud.payments.schemas import InvoiceRead, InvoiceRequestCreate, InvoiceSellerData

FINANCE = (Role.admin, Role.finance)


@dataclass(frozen=True)
class IssuedDocument:
    number: str
    year: int
    seq: int
    content_type: str
    document: str


class DocumentRenderer(Protocol):
    content_type: str

    def render(self, *, org: Org, request: InvoiceRequest, number: str, issued_on: date) -> str: ...


class InvoiceProvider(Protocol):
    """Who issues an invoice: the built-in numbering, or a tax-bureau service later."""

    name: str

    def issue(
        self, *, session: Session, org: Org, request: InvoiceRequest, issued_on: date
    ) -> IssuedDocument: ...


class BuiltInProvider:
    """Numbers invoices gap-free per org and year from a locked counter row."""

    name = "builtin"

    def __init__(self, renderer: DocumentRenderer | None = None) -> None:
        self.renderer: DocumentRenderer = renderer or InvoiceTemplate()

    def issue(
        self, *, session: Session, org: Org, request: InvoiceRequest, issued_on: date
    ) -> IssuedDocument:
        seq = _next_seq(session, org.id, issued_on.year)
        number = f"FP-{issued_on.year}-{seq:06d}"
        document = self.renderer.render(
            org=org, request=request, number=number, issued_on=issued_on
        )
        return IssuedDocument(number, issued_on.year, seq, self.renderer.content_type, document)


def _next_seq(session: Session, org_id: int, year: int) -> int:
    """The next number of the year. The counter row stays locked until the transaction ends,
    so a second issuer waits, and a rolled-back issue gives its number back: no gaps."""
    # The year's first issuers may race to create the row: one insert wins, none fails.
    session.execute(
        insert_ignoring_duplicates(session, InvoiceCounter).values(
            org_id=org_id, year=year, last_seq=0
        )
    )
    stmt = select(InvoiceCounter).where(
        InvoiceCounter.org_id == org_id, InvoiceCounter.year == year
    )
    counter = session.scalars(
        stmt.with_for_update().execution_options(populate_existing=True)
    ).one()
    counter.last_seq += 1
    session.flush()
    return counter.last_seq


def request_invoice(*, session: Session, actor: Actor, data: InvoiceRequestCreate) -> InvoiceRead:
    """A tenant asks for its own invoice; finance may ask for any tenant's."""
    require_role(actor, *FINANCE, Role.tenant)
    tenant = _tenant(session=session, actor=actor, code=data.tenant_code)
    request = InvoiceRequest(
        org_id=actor.org_id,
        tenant_id=tenant.id,
        requested_by_id=actor.user_id,
        **data.model_dump(exclude={"tenant_code"}),
    )
    session.add(request)
    session.flush()
    return _read(request, None)


def issue(
    *,
    session: Session,
    actor: Actor,
    request_id: int,
    provider: InvoiceProvider | None = None,
    today: date | None = None,
) -> InvoiceRead:
    require_role(actor, *FINANCE)
    request = session.scalar(
        select(InvoiceRequest)
        .where(InvoiceRequest.org_id == actor.org_id, InvoiceRequest.id == request_id)
        .with_for_update(of=InvoiceRequest)
    )
    if request is None:
        raise NotFound(f"no invoice request {request_id}")
    if request.status != InvoiceStatus.requested:
        raise Conflict(f"invoice request {request_id} is issued already")
    issued_on = today or identity_service.org_today(session=session, actor=actor)
    org = identity_service.get_org(session=session, actor=actor)
    seller = seller_snapshot(session, org)
    chosen = provider or BuiltInProvider(InvoiceTemplate(seller))
    issued = chosen.issue(session=session, org=org, request=request, issued_on=issued_on)
    invoice = Invoice(
        org_id=actor.org_id,
        request_id=request.id,
        year=issued.year,
        seq=issued.seq,
        number=issued.number,
        issued_on=issued_on,
        provider=chosen.name,
        content_type=issued.content_type,
        document=issued.document,
        seller=seller,
        issued_by_id=actor.user_id,
    )
    request.status = InvoiceStatus.issued
    session.add(invoice)
    session.flush()
    return _read(request, invoice)


def list_requests(*, session: Session, actor: Actor) -> list[InvoiceRead]:
    require_role(actor, *FINANCE, Role.tenant)
    stmt = (
        select(InvoiceRequest, Invoice)
        .outerjoin(Invoice, Invoice.request_id == InvoiceRequest.id)
        .where(InvoiceRequest.org_id == actor.org_id)
    )
    if actor.is_tenant:
        stmt = stmt.where(InvoiceRequest.tenant_id == actor.tenant_id)
    rows = session.execute(stmt.order_by(InvoiceRequest.id.desc()))
    return [_read(request, invoice) for request, invoice in rows]


def document(*, session: Session, actor: Actor, number: str) -> tuple[str, str]:
    """The invoice's content type and document as issued, for its tenant or finance."""
    invoice = visible_invoice(session=session, actor=actor, number=number)
    return invoice.content_type, invoice.document


def document_as(*, session: Session, actor: Actor, number: str, format: Format = "pdf") -> Rendered:
    """A visible invoice as PDF, drawn from the 发票 template with what was issued (the request
    and the number never change after), or as the HTML document stored when it was issued.
    A PDF asked for without a Chinese font installed is HTML, and `Rendered.note` says so."""
    invoice = visible_invoice(session=session, actor=actor, number=number)
    if format == "html":
        return Rendered(invoice.document.encode(), invoice.content_type, "html")
    org = identity_service.get_org(session=session, actor=actor)
    drawn = InvoiceTemplate(invoice.seller).document(
        org=org, request=invoice.request, number=invoice.number, issued_on=invoice.issued_on
    )
    return render(drawn, format="pdf")


def visible_invoice(*, session: Session, actor: Actor, number: str) -> Invoice:
    """An issued invoice of the actor's org; a tenant sees only its own."""
    require_role(actor, *FINANCE, Role.tenant)
    invoice = session.scalar(
        select(Invoice).where(Invoice.org_id == actor.org_id, Invoice.number == number)
    )
    if invoice is None or (actor.is_tenant and invoice.request.tenant_id != actor.tenant_id):
        raise NotFound(f"no invoice {number}")
    return invoice


def get_seller(*, session: Session, actor: Actor) -> InvoiceSellerData:
    """The org's own tax details for its invoices (blank until finance sets them)."""
    require_role(actor, *FINANCE)
    found = session.get(InvoiceSeller, actor.org_id)
    if found is None:
        return InvoiceSellerData()
    return InvoiceSellerData(
        tax_id=found.tax_id, address=found.address, bank=found.bank, tax_rate=found.tax_rate
    )


def set_seller(*, session: Session, actor: Actor, data: InvoiceSellerData) -> InvoiceSellerData:
    """Set the org's tax details; invoices issued already keep the details they were issued
    with."""
    require_role(actor, *FINANCE)
    found = session.get(InvoiceSeller, actor.org_id)
    if found is None:
        found = InvoiceSeller(org_id=actor.org_id)
        session.add(found)
    for name, value in data.model_dump().items():
        setattr(found, name, value)
    session.flush()
    return get_seller(session=session, actor=actor)


def seller_snapshot(session: Session, org: Org) -> dict[str, str]:
    """The seller as an invoice issued now prints it, kept with the invoice."""
    found = session.get(InvoiceSeller, org.id)
    data = (
        InvoiceSellerData()
        if found is None
        else InvoiceSellerData.model_validate(found, from_attributes=True)
    )
    return {"name": org.name, **{k: str(v) for k, v in data.model_dump().items()}}


def _tenant(*, session: Session, actor: Actor, code: str | None) -> Tenant:
    if actor.is_tenant:
        own = session.get_one(Tenant, actor.tenant_id)
        if code is not None and code != own.code:
            raise Forbidden(f"{actor.username} may only ask for its own invoices")
        return own
    tenant = session.scalar(
        select(Tenant).where(Tenant.org_id == actor.org_id, Tenant.code == code)
    )
    if tenant is None:
        raise Invalid(f"no tenant {code}", field="tenant_code")
    return tenant


def _read(request: InvoiceRequest, invoice: Invoice | None) -> InvoiceRead:
    return InvoiceRead(
        request_id=request.id,
        tenant_code=request.tenant.code,
        amount=request.amount,
        buyer_name=request.buyer_name,
        tax_id=request.tax_id,
        status=request.status,
        number=invoice.number if invoice else None,
        issued_on=invoice.issued_on if invoice else None,
    )

"""Online payments (provider accounts, orders, the notifications received), bank statements with
their lines and matches, and invoices with their gap-free numbering."""

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Identity, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, Money, Ratio, UTCDateTime, utcnow
from cloud.leasing.models import Tenant

JSONType = JSON().with_variant(JSONB(), "postgresql")
Confidence = Numeric(4, 3)


class Channel(enum.StrEnum):
    wechat = "wechat"
    alipay = "alipay"


class OrderStatus(enum.StrEnum):
    pending = "pending"
    paid = "paid"
    closed = "closed"


class NotificationOutcome(enum.StrEnum):
    applied = "applied"  # the payment was recorded
    duplicate = "duplicate"  # the order was already paid by this transaction
    ignored = "ignored"  # a state that changes nothing (not paid yet, or older than known)
    rejected = "rejected"  # bad signature, unknown order, amount mismatch


class LineStatus(enum.StrEnum):
    matched = "matched"  # applied automatically
    queued = "queued"  # waits for a person
    confirmed = "confirmed"  # applied by a person
    dismissed = "dismissed"  # not a tenant's payment (bank fees, internal transfers)


class InvoiceStatus(enum.StrEnum):
    requested = "requested"
    issued = "issued"


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=16, create_constraint=True, name=name)


class PaymentAccount(Base):
    """An org's merchant account at an online provider: the app id the provider gave it, its
    own signing key, the provider's public key, and the finance user payments are posted as."""

    __tablename__ = "payment_accounts"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    app_id: Mapped[str] = mapped_column(String(64), unique=True)  # the provider's, global
    gateway_url: Mapped[str] = mapped_column(String(500))
    notify_base_url: Mapped[str] = mapped_column(String(500))  # how the provider reaches us
    merchant_private_pem: Mapped[str] = mapped_column(Text)
    gateway_public_pem: Mapped[str] = mapped_column(Text)
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(default=True)


class PaymentOrder(Base):
    """A tenant's online payment, coded like `PO…` (the provider's out_trade_no, global)."""

    __tablename__ = "payment_orders"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("payment_accounts.id"), index=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    bill_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[OrderStatus] = mapped_column(
        _enum(OrderStatus, "order_status"), default=OrderStatus.pending
    )
    pay_url: Mapped[str] = mapped_column(String(500), default="")
    qr_payload: Mapped[str] = mapped_column(String(500), default="")
    transaction_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)
    account: Mapped[PaymentAccount] = relationship(lazy="joined", innerjoin=True)


class PaymentNotification(Base):
    """Every notification received for an account, good or bad, and what became of it."""

    __tablename__ = "payment_notifications"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("payment_accounts.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("payment_orders.id"), index=True)
    notification_id: Mapped[str] = mapped_column(String(64), default="")
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    trade_state: Mapped[str] = mapped_column(String(16), default="")
    outcome: Mapped[NotificationOutcome] = mapped_column(_enum(NotificationOutcome, "outcome"))
    reason: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankStatement(Base):
    """One imported statement file; the same file (by SHA-256) is imported once."""

    __tablename__ = "bank_statements"
    __table_args__ = (UniqueConstraint("org_id", "sha256"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    rows_read: Mapped[int]
    lines_added: Mapped[int]
    bad_rows: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatementLine(Base):
    """A credit on the bank account, matched to a tenant with a confidence, or queued.

    `fingerprint` identifies the bank's transaction across files, so a line in two overlapping
    statements is added once."""

    __tablename__ = "bank_statement_lines"
    __table_args__ = (UniqueConstraint("org_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), index=True)
    row_no: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64))
    booked_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Money)
    payer_name: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    bank_txn_id: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[LineStatus] = mapped_column(_enum(LineStatus, "line_status"))
    suggested_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    confidence: Mapped[Decimal] = mapped_column(Confidence, default=Decimal(0))
    match_reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class InvoiceRequest(Base):
    """A tenant's (or finance's) request for a VAT invoice, with the buyer's tax details."""

    __tablename__ = "invoice_requests"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str] = mapped_column(String(200))
    buyer_name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(300), default="")
    bank: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[InvoiceStatus] = mapped_column(
        _enum(InvoiceStatus, "invoice_status"), default=InvoiceStatus.requested
    )
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)


class InvoiceSeller(Base):
    """The org's own tax details as invoices print them; an org without a row prints its name
    alone at the default tax rate."""

    __tablename__ = "invoice_sellers"

    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    tax_id: Mapped[str] = mapped_column(String(32), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    bank: Mapped[str] = mapped_column(String(300), default="")
    tax_rate: Mapped[Decimal] = mapped_column(Ratio, default=Decimal("0.09"))


class InvoiceCounter(Base):
    """The last invoice number used by an org in a year; locked while the next is taken."""

    __tablename__ = "invoice_counters"

    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)


class Invoice(Base):
    """An issued invoice, numbered `FP-{year}-{seq:06d}` without gaps, and its document."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("org_id", "number"),
        UniqueConstraint("org_id", "year", "seq"),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("invoice_requests.id"), unique=True)
    year: Mapped[int]
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(String(32))
    issued_on: Mapped[date]
    provider: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    # The seller's details and tax rate as printed when issued, so a PDF drawn later says the
    # same even after the org's details change; None for invoices issued before they were kept.
    seller: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    # Loaded when asked for: an eager inner join would drop requests listed without an invoice.
    request: Mapped[InvoiceRequest] = relationship()

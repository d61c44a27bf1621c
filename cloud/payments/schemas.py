"""What the payments API reads and writes: accounts, orders, notifications, bank statements,
reconciliation decisions and invoices."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from cloud.payments.models import (
    Channel,
    InvoiceStatus,
    LineStatus,
    NotificationOutcome,
    OrderStatus,
    PaymentNotification,
    PaymentOrder,
)
from protocols.codes import Code


class AccountCreate(BaseModel):
    """A merchant account at a provider; keys are PEM text."""

    code: Code
    channel: Channel
    app_id: str = Field(min_length=1, max_length=64)
    gateway_url: str = Field(min_length=1, max_length=500)
    notify_base_url: str = Field(
        min_length=1, max_length=500, description="this cloud's address as the provider sees it"
    )
    merchant_private_pem: str
    gateway_public_pem: str
    posted_by: str = Field(description="username of the finance user payments are posted as")


class AccountRead(BaseModel):
    code: str
    channel: Channel
    app_id: str
    gateway_url: str
    active: bool


class OrderCreate(BaseModel):
    """Pay open bills online. Without bill codes: all of the tenant's open items. Without an
    amount: their outstanding total."""

    bill_codes: list[Code] = Field(default_factory=list)
    amount: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)
    account_code: Code | None = Field(default=None, description="default: the org's first")
    tenant_code: Code | None = Field(default=None, description="finance: whom it is for")


class OrderRead(BaseModel):
    out_trade_no: str
    tenant_code: str
    tenant_name: str
    channel: Channel
    amount: Decimal
    bill_codes: list[str]
    status: OrderStatus
    pay_url: str
    qr_payload: str
    transaction_id: str | None
    paid_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, order: PaymentOrder) -> "OrderRead":
        return cls(
            out_trade_no=order.out_trade_no,
            tenant_code=order.tenant.code,
            tenant_name=order.tenant.name,
            channel=order.account.channel,
            amount=order.amount,
            bill_codes=order.bill_codes,
            status=order.status,
            pay_url=order.pay_url,
            qr_payload=order.qr_payload,
            transaction_id=order.transaction_id,
            paid_at=order.paid_at,
            created_at=order.created_at,
        )


class NotificationResult(BaseModel):
    accepted: bool
    outcome: NotificationOutcome
    message: str


class NotificationRead(BaseModel):
    notification_id: str
    transaction_id: str | None
    trade_state: str
    outcome: NotificationOutcome
    reason: str
    received_at: datetime

    @classmethod
    def of(cls, record: PaymentNotification) -> "NotificationRead":
        return cls(
            notification_id=record.notification_id,
            transaction_id=record.transaction_id,
            trade_state=record.trade_state,
            outcome=record.outcome,
            reason=record.reason,
            received_at=record.received_at,
        )


class ColumnMapping(BaseModel):
    """Which column of the statement holds what (header text as in the file)."""

    booked_on: str = Field(default="交易日期", description="booking date")
    amount: str = Field(default="贷方金额", description="credit amount (money received)")
    payer_name: str = Field(default="对方户名")
    reference: str = Field(default="摘要", description="purpose / memo")
    bank_txn_id: str | None = Field(default="流水号", description="the bank's transaction id")
    date_format: str = Field(default="%Y-%m-%d", description="strptime format of text dates")


class BadRow(BaseModel):
    row: int = Field(description="row number in the file, the header being row 1")
    reason: str


class StatementImported(BaseModel):
    statement_id: int | None
    filename: str
    already_imported: bool
    rows_read: int
    lines_added: int
    lines_seen_before: int
    matched: int
    queued: int
    bad_rows: list[BadRow]


class LineRead(BaseModel):
    id: int
    row_no: int
    booked_on: date
    amount: Decimal
    payer_name: str
    reference: str
    bank_txn_id: str
    status: LineStatus
    confidence: Decimal
    match_reasons: list[str]
    suggested_tenant_code: str | None
    tenant_code: str | None


class LineDecision(BaseModel):
    """Confirm the suggestion, assign another tenant, or dismiss the line."""

    tenant_code: Code | None = Field(default=None, description="default: the suggested tenant")
    dismiss: bool = False


class InvoiceRequestCreate(BaseModel):
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    description: str = Field(default="租金及物业服务费", min_length=1, max_length=200)
    buyer_name: str = Field(min_length=1, max_length=200)
    tax_id: str = Field(
        min_length=15, max_length=20, pattern=r"^[0-9A-Z]+$", description="统一社会信用代码"
    )
    address: str = Field(default="", max_length=300, description="address and phone")
    bank: str = Field(default="", max_length=300, description="bank and account number")
    tenant_code: Code | None = Field(default=None, description="finance: whom it is for")


class InvoiceSellerData(BaseModel):
    """The org's own details as its invoices print them (销售方), and the VAT rate included in
    the amounts invoiced."""

    tax_id: str = Field(default="", pattern=r"^([0-9A-Z]{15,20})?$", description="统一社会信用代码")
    address: str = Field(default="", max_length=300, description="address and phone")
    bank: str = Field(default="", max_length=300, description="bank and account number")
    tax_rate: Decimal = Field(
        default=Decimal("0.09"), ge=0, le=Decimal("0.2"), max_digits=5, decimal_places=4
    )


class InvoiceRead(BaseModel):
    request_id: int
    tenant_code: str
    amount: Decimal
    buyer_name: str
    tax_id: str
    status: InvoiceStatus
    number: str | None
    issued_on: date | None

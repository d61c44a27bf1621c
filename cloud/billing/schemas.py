"""What a charge looks like to finance, the tenant and the API."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OpeningSource = Literal["at_or_before_start", "first_in_period"]


class ElectricityCharge(BaseModel):
    """Electricity of one lease over org-local dates [period_start, period_end], both included.

    kWh is the difference of the cumulative register (`energy_import`) between the opening and
    closing readings, times the CT ratio. The closing reading of one period is the opening
    reading of the next, so consecutive periods add up to the whole.
    """

    lease_code: str
    tenant_name: str
    unit_code: str
    meter_code: str
    period_start: date = Field(description="clamped to the lease's start date")
    period_end: date = Field(description="clamped to the lease's end date")
    opening_ts: datetime
    opening_kwh: Decimal = Field(description="register value at opening_ts")
    opening_source: OpeningSource = Field(
        description="at_or_before_start: the last reading at or before the period start; "
        "first_in_period: the meter has no earlier reading, so the period's first one"
    )
    closing_ts: datetime
    closing_kwh: Decimal = Field(description="register value at closing_ts")
    ct_ratio: Decimal
    exchanges: int = Field(
        default=0, description="meter exchanges (换表) or rollovers between opening and closing"
    )
    kwh: Decimal = Field(
        description="(closing - opening, plus each exchange's old final minus new initial "
        "value) x CT ratio, to 0.01 kWh"
    )
    tariff: Decimal = Field(description="CNY per kWh")
    amount: Decimal = Field(description="kwh x tariff, to the fen, half up")
    currency: Literal["CNY"] = "CNY"
    partial: bool = Field(
        description="the readings do not span the whole period closely, so the amount may be "
        "off: no reading at or before its start, or none yet at or after its end (it may still "
        "grow); or the opening reading is more than a day before the start, or the closing one "
        "more than a day before the end (the meter was offline across a boundary, so energy of "
        "the neighbouring period is in this amount, or some of this period's is in the next)"
    )


class TenantBalance(BaseModel):
    """A tenant's money with the org, derived from its ledger entries."""

    tenant_id: int
    balance: Decimal = Field(description="all receivable entries: > 0 owed, < 0 in credit")
    outstanding: Decimal = Field(description="what is left to pay of its charges")
    prepaid: Decimal = Field(description="money received and not yet allocated to a charge")
    deposit_held: Decimal = Field(description="deposits held for the tenant (a liability)")


class OpenItem(BaseModel):
    """A charge (or late fee, or refund) with something left to pay."""

    entry_id: int
    kind: str
    item: str
    bill_id: int | None
    bill_code: str | None
    period_start: date | None
    period_end: date | None
    due_date: date
    amount: Decimal
    outstanding: Decimal


class RunLine(BaseModel):
    """One line a billing run posts (or, with no tenant, one the landlord absorbs)."""

    source_key: str = Field(description="where it comes from; posting it twice adds nothing")
    tenant_id: int | None
    tenant_code: str = ""
    lease_id: int | None = None
    lease_code: str = ""
    contract_id: int | None = None
    unit_id: int | None = None
    unit_code: str = ""
    item: str
    amount: Decimal
    due_date: date
    period_start: date | None = None
    period_end: date | None = None
    detail: dict[str, str] = Field(default_factory=dict)
    posted: bool = Field(default=False, description="already on the ledger")


class RunPreview(BaseModel):
    """What posting a run would add; `warnings` name leases or meters left out and why."""

    scope: str
    period_start: date
    period_end: date
    lines: list[RunLine]
    new_total: Decimal = Field(description="the tenants' lines not posted yet")
    landlord_total: Decimal = Field(description="shares of vacant units the landlord absorbs")
    warnings: list[str]
    closed: bool = Field(description="the period is closed: nothing can be posted")


class RunRead(BaseModel):
    id: int
    scope: str
    period_start: date
    period_end: date
    posted_on: date
    added: int = Field(description="lines this posting added (0 on a re-run)")
    added_total: Decimal
    bills: int


class BillRead(BaseModel):
    code: str
    tenant_id: int
    tenant_code: str
    tenant_name: str
    period_start: date
    period_end: date
    issued_on: date
    due_date: date
    total: Decimal = Field(description="the charges and late fees on the bill")
    outstanding: Decimal
    reminder_stage: str | None = Field(description="the last reminder stage reached")


class BillLine(BaseModel):
    entry_id: int
    kind: str
    item: str
    period_start: date | None
    period_end: date | None
    due_date: date | None
    amount: Decimal
    outstanding: Decimal
    detail: dict[str, str] | None


class BillDetail(BillRead):
    lines: list[BillLine]
    reminders: list[str] = Field(description="stage and date of each reminder sent")


class AgeingRow(BaseModel):
    """What a tenant owes as of a date, by how long past due: not yet due, 0-30, 31-60, 61-90
    and over 90 days."""

    tenant_id: int
    tenant_code: str
    tenant_name: str
    not_due: Decimal
    d0_30: Decimal
    d31_60: Decimal
    d61_90: Decimal
    d90_plus: Decimal
    total: Decimal


class Ageing(BaseModel):
    as_of: date
    rows: list[AgeingRow]
    totals: AgeingRow


class LateFeePolicyRead(BaseModel):
    contract_code: str
    grace_days: int = Field(ge=0)
    daily_rate: Decimal = Field(description="of the overdue principal per day, e.g. 0.0005")
    cap_rate: Decimal = Field(description="all late fees of a charge at most this share of it")


class EntryRead(BaseModel):
    """A ledger entry as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    tenant_id: int
    account: str
    kind: str
    entry_date: date
    amount: Decimal = Field(description="receivable: > 0 owed more, < 0 owed less")
    item: str
    due_date: date | None
    bill_id: int | None
    related_id: int | None
    method: str
    reference: str
    memo: str


class RunCreate(BaseModel):
    period_start: date
    period_end: date
    site_code: str | None = Field(default=None, description="one site (park); all when empty")
    posted_on: date | None = Field(default=None, description="the entries' date; today if empty")


class PaymentCreate(BaseModel):
    """An offline payment: bank transfer, POS or cash."""

    tenant_code: str
    amount: Decimal = Field(gt=0, decimal_places=2)
    received_on: date
    method: Literal["bank_transfer", "pos", "cash"]
    reference: str = ""
    idempotency_key: str = Field(min_length=1, max_length=150)


class AdjustmentCreate(BaseModel):
    tenant_code: str
    amount: Decimal = Field(decimal_places=2, description="> 0 the tenant owes more, < 0 less")
    entry_date: date
    item: str = "调整"
    reason: str = Field(min_length=1)


class SettleCreate(BaseModel):
    """A write-off or a waiver aimed at one charge or late fee."""

    entry_id: int
    on: date
    reason: str = Field(min_length=1)
    amount: Decimal | None = Field(default=None, gt=0, decimal_places=2)


class MoneyOut(BaseModel):
    """A refund of prepaid money, or a deposit received or refunded."""

    tenant_code: str
    amount: Decimal = Field(gt=0, decimal_places=2)
    on: date
    method: str = "bank_transfer"
    reference: str = ""
    item: str = "押金"


class DeductCreate(BaseModel):
    tenant_code: str
    amount: Decimal = Field(gt=0, decimal_places=2)
    on: date
    reason: str = Field(min_length=1)


class ReminderCreate(BaseModel):
    stage: Literal["notice", "letter", "legal"]
    on: date
    note: str = ""


class ReportRow(BaseModel):
    key: str
    values: dict[str, Decimal]


class Report(BaseModel):
    name: str
    by: str
    start: date
    end: date
    columns: list[str]
    rows: list[ReportRow]
    totals: dict[str, Decimal]


class BillingSettingsRead(BaseModel):
    """How an org bills: the order payments settle charges in, and when metered bills fall due."""

    allocation_order: Literal["oldest_first", "item_priority"] = "oldest_first"
    item_priority: list[str] = Field(
        default_factory=list, description="fee items, first settled first (item_priority order)"
    )
    due_days: int = Field(default=15, ge=0, le=120, description="days after the period's end")

"""What the parking API reads and writes."""

from datetime import date, datetime, time
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from cloud.parking.models import Direction, SessionKind, SessionState
from protocols.codes import Code


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class GateCreate(BaseModel):
    site_code: Code
    code: Code
    name: str = Field(min_length=1, max_length=200)
    direction: Direction


class GateRead(_Read):
    id: int
    code: str
    name: str
    direction: Direction


class FeeRulesWrite(BaseModel):
    """A site's fee rules; see `cloud.parking.fees.FeeRules` for what each one means."""

    free_minutes: int = Field(default=15, ge=0, le=24 * 60)
    first_minutes: int = Field(default=60, ge=1, le=24 * 60)
    first_price: Decimal = Field(default=Decimal("5.00"), ge=0, max_digits=14, decimal_places=2)
    increment_minutes: int = Field(default=30, ge=1, le=24 * 60)
    increment_price: Decimal = Field(default=Decimal("2.00"), ge=0, max_digits=14, decimal_places=2)
    daily_cap: Decimal = Field(default=Decimal("30.00"), ge=0, max_digits=14, decimal_places=2)
    night_start: time | None = None
    night_end: time | None = None
    night_price: Decimal = Field(default=Decimal("0.00"), ge=0, max_digits=14, decimal_places=2)
    new_energy_discount: Decimal = Field(default=Decimal(0), ge=0, le=1, decimal_places=4)
    leave_minutes: int = Field(default=15, ge=0, le=24 * 60)
    review_after_days: int = Field(default=7, ge=1, le=365)


class FeeRulesRead(FeeRulesWrite, _Read):
    pass


class VehicleCreate(BaseModel):
    """A vehicle; a tenant registers its own (`tenant_code` is for staff)."""

    plate: str = Field(min_length=1, max_length=16)
    tenant_code: Code | None = None
    new_energy: bool | None = Field(default=None, description="default: from the plate's format")
    owner_name: str | None = Field(default=None, max_length=200)


class VehicleRead(_Read):
    id: int
    plate: str
    tenant_code: str | None
    new_energy: bool
    owner_name: str | None


class QuotaWrite(BaseModel):
    tenant_code: Code
    site_code: Code
    max_passes: int = Field(ge=0, le=10_000)


class PassCreate(BaseModel):
    plate: str = Field(min_length=1, max_length=16)
    site_code: Code
    valid_from: date
    valid_to: date
    grace_days: int = Field(default=0, ge=0, le=60)
    tenant_code: Code | None = Field(default=None, description="counts against its quota")


class PassRead(_Read):
    id: int
    code: str
    plate: str
    site_code: str
    tenant_code: str | None
    valid_from: date
    valid_to: date
    grace_days: int
    cancelled: bool


class SessionRead(_Read):
    id: int
    plate: str
    exit_plate: str | None
    kind: SessionKind
    state: SessionState
    new_energy: bool
    entry_gate: str | None
    exit_gate: str | None
    entered_at: datetime | None
    exited_at: datetime | None
    fee: Decimal | None
    paid: Decimal
    paid_at: datetime | None
    review_reason: str | None
    waived_reason: str | None


class Quote(BaseModel):
    """What a session owes if the car leaves at `at`."""

    session_id: int
    plate: str
    at: datetime
    fee: Decimal
    paid: Decimal
    amount_due: Decimal
    leave_by: datetime | None


class PaymentCreate(BaseModel):
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    method: str = Field(default="cash", min_length=1, max_length=32)
    reference: str | None = Field(default=None, max_length=64, description="payments' order id")
    gate_code: Code | None = Field(default=None, description="where it was paid, if at a gate")
    paid_at: datetime | None = None


class Waiver(BaseModel):
    reason: str = Field(min_length=2, max_length=500)


class ReviewSettlement(BaseModel):
    """A person's decision on a session under review: the fee to charge (0 waives it)."""

    fee: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    reason: str = Field(min_length=2, max_length=500)
    exited_at: datetime | None = None


class RevenueRow(BaseModel):
    day: date
    gate: str | None
    amount: Decimal
    payments: int


class AllowListVersionRead(_Read):
    """A version of a site's allow-list: how much it held and when it reached the broker."""

    version: int
    digest: str
    issued_at: datetime
    published_at: datetime | None
    plates: int
    credentials: int

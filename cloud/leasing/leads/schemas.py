"""What the leads API reads and writes."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cloud.leasing.leads.models import (
    DepositStatus,
    FollowUpKind,
    LeadSource,
    LostReason,
    Stage,
)
from cloud.leasing.terms_schemas import PaymentCycle
from protocols.codes import Code

Price = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False)]
Note = Annotated[str, Field(max_length=5_000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactData(_Body):
    name: str = Field(min_length=1, max_length=100)
    title: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=32)
    email: str = Field(default="", max_length=200)


class LeadCreate(_Body):
    code: Code | None = Field(default=None, description="default: the next XS-{year}-NNNN")
    company: str = Field(min_length=1, max_length=200)
    source: LeadSource
    source_detail: str = Field(default="", max_length=200, description="which agent, event…")
    wanted_area_m2: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=2)
    unit_codes: list[Code] = Field(default_factory=list, description="units shown or wanted")
    contacts: list[ContactData] = Field(default_factory=list)
    tenant_code: Code | None = Field(default=None, description="when an existing tenant")
    note: Note = ""


class LeadUpdate(_Body):
    """Changes to an open lead; omitted fields stay as they are."""

    company: str | None = Field(default=None, min_length=1, max_length=200)
    source_detail: str | None = Field(default=None, max_length=200)
    wanted_area_m2: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=2)
    unit_codes: list[Code] | None = None
    tenant_code: Code | None = None
    note: Note | None = None


class FollowUpCreate(_Body):
    """A visit, feedback, our quote or their counter-offer; quotes and counter-offers name the
    rent (and may name the rest of the terms talked about)."""

    kind: FollowUpKind
    happened_on: date | None = Field(default=None, description="default: the org's today")
    note: Note = ""
    rent_per_m2_month: Price | None = None
    property_fee_per_m2_month: Price | None = None
    lease_start: date | None = None
    term_months: int | None = Field(default=None, ge=1, le=240)
    free_months: int | None = Field(default=None, ge=0, le=24)

    @model_validator(mode="after")
    def _priced(self) -> "FollowUpCreate":
        priced = self.kind in (FollowUpKind.quote, FollowUpKind.counter_offer)
        if priced and self.rent_per_m2_month is None:
            raise ValueError(f"a {self.kind} names rent_per_m2_month")
        if self.free_months and self.term_months and self.free_months >= self.term_months:
            raise ValueError("free_months must be fewer than term_months")
        return self


class StageMove(_Body):
    stage: Stage = Field(description="visit, quote or negotiation (forward only)")
    note: Note = ""


class LostMark(_Body):
    reason: LostReason
    note: Note = ""


class LetterOfIntent(_Body):
    signed_on: date
    deposit: Price = Field(gt=0, description="定金, CNY")


class DepositMove(_Body):
    status: DepositStatus
    on: date | None = Field(default=None, description="default: the org's today")


class Conversion(_Body):
    """What a won lead's draft contract needs beyond its last quote."""

    tenant_code: Code | None = Field(
        default=None, description="an existing tenant, or the code of the new one"
    )
    tenant_name: str | None = Field(default=None, max_length=200, description="default: company")
    contract_code: Code | None = None
    electricity_tariff: Decimal = Field(ge=0, max_digits=10, decimal_places=4)
    payment_cycle: PaymentCycle = "quarterly"


# --- reads -----------------------------------------------------------------------------------


class ContactRead(ContactData):
    pass


class FollowUpRead(BaseModel):
    kind: FollowUpKind
    happened_on: date
    note: str
    rent_per_m2_month: Decimal | None
    property_fee_per_m2_month: Decimal | None
    lease_start: date | None
    term_months: int | None
    free_months: int | None
    created_at: datetime


class StageChangeRead(BaseModel):
    from_stage: Stage | None
    to_stage: Stage
    changed_on: date
    changed_at: datetime
    note: str


class DepositChangeRead(BaseModel):
    status: DepositStatus
    amount: Decimal
    changed_on: date
    ledger_ref: str | None


class LeadSummary(BaseModel):
    code: str
    company: str
    source: LeadSource
    stage: Stage
    reached: Stage
    unit_codes: list[str]
    created_on: date
    lost_reason: LostReason | None
    contract_code: str | None


class LeadRead(LeadSummary):
    source_detail: str
    wanted_area_m2: Decimal | None
    note: str
    lost_note: str
    tenant_code: str | None
    loi_signed_on: date | None
    deposit_amount: Decimal | None
    deposit_status: DepositStatus | None
    contacts: list[ContactRead]
    follow_ups: list[FollowUpRead]
    stage_changes: list[StageChangeRead]
    deposit_changes: list[DepositChangeRead]


class FunnelStep(BaseModel):
    stage: Stage
    reached: int = Field(description="leads that got this far (lost ones included)")
    rate: Decimal | None = Field(description="share of all leads that got this far")


class SourceFigures(BaseModel):
    source: LeadSource
    leads: int
    won: int
    lost: int
    open: int
    conversion: Decimal | None = Field(description="won / leads")


class LeadReport(BaseModel):
    first: date | None
    last: date | None
    leads: int
    funnel: list[FunnelStep]
    by_source: list[SourceFigures]
    lost_reasons: dict[str, int]

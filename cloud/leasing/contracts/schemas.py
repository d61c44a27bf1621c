"""What the contracts API reads and writes. Terms travel in the compiler's own JSON shape
(`cloud.leasing.terms_schemas.ContractTerms`); money travels as strings."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from cloud.identity.models import Role
from cloud.leasing.contracts.models import (
    ContractStatus,
    Decision,
    SettlementLineKind,
    VersionStatus,
)
from cloud.leasing.terms_schemas import ContractTerms
from protocols.codes import Code

FEN = Decimal("0.01")
MoneyIn = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=2, allow_inf_nan=False),
    AfterValidator(lambda amount: amount.quantize(FEN)),  # "5000" is 5000.00
]
TariffIn = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=4, allow_inf_nan=False)]
Text = Annotated[str, Field(max_length=20_000)]

Action = Literal[
    "edit",
    "delete",
    "submit",
    "approve",
    "reject",
    "sign",
    "activate",
    "amend",
    "renew",
    "terminate",
]


class Deposit(BaseModel):
    """A deposit held under the contract (押金), by fee item or any other name (装修押金)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(min_length=1, max_length=200)
    amount: MoneyIn = Field(gt=0)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VersionFields(_Body):
    """What a draft version holds besides its terms; omitted means unchanged (or empty)."""

    electricity_tariff: TariffIn | None = Field(default=None, description="CNY per kWh")
    deposits: list[Deposit] | None = None
    usage_restrictions: Text | None = Field(default=None, description="用途限制")
    special_clauses: Text | None = Field(default=None, description="特别条款")

    @field_validator("deposits")
    @classmethod
    def _one_per_item(cls, deposits: list[Deposit] | None) -> list[Deposit] | None:
        items = [d.item for d in deposits or ()]
        if len(set(items)) != len(items):
            raise ValueError("one deposit per item")
        return deposits


class ContractCreate(VersionFields):
    code: Code | None = Field(default=None, description="default: the next HT-{year}-NNNN")
    tenant_code: Code
    terms: ContractTerms
    electricity_tariff: TariffIn = Field(description="CNY per kWh")


class ContractUpdate(VersionFields):
    """Changes to the open draft (the original, or an amendment)."""

    tenant_code: Code | None = Field(default=None, description="the original draft only")
    terms: ContractTerms | None = None
    effective_from: date | None = Field(default=None, description="amendments only")
    note: Text | None = None


class AmendmentCreate(VersionFields):
    terms: ContractTerms | None = Field(default=None, description="default: the terms in force")
    effective_from: date | None = Field(
        default=None, description="charges from this day on are regenerated; default: today"
    )
    note: Text = ""


class RenewalCreate(_Body):
    code: Code | None = Field(default=None, description="default: the next HT-{year}-NNNN")
    end: date | None = Field(default=None, description="default: as many months as the old term")


class Termination(_Body):
    last_day: date = Field(description="the last day the tenant rents (org-local)")
    reason: str = Field(min_length=1, max_length=2_000)
    penalty: MoneyIn = Field(default=Decimal("0.00"), ge=0, description="违约金, CNY")


class Rejection(_Body):
    reason: str = Field(min_length=1, max_length=2_000)


class ApprovalNote(_Body):
    note: str = Field(default="", max_length=2_000)


class ApprovalStepsUpdate(_Body):
    roles: list[Role] = Field(min_length=1, max_length=10, description="step 1 first")


# --- reads -----------------------------------------------------------------------------------


class ChargeLine(BaseModel):
    """One row of a charge schedule (compiled, or stored with its `posted` flag)."""

    due_date: date
    period_start: date
    period_end: date
    item: str
    amount: Decimal
    posted: bool | None = Field(default=None, description="stored charges only")
    version: int | None = Field(default=None, description="stored charges: which version")


class Schedule(BaseModel):
    rows: list[ChargeLine]
    totals: dict[str, Decimal] = Field(description="by fee item")
    total: Decimal


class DiffLine(BaseModel):
    """A charge from the effective date on that an amendment (or termination) changes.

    `applied` is false where a posted charge (or one before the effective date) covers the
    period: that charge stays as it is, and the difference needs an adjustment instead.
    """

    change: Literal["added", "removed", "changed"]
    item: str
    period_start: date
    period_end: date
    due_date: date
    old_amount: Decimal | None
    new_amount: Decimal | None
    applied: bool


class ScheduleDiff(BaseModel):
    effective_from: date
    lines: list[DiffLine]
    old_total: Decimal = Field(description="stored charges ending on or after effective_from")
    new_total: Decimal = Field(description="new schedule's charges ending on or after it")
    difference: Decimal


class ApprovalRead(BaseModel):
    approval_round: int
    step: int
    role: Role
    decision: Decision
    reason: str
    username: str
    display_name: str
    decided_at: datetime


class VersionRead(BaseModel):
    number: int
    status: VersionStatus
    terms: ContractTerms
    electricity_tariff: Decimal
    deposits: list[Deposit]
    usage_restrictions: str
    special_clauses: str
    effective_from: date | None
    note: str
    approval_roles: list[Role]
    created_at: datetime
    submitted_at: datetime | None
    signed_at: datetime | None
    approvals: list[ApprovalRead]


class ContractSummary(BaseModel):
    code: str
    tenant_code: str
    tenant_name: str
    status: ContractStatus
    start_date: date
    end_date: date
    terminated_on: date | None
    unit_codes: list[str]
    renewal_of: str | None


class ContractRead(ContractSummary):
    versions: list[VersionRead]
    current_version: int = Field(description="the version in force (1 before signing)")
    open_version: int | None = Field(description="the version being drafted or approved")
    next_step: Role | None = Field(description="who approves next, while submitted")
    lease_codes: list[str]
    renewed_by: list[str]
    signed_at: datetime | None
    activated_at: datetime | None
    actions: list[Action] = Field(description="what the caller may do now")


class SettlementLineRead(BaseModel):
    kind: SettlementLineKind
    item: str
    period_start: date | None
    period_end: date | None
    amount: Decimal


class SettlementRead(BaseModel):
    contract_code: str
    last_day: date
    reason: str
    lines: list[SettlementLineRead]
    total: Decimal = Field(description="> 0: the tenant pays; < 0: refunded to the tenant")
    created_at: datetime


class AlertRead(BaseModel):
    id: int
    contract_code: str
    tenant_name: str
    threshold_days: int
    end_date: date
    raised_on: date
    acknowledged_at: datetime | None

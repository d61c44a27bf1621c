"""What the tenant services API takes and returns."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from cloud.tenant_services.models import (
    Audience,
    FitOutState,
    MoveOutState,
    RequestKind,
    RequestState,
)


class NoticeCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)
    audience: Audience = Audience.all
    site_code: str | None = None
    building_code: str | None = None


class NoticeRead(BaseModel):
    id: int
    title: str
    body: str
    audience: Audience
    where: str | None
    published_at: datetime
    read: bool | None = None  # for a tenant: whether they have read it


class RequestCreate(BaseModel):
    kind: RequestKind
    details: str = Field(min_length=1, max_length=2000)
    wanted_on: date | None = None


class RequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    kind: RequestKind
    details: str
    wanted_on: date | None
    state: RequestState
    requested_at: datetime
    done_at: datetime | None
    tenant_code: str


class SurveyCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    questions: list[str] = Field(min_length=1, max_length=30)


class SurveyAnswer(BaseModel):
    scores: list[int] = Field(min_length=1)
    comment: str | None = Field(default=None, max_length=2000)


class SurveyRead(BaseModel):
    id: int
    title: str
    questions: list[str]
    open: bool
    answered: bool | None = None


class SurveyResults(BaseModel):
    id: int
    title: str
    responses: int
    averages: list[Decimal | None]  # per question, to two places
    comments: list[str]


class FitOutCreate(BaseModel):
    unit_code: str
    description: str = Field(min_length=1, max_length=5000)
    contractor: str = Field(min_length=1, max_length=200)
    planned_start: date
    planned_end: date


class FitOutDecision(BaseModel):
    approve: bool
    note: str | None = Field(default=None, max_length=2000)


class DepositRecord(BaseModel):
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)


class FitOutStepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step: FitOutState
    approved: bool
    at: datetime
    note: str | None


class FitOutRead(BaseModel):
    code: str
    tenant_code: str
    unit_code: str
    description: str
    contractor: str
    planned_start: date
    planned_end: date
    state: FitOutState
    deposit_amount: Decimal | None
    drawings: list[str]
    steps: list[FitOutStepRead]


class MoveOutCreate(BaseModel):
    tenant_code: str
    unit_code: str
    planned_on: date


class MoveOutUpdate(BaseModel):
    checklist: dict[str, bool] = Field(default_factory=dict)
    final_readings: dict[str, Decimal] = Field(default_factory=dict)


class Settlement(BaseModel):
    deposit_held: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    deductions: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


class MoveOutRead(BaseModel):
    code: str
    tenant_code: str
    unit_code: str
    planned_on: date
    checklist: dict[str, bool]
    final_readings: dict[str, str]
    state: MoveOutState
    deposit_held: Decimal | None
    deductions: Decimal | None
    refund: Decimal | None

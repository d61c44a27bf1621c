"""What the equipment and maintenance API takes and returns."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from cloud.maintenance.models import EventKind, Every, Kind, Status, Trigger


class EquipmentCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    building_code: str
    unit_code: str | None = None
    location: str | None = Field(default=None, max_length=200)
    installed_on: date | None = None


class EquipmentRead(BaseModel):
    code: str
    name: str
    kind: Kind
    building_code: str
    unit_code: str | None
    location: str | None
    status: Status
    installed_on: date | None


class EquipmentEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: EventKind
    note: str | None
    work_order_code: str | None = None


class EquipmentDetail(EquipmentRead):
    history: list[EquipmentEventRead]


class StatusChange(BaseModel):
    status: Status
    note: str | None = Field(default=None, max_length=500)


class WorkOrderLink(BaseModel):
    work_order_code: str


class ReadingCreate(BaseModel):
    metric: str = Field(min_length=1, max_length=64)
    value: Decimal = Field(ge=0, max_digits=14, decimal_places=3)
    read_at: datetime | None = None


class PlanCreate(BaseModel):
    """A calendar plan gives `every` + `every_unit` (+ `weekday`) + `first_due_on`; a meter
    plan gives `metric` + `every_value` + `first_due_value`."""

    code: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    equipment_code: str
    category_code: str
    trigger: Trigger
    every: int = Field(default=1, ge=1, le=3650)
    every_unit: Every | None = None
    weekday: int | None = Field(default=None, ge=0, le=6)
    first_due_on: date | None = None
    metric: str | None = Field(default=None, max_length=64)
    every_value: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=3)
    first_due_value: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=3)


class PlanRead(BaseModel):
    code: str
    title: str
    equipment_code: str
    category_code: str
    trigger: Trigger
    every: int
    every_unit: Every | None
    weekday: int | None
    next_due_on: date | None
    metric: str | None
    every_value: Decimal | None
    next_due_value: Decimal | None
    active: bool


class OpenedOrder(BaseModel):
    plan_code: str
    due: str
    work_order_code: str


# --- inspections -------------------------------------------------------------------------


class ChecklistCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    items: list[str] = Field(min_length=1, max_length=50)


class ChecklistRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    items: list[str]


class CheckpointCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    checklist_code: str
    category_code: str
    building_code: str | None = None
    unit_code: str | None = None
    equipment_code: str | None = None


class RouteCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    checkpoints: list[CheckpointCreate] = Field(min_length=1, max_length=200)


class CheckpointRead(BaseModel):
    code: str
    name: str
    position: int
    token: str
    checklist: ChecklistRead
    category_code: str


class RouteRead(BaseModel):
    code: str
    name: str
    active: bool
    checkpoints: list[CheckpointRead]


class ResultCreate(BaseModel):
    """Items not listed in `failed_items` were found in order."""

    failed_items: list[str] = Field(default_factory=list)
    note: str | None = Field(default=None, max_length=2000)


class ResultRead(BaseModel):
    id: int
    checkpoint_code: str
    checkpoint_name: str
    recorded_at: datetime
    failed_items: list[str]
    note: str | None
    work_order_code: str | None
    photos: int


class RoundRead(BaseModel):
    id: int
    route_code: str
    route_name: str
    inspector: str
    started_at: datetime
    finished_at: datetime | None
    results: list[ResultRead]
    remaining: list[str]

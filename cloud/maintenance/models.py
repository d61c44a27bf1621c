"""The equipment ledger, its history and readings, and preventive maintenance plans."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Identity,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, UTCDateTime, utcnow
from cloud.properties.models import Building, Unit

MeterValue = Numeric(14, 3)


class Kind(enum.StrEnum):
    lift = "lift"
    hvac = "hvac"
    fire = "fire"
    pump = "pump"
    power = "power"
    other = "other"


class Status(enum.StrEnum):
    in_service = "in_service"
    faulty = "faulty"
    maintenance = "maintenance"
    retired = "retired"


class EventKind(enum.StrEnum):
    created = "created"
    status = "status"
    work_order = "work_order"
    maintenance = "maintenance"  # a plan's due occurrence opened a work order
    reading = "reading"


class Trigger(enum.StrEnum):
    calendar = "calendar"
    meter = "meter"


class Every(enum.StrEnum):
    day = "day"
    week = "week"
    month = "month"


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=16, create_constraint=True, name=name)


class Equipment(Base):
    """A lift, air handler, fire pump, switchboard… coded like `LIFT-A-01`, in a building
    (and a unit when it serves one)."""

    __tablename__ = "equipment"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[Kind] = mapped_column(_enum(Kind, "kind"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    location: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), default=Status.in_service)
    installed_on: Mapped[date | None]

    building: Mapped[Building] = relationship(lazy="joined", innerjoin=True)
    unit: Mapped[Unit | None] = relationship(lazy="joined")


class EquipmentEvent(Base):
    """The history of a piece of equipment: status changes, work orders, maintenance, readings."""

    __tablename__ = "equipment_events"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "kind"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)


class EquipmentReading(Base):
    """A meter value read off equipment (running hours, kWh, starts), cumulative."""

    __tablename__ = "equipment_readings"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(MeterValue)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MaintenancePlan(Base):
    """Preventive maintenance of one piece of equipment: by the calendar (every N days, weeks
    or months, optionally on a weekday) or by a meter value (every N running hours, kWh…).
    `next_due_on` / `next_due_value` is the occurrence the job opens a work order for next."""

    __tablename__ = "maintenance_plans"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    category_code: Mapped[str] = mapped_column(String(64))  # the work orders' category
    trigger: Mapped[Trigger] = mapped_column(_enum(Trigger, "trigger"))
    every: Mapped[int]
    every_unit: Mapped[Every | None] = mapped_column(_enum(Every, "every_unit"))
    weekday: Mapped[int | None]  # Monday is 0
    next_due_on: Mapped[date | None]
    metric: Mapped[str | None] = mapped_column(String(64))
    every_value: Mapped[Decimal | None] = mapped_column(MeterValue)
    next_due_value: Mapped[Decimal | None] = mapped_column(MeterValue)
    active: Mapped[bool] = mapped_column(default=True)

    equipment: Mapped[Equipment] = relationship(lazy="joined", innerjoin=True)


class PlanOccurrence(Base):
    """A due occurrence of a plan and the work order it opened: one per occurrence, whoever
    runs the job and however often."""

    __tablename__ = "maintenance_occurrences"
    __table_args__ = (UniqueConstraint("plan_id", "due_key"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("maintenance_plans.id"), index=True)
    due_key: Mapped[str] = mapped_column(String(64))  # `2026-03-02` or `hours=1500.000`
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- inspections -------------------------------------------------------------------------


class Checklist(Base):
    """What to look at, item by item (e.g. the street-shop patrol: open for business, signage,
    outdoor display within its line, hygiene, safety)."""

    __tablename__ = "inspection_checklists"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[str]] = mapped_column(JSON)


class Route(Base):
    """An inspection route: checkpoints walked in order."""

    __tablename__ = "inspection_routes"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    checkpoints: Mapped[list["Checkpoint"]] = relationship(
        lazy="selectin", order_by="Checkpoint.position", viewonly=True
    )


class Checkpoint(Base):
    """A place on a route with a QR code; scanning it opens the checklist to record. `token`
    is what the QR code carries: unguessable, so a code on a wall reveals nothing else."""

    __tablename__ = "inspection_checkpoints"
    __table_args__ = (UniqueConstraint("route_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("inspection_routes.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    token: Mapped[str] = mapped_column(String(64), unique=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("inspection_checklists.id"))
    category_code: Mapped[str] = mapped_column(String(64))  # of the order an anomaly opens
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"))

    checklist: Mapped[Checklist] = relationship(lazy="joined", innerjoin=True)
    route: Mapped[Route] = relationship(lazy="joined", innerjoin=True, viewonly=True)


class InspectionRound(Base):
    """One walk of a route by an inspector."""

    __tablename__ = "inspection_rounds"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("inspection_routes.id"), index=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    route: Mapped[Route] = relationship(lazy="joined", innerjoin=True)


class CheckpointResult(Base):
    """What the inspector found at a checkpoint on a round: each item ok or not, a note, and
    the work order an anomaly opened."""

    __tablename__ = "inspection_results"
    __table_args__ = (UniqueConstraint("round_id", "checkpoint_id"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_rounds.id"), index=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("inspection_checkpoints.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failed_items: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))

    checkpoint: Mapped[Checkpoint] = relationship(lazy="joined", innerjoin=True)


class InspectionPhoto(Base):
    """A photo taken at a checkpoint, checked to be an image like work order photos."""

    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("inspection_results.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""The equipment ledger, its history and readings, and preventive maintenance plans."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Identity, Numeric, String, Text, UniqueConstraint
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

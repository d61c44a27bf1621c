"""Work orders and what hangs off them: categories with SLA targets, who can fix what where,
the state history, materials and labour, photos and signatures, escalations, charges."""

import enum
from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, Money, UTCDateTime, utcnow
from cloud.identity.models import User
from cloud.leasing.models import Tenant
from cloud.properties.models import Building, Unit

Quantity = Numeric(12, 3)


class Source(enum.StrEnum):
    tenant = "tenant"
    staff = "staff"
    alarm = "alarm"


class Priority(enum.StrEnum):
    urgent = "urgent"
    high = "high"
    normal = "normal"
    low = "low"


class State(enum.StrEnum):
    new = "new"
    assigned = "assigned"
    accepted = "accepted"
    in_progress = "in_progress"
    on_hold = "on_hold"
    done = "done"
    closed = "closed"  # verified and closed


class EventKind(enum.StrEnum):
    created = "created"
    transition = "transition"
    alarm_repeat = "alarm_repeat"
    escalated = "escalated"
    note = "note"


class AttachmentKind(enum.StrEnum):
    photo = "photo"
    signature = "signature"


class Clock(enum.StrEnum):
    """The two SLA clocks: until someone accepts the job, and until it is done."""

    response = "response"
    resolution = "resolution"


class ChargeStatus(enum.StrEnum):
    pending = "pending"  # waits for the tenant's next bill
    billed = "billed"  # taken onto a bill by billing
    void = "void"  # the work was reopened before billing took it


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=16, create_constraint=True, name=name)


class WorkCalendar(Base):
    """An org's working hours for SLA clocks; an org without one works 09:00–18:00 Mon–Fri
    with China's public holidays and make-up days."""

    __tablename__ = "work_calendars"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), unique=True)
    day_start: Mapped[time] = mapped_column(Time())
    day_end: Mapped[time] = mapped_column(Time())
    weekdays: Mapped[str] = mapped_column(String(7), default="01234")  # Monday is 0
    holiday_country: Mapped[str | None] = mapped_column(String(8), default="CN")


class Category(Base):
    """A kind of job (electrical, plumbing…): the skill a job needs, its supervisor and the
    labour rate it is charged at."""

    __tablename__ = "work_order_categories"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    labour_rate: Mapped[Decimal] = mapped_column(Money)  # CNY per hour
    active: Mapped[bool] = mapped_column(default=True)


class SlaTarget(Base):
    """Response and resolution targets, in business minutes, for a category and priority."""

    __tablename__ = "work_order_slas"
    __table_args__ = (
        UniqueConstraint("category_id", "priority"),
        CheckConstraint(
            "response_minutes > 0 AND resolution_minutes >= response_minutes",
            name="targets_in_order",
        ),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("work_order_categories.id"), index=True)
    priority: Mapped[Priority] = mapped_column(_enum(Priority, "priority"))
    response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]


class EngineerSkill(Base):
    """An engineer can take jobs of a category."""

    __tablename__ = "engineer_skills"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("work_order_categories.id"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)


class EngineerBuilding(Base):
    """An engineer looks after a building (is based there)."""

    __tablename__ = "engineer_buildings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)


class WorkOrder(Base):
    """A job coded like `WO-2026-0001`. Due instants come from the category's SLA on the org's
    business calendar; an alarm's job keeps its alarm key while open, so repeats join it."""

    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("org_id", "code"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        # One open job per alarm: a storm of repeats can never open a second one.
        Index(
            "uq_work_orders_open_alarm",
            "org_id",
            "alarm_key",
            unique=True,
            postgresql_where=text("alarm_key IS NOT NULL AND state <> 'closed'"),
            sqlite_where=text("alarm_key IS NOT NULL AND state <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    source: Mapped[Source] = mapped_column(_enum(Source, "source"))
    category_id: Mapped[int] = mapped_column(ForeignKey("work_order_categories.id"), index=True)
    priority: Mapped[Priority] = mapped_column(_enum(Priority, "priority"))
    state: Mapped[State] = mapped_column(_enum(State, "state"), default=State.new)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    location: Mapped[str | None] = mapped_column(String(200))
    alarm_key: Mapped[str | None] = mapped_column(String(200))
    alarm_count: Mapped[int] = mapped_column(default=0)
    last_alarm_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    response_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    chargeable: Mapped[bool] = mapped_column(default=False)
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    tenant: Mapped[Tenant | None] = relationship(lazy="joined")
    unit: Mapped[Unit | None] = relationship(lazy="joined")
    building: Mapped[Building | None] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[assignee_id])
    reported_by: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[reported_by_id])
    events: Mapped[list["WorkOrderEvent"]] = relationship(
        lazy="selectin", order_by="WorkOrderEvent.id", viewonly=True
    )
    materials: Mapped[list["Material"]] = relationship(
        lazy="selectin", order_by="Material.id", viewonly=True
    )
    labour: Mapped[list["Labour"]] = relationship(
        lazy="selectin", order_by="Labour.id", viewonly=True
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        lazy="selectin", order_by="Attachment.id", viewonly=True
    )


class WorkOrderEvent(Base):
    """The history of a job: who moved it from which state to which, and notes."""

    __tablename__ = "work_order_events"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "kind"))
    from_state: Mapped[State | None] = mapped_column(_enum(State, "from_state"))
    to_state: Mapped[State | None] = mapped_column(_enum(State, "to_state"))
    note: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship(lazy="joined")


class Material(Base):
    """Material used on a job, priced to the fen as recorded."""

    __tablename__ = "work_order_materials"
    __table_args__ = (CheckConstraint("quantity > 0 AND unit_price >= 0", name="positive"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    item: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Labour(Base):
    """Time someone spent on a job, priced at an hourly rate to the fen as recorded."""

    __tablename__ = "work_order_labour"
    __table_args__ = (CheckConstraint("minutes > 0 AND hourly_rate >= 0", name="positive"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    minutes: Mapped[int]
    hourly_rate: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    worker: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class Attachment(Base):
    """A photo of the job or the tenant's signature; an image kept in the database so it
    commits or rolls back with the job it belongs to."""

    __tablename__ = "work_order_attachments"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    kind: Mapped[AttachmentKind] = mapped_column(_enum(AttachmentKind, "kind"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Escalation(Base):
    """A job past an SLA due instant, escalated to a supervisor (once per clock and due)."""

    __tablename__ = "work_order_escalations"
    __table_args__ = (UniqueConstraint("work_order_id", "clock", "due_at"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    clock: Mapped[Clock] = mapped_column(_enum(Clock, "clock"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    work_order: Mapped[WorkOrder] = relationship(lazy="joined", innerjoin=True)
    supervisor: Mapped[User | None] = relationship(lazy="joined")


class WorkOrderCharge(Base):
    """Chargeable work waiting for the tenant's next bill; billing takes `pending` ones."""

    __tablename__ = "work_order_charges"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    description: Mapped[str] = mapped_column(String(200))
    materials_amount: Mapped[Decimal] = mapped_column(Money)
    labour_amount: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[ChargeStatus] = mapped_column(_enum(ChargeStatus, "status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    work_order: Mapped[WorkOrder] = relationship(lazy="joined", innerjoin=True)
    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)

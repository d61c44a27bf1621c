"""Parking: gates, fee rules per site, vehicles, monthly passes and tenant quotas, sessions
made from gate events with their payments, and the allow-list versions sent to each site."""

import enum
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Identity,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, Money, UTCDateTime, utcnow
from cloud.leasing.models import Tenant
from cloud.properties.models import Site

Share = Numeric(5, 4)


class Direction(enum.StrEnum):
    entry = "entry"
    exit = "exit"


class SessionState(enum.StrEnum):
    open = "open"  # parked
    closed = "closed"  # left, billed
    review = "review"  # implausible: a person decides instead of a bill
    waived = "waived"  # closed with the fee waived, for a reason


class SessionKind(enum.StrEnum):
    temporary = "temporary"  # pays by the fee rules
    monthly = "monthly"  # held a valid monthly pass on entry
    tenant = "tenant"  # a tenant's registered vehicle
    visitor = "visitor"  # a booked visitor


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=16, create_constraint=True, name=name)


class Gate(Base):
    """A barrier lane of a site, by the code the edge agent reports in gate events."""

    __tablename__ = "parking_gates"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "direction"))


class FeeRuleSet(Base):
    """A site's fee rules (`cloud.parking.fees.FeeRules` as a row); one per site."""

    __tablename__ = "parking_fee_rules"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), unique=True)
    free_minutes: Mapped[int]
    first_minutes: Mapped[int]
    first_price: Mapped[Decimal] = mapped_column(Money)
    increment_minutes: Mapped[int]
    increment_price: Mapped[Decimal] = mapped_column(Money)
    daily_cap: Mapped[Decimal] = mapped_column(Money)
    night_start: Mapped[time | None] = mapped_column(Time())
    night_end: Mapped[time | None] = mapped_column(Time())
    night_price: Mapped[Decimal] = mapped_column(Money)
    new_energy_discount: Mapped[Decimal] = mapped_column(Share)
    leave_minutes: Mapped[int]
    review_after_days: Mapped[int] = mapped_column(default=7)
    """A stay longer than this goes to review instead of being billed."""


class Vehicle(Base):
    """A known vehicle by its normalised plate; a tenant's when `tenant_id` is set."""

    __tablename__ = "vehicles"
    __table_args__ = (UniqueConstraint("org_id", "plate"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    plate: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    new_energy: Mapped[bool] = mapped_column(default=False)
    owner_name: Mapped[str | None] = mapped_column(String(200))

    tenant: Mapped[Tenant | None] = relationship(lazy="joined")


class PassQuota(Base):
    """How many monthly passes a tenant may hold at once at a site (from its lease)."""

    __tablename__ = "parking_pass_quotas"
    __table_args__ = (
        UniqueConstraint("tenant_id", "site_id"),
        CheckConstraint("max_passes >= 0", name="max_passes_not_negative"),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    max_passes: Mapped[int]


class MonthlyPass(Base):
    """A vehicle may park at a site from `valid_from` to `valid_to` (org-local dates, both
    included), and `grace_days` after it while the renewal is being paid."""

    __tablename__ = "parking_passes"
    __table_args__ = (
        UniqueConstraint("org_id", "code"),
        CheckConstraint("valid_to >= valid_from", name="dates_in_order"),
        CheckConstraint("grace_days >= 0", name="grace_not_negative"),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    grace_days: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[bool] = mapped_column(default=False)

    vehicle: Mapped[Vehicle] = relationship(lazy="joined", innerjoin=True)
    site: Mapped[Site] = relationship(lazy="joined", innerjoin=True)


class ParkingSession(Base):
    """One stay: from an entry event to an exit event. An exit with no entry, or a stay too
    long to be believed, is put in `review` with the reason instead of billed."""

    __tablename__ = "parking_sessions"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    plate: Mapped[str] = mapped_column(String(16), index=True)
    exit_plate: Mapped[str | None] = mapped_column(String(16))
    """The plate as read at the exit, when the match forgave a misread."""
    kind: Mapped[SessionKind] = mapped_column(_enum(SessionKind, "session_kind"))
    state: Mapped[SessionState] = mapped_column(_enum(SessionState, "session_state"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"), index=True)
    new_energy: Mapped[bool] = mapped_column(default=False)
    entry_gate_id: Mapped[int | None] = mapped_column(ForeignKey("parking_gates.id"), index=True)
    exit_gate_id: Mapped[int | None] = mapped_column(ForeignKey("parking_gates.id"), index=True)
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    exited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fee: Mapped[Decimal | None] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str | None] = mapped_column(String(200))
    waived_reason: Mapped[str | None] = mapped_column(Text)
    waived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    vehicle: Mapped[Vehicle | None] = relationship(lazy="joined")
    entry_gate: Mapped[Gate | None] = relationship(lazy="joined", foreign_keys=[entry_gate_id])
    exit_gate: Mapped[Gate | None] = relationship(lazy="joined", foreign_keys=[exit_gate_id])


class ParkingPayment(Base):
    """Money taken for a session, at the exit or in advance. `reference` is the payments
    domain's id for it (a gateway order), so that domain can own the money later."""

    __tablename__ = "parking_payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("parking_sessions.id"), index=True)
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("parking_gates.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    method: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(64))


class AllowListVersion(Base):
    """An allow-list published to a site: its version and the digest of what it held, so an
    unchanged list is not published again."""

    __tablename__ = "allow_list_versions"
    __table_args__ = (UniqueConstraint("site_id", "version"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    version: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    plates: Mapped[int]
    credentials: Mapped[int]
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When it last reached the broker; None makes the next run publish it again."""


class EventCursor(Base):
    """How far a consumer of the `events` table (which has no org) has read, by name."""

    __tablename__ = "event_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(IdType, default=0)

"""Alarm rules (data an admin can change) and the alarms they raise."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Identity, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, UTCDateTime


class RuleKind(enum.StrEnum):
    meter_offline = "meter_offline"
    """Periodic: a meter has sent no reading for `minutes`."""
    consumption_baseline = "consumption_baseline"
    """Periodic: the last hour's energy is `factor` times the same hour of past weeks."""
    reverse_energy = "reverse_energy"
    """On ingest: active power below `below` kW, or the import register running backwards."""
    event = "event"
    """On ingest: a device or agent event named in `events` (door forced, outbox full...)."""


class Severity(enum.StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


class AlarmState(enum.StrEnum):
    raised = "raised"
    acknowledged = "acknowledged"
    cleared = "cleared"


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=32, create_constraint=True, name=name)


class AlarmRule(Base):
    __tablename__ = "alarm_rules"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RuleKind] = mapped_column(_enum(RuleKind, "kind"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    severity: Mapped[Severity] = mapped_column(_enum(Severity, "severity"))
    work_order_category: Mapped[str | None] = mapped_column(String(64))
    """A work-order category code: an alarm of this rule opens a job in it; none, no job."""
    enabled: Mapped[bool] = mapped_column(default=True)


class Alarm(Base):
    """One fault of one subject (a meter, an agent, a door) under one rule, from raised to
    cleared. Repeats while it is open count on it instead of raising another."""

    __tablename__ = "alarms"
    __table_args__ = (UniqueConstraint("org_id", "open_key"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alarm_rules.id"), index=True)
    subject: Mapped[str] = mapped_column(String(64))
    open_key: Mapped[str | None] = mapped_column(String(200))
    """`rule code:subject` while open, NULL once cleared: one open alarm per rule and subject
    (a unique NULL-able column, which both databases allow many NULLs of)."""
    state: Mapped[AlarmState] = mapped_column(_enum(AlarmState, "state"))
    message: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(default=1)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ack_note: Mapped[str] = mapped_column(Text, default="")
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    clear_note: Mapped[str] = mapped_column(Text, default="")
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))

    rule: Mapped[AlarmRule] = relationship(lazy="joined", innerjoin=True)

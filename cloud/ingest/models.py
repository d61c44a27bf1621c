"""Edge agents, what has been received from them, and what could not be taken in."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.base import Base, IdType, UTCDateTime


class EdgeAgent(Base):
    """One agent per building; its code is the `{agent}` of the MQTT topics."""

    __tablename__ = "edge_agents"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    online: Mapped[bool] = mapped_column(default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    config_hash: Mapped[str | None] = mapped_column(String(64))


class IngestReceipt(Base):
    """A record `(agent, boot, seq)` that is committed: what makes a resent record a no-op.
    No foreign key to `edge_agents` (checked row by row, it cost a third of claiming receipts):
    ingest takes `agent_id` from the agent it has just looked up, and agents are not deleted."""

    __tablename__ = "ingest_receipts"

    agent_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    boot: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class AgentStream(Base):
    """Per agent and boot: the highest seq such that every seq up to it is committed."""

    __tablename__ = "agent_streams"

    agent_id: Mapped[int] = mapped_column(ForeignKey("edge_agents.id"), primary_key=True)
    boot: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class DeviceEvent(Base):
    """Something a device reported happening (an `event` record), with its JSON data; or the
    agent itself (`agent_id`, no device: its outbox nearly full, telemetry it dropped)."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(
            "device_id IS NOT NULL OR agent_id IS NOT NULL", name="of_a_device_or_an_agent"
        ),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("edge_agents.id"), index=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    event: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))


class DeadLetter(Base):
    """An uplink message (or one record of it) the cloud could not take in, kept verbatim with
    the reason; an oversized payload keeps only its beginning, and `payload_size` its size."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    topic: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    payload_size: Mapped[int] = mapped_column(BigInteger)
    cause: Mapped[str] = mapped_column(String(32))
    """One word to count by (`cloud.ingest.checks.Cause`); `reason` says what was wrong."""
    reason: Mapped[str] = mapped_column(Text)


class DeadLetterReplay(Base):
    """A dead letter submitted again (after a fix, e.g. its agent got registered): the letter
    stays, marked by this row; what failed again is a new dead letter."""

    __tablename__ = "dead_letter_replays"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    dead_letter_id: Mapped[int] = mapped_column(ForeignKey("dead_letters.id"), index=True)
    replayed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replayed_by: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    """`data`, `status` or `dead_letter`, as ingest took it this time."""
    written: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str | None] = mapped_column(Text)

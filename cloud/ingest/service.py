"""Take in one uplink message: write a data batch idempotently and say what to ack, or keep the
message (or a record of it that cannot be stored) as a dead letter with the reason. The caller
owns the transaction and publishes the acks only after it commits."""

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cloud.db.upsert import insert_ignoring_duplicates
from cloud.energy.models import Meter, Reading
from cloud.ingest.models import AgentStream, DeadLetter, DeviceEvent, EdgeAgent, IngestReceipt
from cloud.properties.models import Site
from protocols import topics
from protocols.messages import Ack, DataBatch, EventRecord, ReadingRecord, Status

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AckToSend:
    site: str
    agent: str
    ack: Ack

    @property
    def topic(self) -> str:
        return topics.ack(self.site, self.agent)


@dataclass(frozen=True)
class IngestOutcome:
    kind: Literal["data", "status", "dead_letter"]
    acks: tuple[AckToSend, ...] = ()
    written: int = 0
    """Records new to the cloud and stored; `duplicates` were already committed before."""
    duplicates: int = 0
    dead_lettered: int = 0
    """Records new to the cloud but kept as dead letters (e.g. of a device not registered yet)."""
    reason: str | None = None
    """Why the message, or some of its records, went to the dead letters."""


class _Rejected(Exception):
    """The message cannot be taken in; `str()` says why, for the dead letter."""


def ingest_message(
    *, session: Session, topic: str, payload: bytes, received_at: datetime
) -> IngestOutcome:
    """Take in one message from `parkops/v1/+/+/up/#`; flushes, never commits."""
    try:
        parsed = _parse_topic(topic)
        if parsed.direction != "up":
            raise _Rejected(f"the cloud takes only uplink topics, not {parsed.direction}")
        if parsed.name == "data":
            return _ingest_data(session, parsed, payload, received_at)
        if parsed.name == "status":
            return _ingest_status(session, parsed, payload, received_at)
        raise _Rejected(f"no handler for up/{parsed.name} yet")
    except _Rejected as exc:
        reason = str(exc)
    session.add(DeadLetter(received_at=received_at, topic=topic, payload=payload, reason=reason))
    session.flush()
    return IngestOutcome(kind="dead_letter", reason=reason)


def _ingest_data(
    session: Session, topic: topics.Topic, payload: bytes, received_at: datetime
) -> IngestOutcome:
    # Every check of the whole batch comes before the first write, so a rejected batch leaves
    # nothing behind. Past them the batch is the agent's, and it is taken in and acked whole:
    # a record that cannot be stored (unknown device) becomes its own dead letter instead of
    # holding back the agent's stream.
    batch = _parse(DataBatch, payload)
    _check_names(topic, batch.site, batch.agent)
    strays = sorted({r.agent for r in batch.records if r.agent != batch.agent})
    if strays:
        raise _Rejected(f"records name agent(s) {', '.join(strays)} in a batch of {batch.agent}")
    agent = _find_agent(session, topic)
    meters = _find_devices(session, agent, {r.device for r in batch.records})

    keys = sorted({(r.boot, r.seq) for r in batch.records})
    inserted = session.execute(
        insert_ignoring_duplicates(session, IngestReceipt).returning(
            IngestReceipt.boot, IngestReceipt.seq
        ),
        [{"agent_id": agent.id, "boot": boot, "seq": seq} for boot, seq in keys],
    )
    new = {(boot, seq) for boot, seq in inserted}
    fresh = list({(r.boot, r.seq): r for r in batch.records if (r.boot, r.seq) in new}.values())
    known = [r for r in fresh if r.device in meters]
    unknown = [r for r in fresh if r.device not in meters]
    _write_readings(session, meters, (r for r in known if isinstance(r, ReadingRecord)))
    _write_events(session, meters, (r for r in known if isinstance(r, EventRecord)))
    _dead_letter_records(session, topic, agent, unknown, received_at)
    agent.last_seen_at = received_at
    acks = tuple(
        AckToSend(topic.site, topic.agent, Ack(boot=boot, seq=_advance(session, agent, boot)))
        for boot in sorted({boot for boot, _ in keys})
    )
    session.flush()
    devices = ", ".join(sorted({r.device for r in unknown}))
    return IngestOutcome(
        kind="data",
        acks=acks,
        written=len(known),
        duplicates=len(keys) - len(new),
        dead_lettered=len(unknown),
        reason=f"unknown device(s) {devices} for agent {agent.code}" if unknown else None,
    )


def _ingest_status(
    session: Session, topic: topics.Topic, payload: bytes, received_at: datetime
) -> IngestOutcome:
    status = _parse(Status, payload)
    _check_names(topic, status.site, status.agent)
    agent = _find_agent(session, topic)
    agent.online = status.online
    if status.online:
        agent.last_seen_at = received_at
    if status.config_hash is not None:
        agent.config_hash = status.config_hash
    session.flush()
    return IngestOutcome(kind="status")


def _parse_topic(topic: str) -> topics.Topic:
    try:
        return topics.parse(topic)
    except ValueError as exc:
        raise _Rejected(str(exc)) from None


M = TypeVar("M", DataBatch, Status)


def _parse(model: type[M], payload: bytes) -> M:
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        raise _Rejected(f"invalid {model.__name__}: {exc}") from None


def _check_names(topic: topics.Topic, site: str, agent: str) -> None:
    if (site, agent) != (topic.site, topic.agent):
        raise _Rejected(
            f"topic is for {topic.site}/{topic.agent} but the payload says {site}/{agent}"
        )


def _find_agent(session: Session, topic: topics.Topic) -> EdgeAgent:
    found = list(
        session.scalars(
            select(EdgeAgent)
            .join(Site, Site.id == EdgeAgent.site_id)
            .where(Site.code == topic.site, EdgeAgent.code == topic.agent)
        )
    )
    if len(found) != 1:
        problem = "unknown" if not found else "ambiguous (in several orgs)"
        raise _Rejected(f"{problem} agent {topic.agent} at site {topic.site}")
    return found[0]


def _find_devices(session: Session, agent: EdgeAgent, codes: set[str]) -> dict[str, Meter]:
    """The agent's registered devices among `codes`, by code; unknown codes are left out."""
    return {
        m.code: m
        for m in session.scalars(
            select(Meter).where(Meter.agent_id == agent.id, Meter.code.in_(codes))
        )
    }


def _dead_letter_records(
    session: Session,
    topic: topics.Topic,
    agent: EdgeAgent,
    records: Iterable[ReadingRecord | EventRecord],
    received_at: datetime,
) -> None:
    """Keep records of devices the cloud does not know, one dead letter each."""
    session.add_all(
        DeadLetter(
            received_at=received_at,
            topic=str(topic),
            payload=r.model_dump_json().encode(),
            reason=f"unknown device {r.device} for agent {agent.code} (boot {r.boot}, seq {r.seq})",
        )
        for r in records
    )


def _write_readings(
    session: Session, meters: dict[str, Meter], records: Iterable[ReadingRecord]
) -> None:
    rows = [
        {"device_id": meters[r.device].id, "metric": metric, "ts": r.ts, "value": value}
        for r in records
        for metric, value in r.values.items()
        if math.isfinite(value)  # NaN/inf is no measurement; SQLite would store it as NULL
    ]
    if rows:
        session.execute(insert_ignoring_duplicates(session, Reading), rows)


def _write_events(
    session: Session, meters: dict[str, Meter], records: Iterable[EventRecord]
) -> None:
    rows = [
        {"device_id": meters[r.device].id, "ts": r.ts, "event": r.event, "data": r.data}
        for r in records
    ]
    if rows:
        session.execute(insert(DeviceEvent), rows)


def _advance(session: Session, agent: EdgeAgent, boot: int) -> int:
    """Move the stream's acked seq over every receipt that now follows it without a gap."""
    session.execute(
        insert_ignoring_duplicates(session, AgentStream),
        [{"agent_id": agent.id, "boot": boot, "acked_seq": 0}],
    )
    stream = session.scalars(
        select(AgentStream)
        .where(AgentStream.agent_id == agent.id, AgentStream.boot == boot)
        .with_for_update()  # one writer per stream at a time, across ingest workers
        .execution_options(populate_existing=True)
    ).one()
    following = session.scalars(
        select(IngestReceipt.seq)
        .where(
            IngestReceipt.agent_id == agent.id,
            IngestReceipt.boot == boot,
            IngestReceipt.seq > stream.acked_seq,
        )
        .order_by(IngestReceipt.seq)
    )
    acked = stream.acked_seq
    for seq in following:
        if seq != acked + 1:
            break
        acked = seq
    stream.acked_seq = acked
    return acked

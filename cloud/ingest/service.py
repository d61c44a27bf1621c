"""Take in uplink messages: write data batches idempotently and say what to ack, or keep what
cannot be stored (a whole message, or single records of it) as dead letters with the reason.
The caller owns the transaction and publishes the acks only after it commits.

One path for both databases: `cloud.ingest.checks` decides what is acceptable, this module what
is new and where it goes, and only `cloud.ingest.bulk` differs between PostgreSQL and SQLite.
"""

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from typing import Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cloud.db.upsert import insert_ignoring_duplicates
from cloud.energy.models import Meter
from cloud.ingest.bulk import Key, ReadingRow, claim_receipts, insert_readings
from cloud.ingest.checks import (
    Cause,
    DataUplink,
    Refusal,
    Rejected,
    StatusUplink,
    Uplink,
    check_uplink,
)
from cloud.ingest.models import AgentStream, DeadLetter, DeviceEvent, EdgeAgent, IngestReceipt
from cloud.properties.models import Site
from protocols import topics
from protocols.gate import EQUIPMENT_EVENTS
from protocols.messages import Ack, EventRecord, ReadingRecord

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
    """Records new to the cloud but kept as dead letters (unknown device, time outside the
    window, content the database cannot hold)."""
    reason: str | None = None
    """Why the message, or some of its records, went to the dead letters."""


def ingest_message(
    *, session: Session, topic: str, payload: bytes, received_at: datetime
) -> IngestOutcome:
    """Take in one message from `parkops/v1/+/+/up/#`; flushes, never commits."""
    [outcome] = ingest_batch(session=session, uplinks=[check_uplink(topic, payload, received_at)])
    return outcome


def ingest_batch(*, session: Session, uplinks: Sequence[Uplink]) -> list[IngestOutcome]:
    """Take in checked messages, one outcome each, in one transaction (the caller's); flushes,
    never commits. The acks in the outcomes hold only once that transaction has committed."""
    agents = _Agents(session)
    outcomes: dict[int, IngestOutcome] = {}
    data: dict[int, _DataMessage] = {}
    statuses: dict[int, tuple[StatusUplink, EdgeAgent]] = {}
    for i, uplink in enumerate(uplinks):
        if isinstance(uplink, Rejected):
            _dead_letter(
                session,
                uplink.topic,
                uplink.payload,
                uplink.received_at,
                uplink.refusal,
                size=uplink.size,
            )
            outcomes[i] = IngestOutcome(kind="dead_letter", reason=uplink.refusal.reason)
            continue
        agent = agents.find(uplink.topic)
        if isinstance(agent, Refusal):
            _dead_letter(session, str(uplink.topic), uplink.payload, uplink.received_at, agent)
            outcomes[i] = IngestOutcome(kind="dead_letter", reason=agent.reason)
        elif isinstance(uplink, StatusUplink):
            statuses[i] = (uplink, agent)
        else:
            data[i] = _DataMessage(uplink, agent)
    _take_data(session, list(data.values()))
    outcomes.update({i: message.outcome() for i, message in data.items()})
    # Agents' rows change last, after the data has locked agents and streams in key order.
    outcomes.update({i: _take_status(*status) for i, status in statuses.items()})
    session.flush()
    return [outcomes[i] for i in range(len(uplinks))]


class _Agents:
    """Agents by site and agent code, each looked up once per batch."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.found: dict[tuple[str, str], EdgeAgent | Refusal] = {}

    def find(self, topic: topics.Topic) -> EdgeAgent | Refusal:
        key = (topic.site, topic.agent)
        if key not in self.found:
            self.found[key] = self._lookup(topic)
        return self.found[key]

    def _lookup(self, topic: topics.Topic) -> EdgeAgent | Refusal:
        found = list(
            self.session.scalars(
                select(EdgeAgent)
                .join(Site, Site.id == EdgeAgent.site_id)
                .where(Site.code == topic.site, EdgeAgent.code == topic.agent)
            )
        )
        if len(found) == 1:
            return found[0]
        problem = "unknown" if not found else "ambiguous (in several orgs)"
        return Refusal(Cause.UNKNOWN_AGENT, f"{problem} agent {topic.agent} at site {topic.site}")


def _later(seen: datetime | None, at: datetime) -> datetime:
    return at if seen is None else max(seen, at)


def _take_status(uplink: StatusUplink, agent: EdgeAgent) -> IngestOutcome:
    status = uplink.status
    agent.online = status.online
    if status.online:
        agent.last_seen_at = _later(agent.last_seen_at, uplink.received_at)
    if status.config_hash is not None:
        agent.config_hash = status.config_hash
    return IngestOutcome(kind="status")


@dataclass
class _DataMessage:
    """A data message of a known agent, and what became of its records."""

    uplink: DataUplink
    agent: EdgeAgent
    written: int = 0
    dead_lettered: int = 0
    unknown_devices: set[str] = field(default_factory=set)
    other_refusals: list[str] = field(default_factory=list)
    acks: dict[int, AckToSend] = field(default_factory=dict)

    def keys(self) -> set[Key]:
        return {(self.agent.id, r.boot, r.seq) for r in self.uplink.batch.records}

    def refused(self, record: ReadingRecord | EventRecord, refusal: Refusal) -> None:
        self.dead_lettered += 1
        if refusal.cause is Cause.UNKNOWN_DEVICE:
            self.unknown_devices.add(record.device)
        else:
            self.other_refusals.append(refusal.reason)

    def outcome(self) -> IngestOutcome:
        reasons = []
        if self.unknown_devices:
            devices = ", ".join(sorted(self.unknown_devices))
            reasons.append(f"unknown device(s) {devices} for agent {self.agent.code}")
        if self.other_refusals:
            refused = self.other_refusals
            reasons.append(f"{len(refused)} record(s) refused, the first: {refused[0]}")
        return IngestOutcome(
            kind="data",
            acks=tuple(self.acks[boot] for boot in sorted(self.acks)),
            written=self.written,
            duplicates=len(self.keys()) - self.written - self.dead_lettered,
            dead_lettered=self.dead_lettered,
            reason="; ".join(reasons) or None,
        )


def _take_data(session: Session, messages: list[_DataMessage]) -> None:
    """Store the records new to the cloud, or keep them as dead letters, and work out the acks.

    Every message here passed the checks of the whole message: it is the agent's, and it is
    taken in and acked whole. A record that cannot be stored becomes its own dead letter instead
    of holding back the agent's stream. A key's first copy in the batch is the one taken in;
    later copies, and keys committed before, are duplicates."""
    first: dict[Key, tuple[_DataMessage, int]] = {}
    for message in messages:
        for i, record in enumerate(message.uplink.batch.records):
            first.setdefault((message.agent.id, record.boot, record.seq), (message, i))
    new = claim_receipts(session, list(first))
    devices = _devices(session, messages)
    readings: list[ReadingRow] = []
    events: list[dict[str, Any]] = []
    for key, (message, i) in first.items():
        if key not in new:
            continue
        record = message.uplink.batch.records[i]
        device_id = devices.get((message.agent.id, record.device))
        refusal = message.uplink.refused.get(i)
        if refusal is None and _of_the_agent(message.agent, record):
            message.written += 1
            events.append(_agent_event_row(message.agent, record))
            continue
        if device_id is None or refusal is not None:
            refusal = refusal or _unknown_device(message.agent, record)
            message.refused(record, refusal)
            _dead_letter_record(session, message.uplink, record, refusal)
            continue
        message.written += 1
        if isinstance(record, ReadingRecord):
            readings.extend(_reading_rows(device_id, record))
        else:
            events.append(_event_row(device_id, message.agent.id, record))
    insert_readings(session, readings)
    if events:
        session.execute(insert(DeviceEvent), events)
    _advance_streams(session, messages)


def _devices(session: Session, messages: list[_DataMessage]) -> dict[tuple[int, str], int]:
    """The ids of the registered devices the batch names, by (agent id, code); unknown codes
    are left out. Plain rows, not ORM objects: nothing else of a meter is needed here."""
    wanted: dict[int, set[str]] = {}
    for message in messages:
        codes = wanted.setdefault(message.agent.id, set())
        codes.update(r.device for r in message.uplink.batch.records)
    found: dict[tuple[int, str], int] = {}
    for agent_id, codes in wanted.items():
        query = select(Meter.id, Meter.code).where(
            Meter.agent_id == agent_id, Meter.code.in_(codes)
        )
        found.update({(agent_id, code): id_ for id_, code in session.execute(query)})
    return found


def _unknown_device(agent: EdgeAgent, record: ReadingRecord | EventRecord) -> Refusal:
    return Refusal(
        Cause.UNKNOWN_DEVICE,
        f"unknown device {record.device} for agent {agent.code} "
        f"(boot {record.boot}, seq {record.seq})",
    )


def _reading_rows(device_id: int, record: ReadingRecord) -> Iterable[ReadingRow]:
    # In UTC, one tzinfo for all: a parsed time carries a tzinfo of its own, which every
    # comparison and every COPY of it calls back into (more than doubling what COPY costs).
    ts, values = record.ts.astimezone(UTC), record.values
    if all(map(math.isfinite, values.values())):
        return zip(repeat(device_id), values, repeat(ts), values.values())
    # NaN/inf is no measurement; SQLite would store it as NULL
    return ((device_id, m, ts, v) for m, v in values.items() if math.isfinite(v))


def _event_row(device_id: int, agent_id: int, record: EventRecord) -> dict[str, Any]:
    return {
        "device_id": device_id,
        "agent_id": agent_id,
        "ts": record.ts,
        "event": record.event,
        "data": record.data,
    }


def _of_the_agent(agent: EdgeAgent, record: ReadingRecord | EventRecord) -> bool:
    """An event the agent reports about itself names the agent as its device; one of its
    gates, doors or locks names that equipment, which the site config holds, not the cloud."""
    return isinstance(record, EventRecord) and (
        record.device == agent.code or record.event in EQUIPMENT_EVENTS
    )


def _agent_event_row(agent: EdgeAgent, record: ReadingRecord | EventRecord) -> dict[str, Any]:
    assert isinstance(record, EventRecord)
    return {
        "device_id": None,
        "agent_id": agent.id,
        "ts": record.ts,
        "event": record.event,
        "data": record.data,
    }


def _advance_streams(session: Session, messages: list[_DataMessage]) -> None:
    """Mark the agents seen and advance every stream the batch touched, both in key order, so
    concurrent workers lock agents and streams in the same order and never deadlock."""
    streams: dict[tuple[int, int], list[_DataMessage]] = {}
    for message in sorted(messages, key=lambda m: m.agent.id):
        agent, received_at = message.agent, message.uplink.received_at
        agent.last_seen_at = _later(agent.last_seen_at, received_at)
        for boot in {r.boot for r in message.uplink.batch.records}:
            streams.setdefault((agent.id, boot), []).append(message)
    session.flush()
    for (_, boot), touching in sorted(streams.items()):
        agent, site = touching[0].agent, touching[0].uplink.topic.site
        known = {r.seq for m in touching for r in m.uplink.batch.records if r.boot == boot}
        ack = AckToSend(site, agent.code, Ack(boot=boot, seq=_advance(session, agent, boot, known)))
        for message in touching:
            message.acks[boot] = ack


def _dead_letter_record(
    session: Session,
    uplink: DataUplink,
    record: ReadingRecord | EventRecord,
    refusal: Refusal,
) -> None:
    """Keep one record of a message as its own dead letter (its JSON as the payload)."""
    payload = record.model_dump_json().encode()
    _dead_letter(session, str(uplink.topic), payload, uplink.received_at, refusal)


def _dead_letter(
    session: Session,
    topic: str,
    payload: bytes,
    received_at: datetime,
    refusal: Refusal,
    *,
    size: int | None = None,
) -> None:
    session.add(
        DeadLetter(
            received_at=received_at,
            topic=topic,
            payload=payload,
            payload_size=len(payload) if size is None else size,
            cause=refusal.cause.value,
            reason=refusal.reason,
        )
    )


def dead_letter_whole(*, session: Session, uplink: Uplink, cause: Cause, reason: str) -> None:
    """Keep a message as a dead letter whatever it is: for one the database refused although
    every check let it through."""
    topic, size = str(uplink.topic), len(uplink.payload)
    if isinstance(uplink, Rejected):
        topic, size = uplink.topic, uplink.size
    refusal = Refusal(cause, reason)
    _dead_letter(session, topic, uplink.payload, uplink.received_at, refusal, size=size)
    session.flush()


def _advance(session: Session, agent: EdgeAgent, boot: int, known: set[int]) -> int:
    """Move the stream's acked seq over every receipt that now follows it without a gap.
    `known` are seqs of the stream that have receipts already (the batch's own, all claimed
    by now), so the run need not read them back."""
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
    stream.acked_seq = _end_of_run(session, agent.id, boot, stream.acked_seq, known)
    return stream.acked_seq


_RUN_CHUNK = 2_000


def _end_of_run(session: Session, agent_id: int, boot: int, acked: int, known: set[int]) -> int:
    """The last seq of the unbroken run of receipts that follows `acked` (`acked` when the
    next seq has not arrived). Over `known` seqs in memory; the rest read in chunks, so a gap
    early on costs one short read."""
    following = (
        select(IngestReceipt.seq)
        .where(IngestReceipt.agent_id == agent_id, IngestReceipt.boot == boot)
        .order_by(IngestReceipt.seq)
        .limit(_RUN_CHUNK)
    )
    while True:
        while acked + 1 in known:
            acked += 1
        seqs = session.scalars(following.where(IngestReceipt.seq > acked)).all()
        for seq in seqs:
            if seq != acked + 1:
                return acked
            acked = seq
        if len(seqs) < _RUN_CHUNK:
            return acked

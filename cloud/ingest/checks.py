"""What the cloud accepts from an edge agent, checked before the database is touched: the topic,
size and nesting of the payload, its schema, the names in it, the key ranges and each record's
time. Pure (no I/O) and total: whatever bytes arrive, `check_uplink` returns, never raises."""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, Final, TypeVar

from pydantic import ValidationError

from protocols import topics
from protocols.messages import DataBatch, EventRecord, ReadingRecord, Record, Status

MAX_PAYLOAD_BYTES: Final = 4 * 1024 * 1024
"""A full edge batch (10,000 records) is about 2.2 MiB; anything larger is not an agent's."""
KEPT_OF_OVERSIZED: Final = 64 * 1024
"""Of an oversized payload the dead letter keeps this much: enough to see what it was, without
letting whoever sent it fill the database."""
MAX_JSON_DEPTH: Final = 32
"""A data batch nests 4 levels; event data gets the rest."""
MAX_AHEAD: Final = timedelta(minutes=10)
"""A record stamped further ahead of the ingest clock comes from a clock that is wrong."""
MAX_BEHIND: Final = timedelta(days=7)
"""Older than this is not a backlog an outbox would hold, but a clock that is wrong."""
METRIC_MAX_CHARS: Final = 64
"""`readings.metric` is VARCHAR(64)."""


class Cause(StrEnum):
    """Why something became a dead letter, in a word (for counting); the reason says more."""

    TOPIC = "topic"
    TOO_LARGE = "too_large"
    TOO_DEEP = "too_deep"
    SCHEMA = "schema"
    AGENT_MISMATCH = "agent_mismatch"
    UNKNOWN_AGENT = "unknown_agent"
    UNKNOWN_DEVICE = "unknown_device"
    TS_WINDOW = "ts_window"
    BAD_RECORD = "bad_record"
    REFUSED = "refused"
    """The database refused what every check let through."""
    INTERNAL = "internal"
    """A check itself failed: a bug, kept as a dead letter so ingest goes on."""


@dataclass(frozen=True)
class Refusal:
    cause: Cause
    reason: str


@dataclass(frozen=True)
class Rejected:
    """A message that cannot be taken in at all: it is kept whole as a dead letter, not acked.
    An oversized `payload` is only its beginning; `size` is what arrived."""

    topic: str
    payload: bytes
    received_at: datetime
    refusal: Refusal
    size: int


@dataclass(frozen=True)
class StatusUplink:
    topic: topics.Topic
    payload: bytes
    received_at: datetime
    status: Status


@dataclass(frozen=True)
class DataUplink:
    """A data batch that is the agent's to take in. Records listed in `refused` (by index) are
    acked like the rest but kept as dead letters instead of stored."""

    topic: topics.Topic
    payload: bytes
    received_at: datetime
    batch: DataBatch
    refused: Mapping[int, Refusal] = field(default_factory=dict)


Uplink = Rejected | StatusUplink | DataUplink


class _Reject(Exception):
    def __init__(self, cause: Cause, reason: str) -> None:
        super().__init__(reason)
        self.refusal = Refusal(cause, reason)


def check_uplink(topic: str, payload: bytes, received_at: datetime) -> Uplink:
    """Sort one message from `parkops/v1/+/+/up/#` into what can be taken in and what cannot."""
    try:
        return _check(topic, payload, received_at)
    except _Reject as exc:
        refusal = exc.refusal
    except Exception as exc:  # noqa: BLE001 - a bug here must not stop ingest for everyone
        refusal = Refusal(Cause.INTERNAL, f"checking failed: {type(exc).__name__}: {exc}")
    kept = payload[:KEPT_OF_OVERSIZED] if refusal.cause is Cause.TOO_LARGE else payload
    return Rejected(topic, kept, received_at, refusal, size=len(payload))


def _check(topic: str, payload: bytes, received_at: datetime) -> StatusUplink | DataUplink:
    parsed = _parse_topic(topic)
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise _Reject(
            Cause.TOO_LARGE,
            f"payload of {len(payload):,} bytes is over the {MAX_PAYLOAD_BYTES:,}-byte limit "
            f"(the first {KEPT_OF_OVERSIZED:,} bytes are kept)",
        )
    if _nested_deeper_than(payload, MAX_JSON_DEPTH):
        raise _Reject(Cause.TOO_DEEP, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if parsed.name == "status":
        status = _parse(Status, payload)
        _check_names(parsed, status.site, status.agent)
        return StatusUplink(parsed, payload, received_at, status)
    batch = _parse(DataBatch, payload)
    _check_names(parsed, batch.site, batch.agent)
    _check_records_belong(batch)
    return DataUplink(parsed, payload, received_at, batch, _refusals(batch, received_at))


def _parse_topic(topic: str) -> topics.Topic:
    try:
        parsed = topics.parse(topic)
    except ValueError as exc:
        raise _Reject(Cause.TOPIC, str(exc)) from None
    if parsed.direction != "up":
        raise _Reject(Cause.TOPIC, f"the cloud takes only uplink topics, not {parsed.direction}")
    if parsed.name not in ("data", "status"):
        raise _Reject(Cause.TOPIC, f"no handler for up/{parsed.name} yet")
    return parsed


# A JSON document reduced to its brackets: escapes dropped first (so every `"` left delimits a
# string), then everything but brackets and quotes, then the strings (every other piece between
# quotes), all in C. Each pass of removing `[]` then peels one level. A few hundred microseconds
# for a 100 kB batch, where parsing it takes a few milliseconds.
_ESCAPED = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'{}[]"')
_BRACKETS_ALIKE = bytes.maketrans(b"{}", b"[]")


def _nested_deeper_than(payload: bytes, limit: int) -> bool:
    """Whether the JSON in `payload` nests more than `limit` levels. Malformed JSON answers
    False: the parser says what is wrong with it."""
    structure = _ESCAPED.sub(b"", payload).translate(_BRACKETS_ALIKE, _NOT_STRUCTURE)
    brackets = b"".join(structure.split(b'"')[::2])
    for _ in range(limit):
        peeled = brackets.replace(b"[]", b"")
        if len(peeled) == len(brackets):
            return False  # empty, or unbalanced
        brackets = peeled
    return b"[]" in brackets


M = TypeVar("M", DataBatch, Status)


def _parse(model: type[M], payload: bytes) -> M:
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        raise _Reject(Cause.SCHEMA, f"invalid {model.__name__}: {exc}") from None


def _check_names(topic: topics.Topic, site: str, agent: str) -> None:
    if (site, agent) != (topic.site, topic.agent):
        raise _Reject(
            Cause.AGENT_MISMATCH,
            f"topic is for {topic.site}/{topic.agent} but the payload says {site}/{agent}",
        )


def _check_records_belong(batch: DataBatch) -> None:
    """Every record is the batch agent's (the schema bounds their keys to 64 bits)."""
    strays = sorted({r.agent for r in batch.records} - {batch.agent})
    if strays:
        raise _Reject(
            Cause.AGENT_MISMATCH,
            f"records name agent(s) {', '.join(strays)} in a batch of {batch.agent}",
        )


def _refusals(batch: DataBatch, received_at: datetime) -> dict[int, Refusal]:
    """The records the database should not store, by index."""
    if _sound_readings_only(batch.records, received_at):
        return {}
    return {
        i: refusal
        for i, record in enumerate(batch.records)
        if (refusal := _refuse_record(record, received_at)) is not None
    }


def _sound_readings_only(records: list[Record], received_at: datetime) -> bool:
    """Whether every record is a reading inside the window with metric names that can be
    stored: the usual batch, cleared whole in a few passes that run in C, where going through
    it record by record took twice as long as parsing it."""
    readings = [r for r in records if isinstance(r, ReadingRecord)]
    if len(readings) < len(records):
        return False
    stamps = [r.ts for r in readings]
    if not _inside_window(min(stamps), received_at) or not _inside_window(max(stamps), received_at):
        return False
    return all(map(_storable_metric, set[str]().union(*(r.values for r in readings))))


def _inside_window(ts: datetime, received_at: datetime) -> bool:
    return received_at - MAX_BEHIND <= ts <= received_at + MAX_AHEAD


def _refuse_record(record: ReadingRecord | EventRecord, received_at: datetime) -> Refusal | None:
    """Why the database should not store this record, if it should not."""
    key = f"boot {record.boot}, seq {record.seq}"
    if not _inside_window(record.ts, received_at):
        return Refusal(
            Cause.TS_WINDOW,
            f"record ts {record.ts.isoformat()} is outside {MAX_BEHIND.days} days behind to "
            f"{MAX_AHEAD.total_seconds() / 60:g} minutes ahead of ingest at "
            f"{received_at.isoformat()} ({key})",
        )
    problem = (
        _reading_problem(record) if isinstance(record, ReadingRecord) else _event_problem(record)
    )
    return Refusal(Cause.BAD_RECORD, f"{problem} ({key})") if problem else None


def _reading_problem(record: ReadingRecord) -> str | None:
    for metric in record.values:
        if not _storable_metric(metric):
            return f"metric name {metric[:80]!r} is not 1 to {METRIC_MAX_CHARS} storable characters"
    return None


@lru_cache(maxsize=4096)
def _storable_metric(name: str) -> bool:
    """Cached: a site's few metric names come in every record of every batch."""
    return len(name) <= METRIC_MAX_CHARS and _storable_text(name)


def _event_problem(record: EventRecord) -> str | None:
    if not _storable_text(record.event):
        return f"event name {record.event!r} has characters the database cannot store"
    if not _storable_json(record.data):
        return "event data holds a NUL character or a non-finite number the database cannot store"
    return None


def _storable_text(text: str) -> bool:
    """PostgreSQL text holds neither NUL nor lone surrogates (which UTF-8 cannot encode)."""
    if not text or "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable_json(value: Any) -> bool:
    """Whether jsonb takes `value`: no NUL in any string, no NaN or infinity. The payload's
    depth is already bounded, so the recursion is too."""
    if isinstance(value, str):
        return _storable_text(value) or value == ""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_storable_json(k) and _storable_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable_json(v) for v in value)
    return True

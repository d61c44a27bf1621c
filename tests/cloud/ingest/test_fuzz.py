"""Thousands of malformed and hostile messages through the ingest service, in batches as a
worker writes them: nothing raises, nothing is stored, and each one is a dead letter (whole, or
record by record) whose cause is what was wrong with it.

A seeded generator, so a failure is reproducible: every case is built broken in one known way.
"""

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.energy.models import Reading
from cloud.ingest.checks import (
    KEPT_OF_OVERSIZED,
    MAX_JSON_DEPTH,
    MAX_PAYLOAD_BYTES,
    Cause,
    check_uplink,
)
from cloud.ingest.models import DeadLetter, DeviceEvent
from cloud.ingest.service import ingest_batch
from protocols import topics
from tests.cloud.factories import World

CASES = 3000
BATCH = 100
NOW = datetime.now(UTC)
DATA = topics.data("site1", "agent1")


INVALID: dict[str, list[Any]] = {
    "kind": ["x", None, 5, ""],
    "agent": ["", "a/b", "#", None, 5, "x" * 65],
    "boot": [0, -5, "x", None, 1.5, []],
    "seq": [0, -5, "x", None, {}],
    "device": ["", "a b", "a/b", "+", None, ["M-101"]],
    "ts": ["2026-13-45", "2026-01-01T00:00:00", "", None, "yesterday"],
    "values": [{}, [], "x", None, {"a": "b"}, {"a": None}],
}
"""For each record field, values a record cannot have."""


@dataclass(frozen=True)
class Case:
    topic: str
    payload: bytes
    cause: Cause
    records: int = 0
    """0: the whole message is refused; n: it is taken in and its n records refused."""


class Hostile:
    """Makes broken messages; each seq is used once, so no record is a duplicate of another."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seq = 0

    def record(self, **changes: Any) -> dict[str, Any]:
        self.seq += 1
        ts = NOW - timedelta(seconds=self.rng.randrange(3600))
        record = {
            "kind": "reading",
            "agent": "agent1",
            "boot": 1,
            "seq": self.seq,
            "device": "M-101",
            "ts": ts.isoformat(),
            "values": {"energy_import": 1.0},
        }
        return record | changes

    def batch(self, *records: dict[str, Any], **changes: Any) -> dict[str, Any]:
        return {"v": 1, "site": "site1", "agent": "agent1", "records": list(records)} | changes

    def encode(self, document: Any) -> bytes:
        return json.dumps(document, allow_nan=True).encode()

    def case(self) -> Case:
        make: Callable[[], Case] = self.rng.choice(
            [
                self.random_bytes,
                self.truncated,
                self.wrong_shape,
                self.broken_field,
                self.beyond_bigint,
                self.deep,
                self.names_mismatch,
                self.stray_agent,
                self.unknown_agent,
                self.bad_topic,
                self.bad_utf8,
                self.out_of_window,
                self.bad_metric,
                self.bad_event_data,
                self.unknown_device,
            ]
        )
        return make()

    def random_bytes(self) -> Case:
        payload = self.rng.randbytes(self.rng.randrange(0, 400))
        return Case(DATA, payload, Cause.SCHEMA)

    def truncated(self) -> Case:
        whole = self.encode(self.batch(self.record(), self.record()))
        return Case(DATA, whole[: self.rng.randrange(len(whole) - 1)], Cause.SCHEMA)

    def wrong_shape(self) -> Case:
        shape = self.rng.choice([[], 0, -1.5, "batch", None, True, {}, [self.batch()]])
        return Case(DATA, self.encode(shape), Cause.SCHEMA)

    def broken_field(self) -> Case:
        field, values = self.rng.choice(list(INVALID.items()))
        record = self.record()
        if self.rng.random() < 0.3:
            del record[field]
        else:
            record[field] = self.rng.choice(values)
        return Case(DATA, self.encode(self.batch(record)), Cause.SCHEMA)

    def beyond_bigint(self) -> Case:
        key = self.rng.choice(["seq", "boot"])
        record = self.record(**{key: 2**63 + self.rng.randrange(2**80)})
        return Case(DATA, self.encode(self.batch(record)), Cause.SCHEMA)

    def deep(self) -> Case:
        depth = self.rng.randrange(MAX_JSON_DEPTH + 1, 20_000)
        opener = self.rng.choice([b"[", b'{"a":'])
        closer = b"]" if opener == b"[" else b"}"
        nested = opener * depth + b"1" + closer * depth
        payload = self.encode(self.batch(self.record(values="X"))).replace(b'"X"', nested)
        return Case(DATA, payload, Cause.TOO_DEEP)

    def names_mismatch(self) -> Case:
        changes = self.rng.choice([{"site": "site2"}, {"agent": "agent2"}])
        return Case(DATA, self.encode(self.batch(self.record(), **changes)), Cause.AGENT_MISMATCH)

    def stray_agent(self) -> Case:
        stray = self.record(agent=self.rng.choice(["agent2", "agent9"]))
        payload = self.encode(self.batch(self.record(), stray))
        return Case(DATA, payload, Cause.AGENT_MISMATCH)

    def unknown_agent(self) -> Case:
        agent = f"ghost{self.rng.randrange(1000)}"
        payload = self.encode(self.batch(self.record(agent=agent), agent=agent))
        return Case(topics.data("site1", agent), payload, Cause.UNKNOWN_AGENT)

    def bad_topic(self) -> Case:
        topic = self.rng.choice(
            [
                "parkops/v1/site1/agent1/down/ack",
                "parkops/v1/site1/agent1/up/cmd-result",
                "parkops/v1/site1/agent1/up/what",
                "parkops/v2/site1/agent1/up/data",
                "parkops/v1/site1/agent1/up/data/more",
                "parkops/v1/si te/agent1/up/data",
                "",
            ]
        )
        return Case(topic, self.encode(self.batch(self.record())), Cause.TOPIC)

    def bad_utf8(self) -> Case:
        payload = self.encode(self.batch(self.record(device="DEV"))).replace(b"DEV", b"\xff\xfe")
        return Case(DATA, payload, Cause.SCHEMA)

    def out_of_window(self) -> Case:
        offset = self.rng.choice([timedelta(minutes=11), timedelta(days=-8), timedelta(days=-9000)])
        jitter = timedelta(seconds=self.rng.randrange(1000))
        ts = (NOW + offset + (jitter if offset > timedelta(0) else -jitter)).isoformat()
        payload = self.encode(self.batch(self.record(ts=ts)))
        return Case(DATA, payload, Cause.TS_WINDOW, records=1)

    def bad_metric(self) -> Case:
        metric = self.rng.choice(["m" * self.rng.randrange(65, 5000), "nul\u0000", "\u0000"])
        payload = self.encode(self.batch(self.record(values={metric: 1.0})))
        return Case(DATA, payload, Cause.BAD_RECORD, records=1)

    def bad_event_data(self) -> Case:
        bad = self.rng.choice([float("nan"), float("inf"), "nul\u0000", {"\u0000": 1}])
        event = self.record(kind="event", event="door_forced", data={"a": [bad]})
        del event["values"]
        return Case(DATA, self.encode(self.batch(event)), Cause.BAD_RECORD, records=1)

    def unknown_device(self) -> Case:
        device = f"EM-GHOST-{self.rng.randrange(100)}"
        payload = self.encode(self.batch(self.record(device=device)))
        return Case(DATA, payload, Cause.UNKNOWN_DEVICE, records=1)


def cases(seed: int) -> Iterator[Case]:
    hostile = Hostile(seed)
    yield Case(DATA, b"x" * (MAX_PAYLOAD_BYTES + 1), Cause.TOO_LARGE)
    for _ in range(CASES - 1):
        yield hostile.case()


def test_thousands_of_hostile_messages_each_become_a_dead_letter_with_its_cause(
    session: Session, world: World
) -> None:
    expected: Counter[str] = Counter()
    all_cases = list(cases(seed=20261122))
    for start in range(0, len(all_cases), BATCH):
        chunk = all_cases[start : start + BATCH]
        uplinks = [check_uplink(c.topic, c.payload, NOW) for c in chunk]
        outcomes = ingest_batch(session=session, uplinks=uplinks)
        session.commit()
        for case, outcome in zip(chunk, outcomes, strict=True):
            assert outcome.reason, case
            if case.records:
                assert (outcome.kind, outcome.written, outcome.dead_lettered) == (
                    "data",
                    0,
                    case.records,
                ), (case, outcome)
            else:
                assert outcome.kind == "dead_letter", (case, outcome)
            expected[case.cause.value] += case.records or 1

    by_cause = select(DeadLetter.cause, func.count()).group_by(DeadLetter.cause)
    stored = Counter({cause: n for cause, n in session.execute(by_cause)})
    assert stored == expected
    assert len(expected) == len(Cause) - 2  # every cause but refused and internal was made
    assert not session.scalar(select(func.count()).where(DeadLetter.reason == ""))
    assert session.scalar(select(func.count()).select_from(Reading)) == 0
    oversized = session.scalars(select(DeadLetter).where(DeadLetter.cause == "too_large")).one()
    assert (len(oversized.payload), oversized.payload_size) == (
        KEPT_OF_OVERSIZED,
        MAX_PAYLOAD_BYTES + 1,
    )
    assert session.scalar(select(func.count()).select_from(DeviceEvent)) == 0

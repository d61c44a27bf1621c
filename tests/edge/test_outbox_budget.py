import logging
import sqlite3
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from edge.outbox import ALARM_EVENT, DROPPED_EVENT, Outbox
from edge.outbox_limits import ROW_OVERHEAD_BYTES, RecordClass
from protocols.messages import EventRecord, ReadingRecord

TS = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
WALL = TS.timestamp()
ROW = len(
    ReadingRecord(
        agent="bldg-a", boot=int(WALL), seq=1, device="EM-1", ts=TS, values={"energy_import": 1.0}
    ).model_dump_json()
)
"""Bytes of one test reading (seq below 10): plus ROW_OVERHEAD_BYTES, what it costs the budget."""


@pytest.fixture
def path(tmp_path) -> Path:
    return tmp_path / "outbox.sqlite3"


def _open(path, *, max_bytes: int, alarm_fraction: float = 1.0, **options) -> Outbox:
    return Outbox(
        path,
        agent="bldg-a",
        max_bytes=max_bytes,
        alarm_fraction=alarm_fraction,
        clock=lambda: 0.0,
        wall_clock=lambda: WALL,
        **options,
    )


def _reading(outbox: Outbox, *, billing: bool = False) -> int:
    return outbox.append_reading(
        device="EM-1", ts=TS, values={"energy_import": 1.0}, billing=billing
    )


def _event(outbox: Outbox) -> int:
    return outbox.append_event(device="GATE-1", ts=TS, event="opened")


def _classes(path) -> dict[int, RecordClass]:
    """seq -> class of every stored record."""
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT seq, record_class FROM records ORDER BY boot, seq").fetchall()
    return {seq: RecordClass(c) for seq, c in rows}


def _table_usage(path) -> int:
    with closing(sqlite3.connect(path)) as db:
        rows, size = db.execute("SELECT count(*), coalesce(sum(size), 0) FROM records").fetchone()
    return int(size + rows * ROW_OVERHEAD_BYTES)


def _append(outbox: Outbox, kind: str) -> int:
    if kind == "event":
        return _event(outbox)
    return _reading(outbox, billing=kind == "billing")


def test_over_budget_the_oldest_telemetry_is_dropped_and_counted(path):
    budget = 10 * (ROW + ROW_OVERHEAD_BYTES)
    with _open(path, max_bytes=budget, alarm_fraction=0.5) as outbox:
        seqs = []
        for _ in range(14):
            seqs.append(_reading(outbox))
            assert outbox.stats().used_bytes <= budget
        classes = _classes(path)
    assert all(seqs) and seqs == sorted(seqs), "every new reading is kept"
    dropped = [seq for seq in seqs if classes[seq] is RecordClass.DROPPED]
    assert dropped and dropped == seqs[: len(dropped)], "the oldest go first"
    assert all(classes[seq] is RecordClass.TELEMETRY for seq in seqs[len(dropped) :])
    assert [c for c in classes.values() if c is RecordClass.EVENT] == [RecordClass.EVENT]  # alarm
    with _open(path, max_bytes=budget) as reopened:  # the count is durable
        assert reopened.stats().dropped_telemetry == len(dropped)
        assert reopened.stats().used_bytes == _table_usage(path)


def test_billing_snapshots_and_events_are_never_dropped(path):
    budget = 6 * (ROW + ROW_OVERHEAD_BYTES)
    kinds = ["telemetry", "billing", "event", "telemetry", "billing", "telemetry"] * 3
    with _open(path, max_bytes=budget, alarm_fraction=0.9) as outbox:
        stored = {_append(outbox, kind): kind for kind in kinds}
        classes = _classes(path)
        stats = outbox.stats()
    kept = {
        "telemetry": RecordClass.TELEMETRY,
        "billing": RecordClass.BILLING,
        "event": RecordClass.EVENT,
    }
    stored.pop(0, None)  # telemetry refused for room, if any
    assert all(classes[seq] is kept[kind] for seq, kind in stored.items() if kind != "telemetry")
    telemetry = [seq for seq, kind in stored.items() if kind == "telemetry"]
    dropped = [seq for seq in telemetry if classes[seq] is RecordClass.DROPPED]
    assert dropped and dropped == telemetry[: len(dropped)], "the oldest telemetry went first"
    assert stats.dropped_telemetry >= len(dropped)
    assert stats.pending["billing"] == 6 and stats.pending["event"] == 3 + 1  # + the alarm


def test_when_only_billing_and_events_are_left_they_are_kept_and_telemetry_is_refused(path, caplog):
    budget = 3 * (ROW + ROW_OVERHEAD_BYTES)
    caplog.set_level(logging.WARNING, logger="edge.outbox")
    with _open(path, max_bytes=budget, alarm_fraction=0.5) as outbox:
        billing = [_reading(outbox, billing=True) for _ in range(5)]
        assert billing == [1, 2, 4, 5, 6]  # all kept, over budget; 3 is the alarm at half full
        assert _event(outbox) == 7
        assert _reading(outbox) == 0  # telemetry: refused, no seq used up
        assert _reading(outbox) == 0
        assert _reading(outbox, billing=True) == 8
        stats = outbox.stats()
    assert stats.pending == {"telemetry": 0, "billing": 6, "event": 2, "dropped": 0}
    assert stats.used_bytes > stats.max_bytes and stats.dropped_telemetry == 2
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(errors) == 1 and "only billing and events" in errors[0].getMessage()
    assert len(warnings) == 1 and "refusing new telemetry" in warnings[0].getMessage()


def test_a_dropped_record_goes_out_as_a_placeholder_so_the_ack_can_pass_it(path):
    """The cloud acks the highest seq it has without a gap: a bare hole would stall it."""
    budget = 6 * (ROW + ROW_OVERHEAD_BYTES)
    with _open(path, max_bytes=budget, alarm_fraction=0.9) as outbox:
        last = max(_reading(outbox) for _ in range(12))
        batch = outbox.next_batch(100)
        assert [r.seq for r in batch] == list(range(1, last + 1))  # no gap
        placeholders = [r for r in batch if isinstance(r, EventRecord) and r.event != ALARM_EVENT]
        assert placeholders and all(
            (r.event, r.device, r.boot, r.ts) == (DROPPED_EVENT, "bldg-a", outbox.boot, TS)
            for r in placeholders
        )
        assert outbox.ack(outbox.boot, last) == last
        assert outbox.pending_count() == 0 and outbox.stats().used_bytes == 0


def _alarms(outbox: Outbox) -> list[EventRecord]:
    records = outbox.next_batch(1000)
    return [r for r in records if isinstance(r, EventRecord) and r.event == ALARM_EVENT]


def test_the_alarm_is_raised_once_near_full_and_rearms_below_a_lower_mark(path):
    budget = 20 * (ROW + ROW_OVERHEAD_BYTES)  # alarm at half, 10 rows; re-arm below 7.5 rows
    with _open(path, max_bytes=budget, alarm_fraction=0.5) as outbox:
        assert [_reading(outbox) for _ in range(10)] == list(range(1, 11))
        (alarm,) = _alarms(outbox)
        assert (alarm.seq, alarm.device, alarm.ts) == (11, "bldg-a", TS)
        assert alarm.data["used_bytes"] >= budget / 2 > alarm.data["used_bytes"] - ROW
        assert (alarm.data["max_bytes"], alarm.data["dropped_telemetry"]) == (budget, 0)
        assert _reading(outbox) == 12  # the alarm took seq 11
        for _ in range(5):
            _reading(outbox)
        assert len(_alarms(outbox)) == 1  # once, not on every append above the mark
    with _open(path, max_bytes=budget, alarm_fraction=0.5) as outbox:
        _reading(outbox)
        assert len(_alarms(outbox)) == 1  # a reopen does not raise it again
        old = outbox.next_batch(1000)[-1].boot
        outbox.ack(old, 9)  # left: 7 readings, the alarm and 1 new: below the mark, not calm
        for _ in range(3):
            _reading(outbox)
        assert len(_alarms(outbox)) == 1
        outbox.ack(old, 17)  # left: the 4 new readings, below the re-arm mark
        for _ in range(6):
            _reading(outbox)
        (again,) = _alarms(outbox)  # the first one was acked away with seq 11
        assert (again.boot, again.seq) == (outbox.boot, 11)


def test_stats_count_pending_records_by_class(path):
    with _open(path, max_bytes=10**6, alarm_fraction=0.8) as outbox:
        _reading(outbox)
        _reading(outbox, billing=True)
        _reading(outbox, billing=True)
        _event(outbox)
        stats = outbox.stats()
    assert stats.pending == {"telemetry": 1, "billing": 2, "event": 1, "dropped": 0}
    assert stats.used_bytes == _table_usage(path) and stats.max_bytes == 10**6
    assert stats.dropped_telemetry == 0


class OutboxRuns(RuleBasedStateMachine):
    """Random appends, sends, acks, new epochs and reopens against a small budget: a record
    that was not dropped is never lost or changed, a (boot, seq) is never handed out twice,
    and the usage the outbox keeps agrees with its table."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.path = Path(self.tmp.name) / "outbox.sqlite3"
        self.wall = WALL
        self.now = 0.0
        self.outbox = self._open()
        self.kept: dict[tuple[int, int], ReadingRecord | EventRecord] = {}
        self.placeholders: set[tuple[int, int]] = set()
        self.dropped = 0
        self.highest = (0, 0)
        self.boots: list[int] = []

    def _open(self) -> Outbox:
        return Outbox(
            self.path,
            agent="bldg-a",
            max_bytes=1500,
            alarm_fraction=0.7,
            replay_records_per_s=2,
            clock=lambda: self.now,
            wall_clock=lambda: self.wall,
        )

    @rule(
        kinds=st.lists(st.sampled_from(["telemetry", "billing", "event"]), min_size=1, max_size=8)
    )
    def append(self, kinds: list[str]) -> None:
        for kind in kinds:
            self._append_one(kind, value=len(self.kept))

    def _append_one(self, kind: str, value: int) -> None:
        boot = self.outbox.boot
        record: ReadingRecord | EventRecord
        if kind == "event":
            data = {"n": value}
            seq = self.outbox.append_event(device="GATE-1", ts=TS, event="opened", data=data)
            record = EventRecord(
                agent="bldg-a", boot=boot, seq=seq, device="GATE-1", ts=TS, event="opened",
                data=data,
            )  # fmt: skip
        else:
            values = {"energy_import": float(value)}
            billing = kind == "billing"
            seq = self.outbox.append_reading(device="EM-1", ts=TS, values=values, billing=billing)
            if seq == 0:
                assert not billing, "only telemetry is ever refused"
                self.dropped += 1
                return
            record = ReadingRecord(
                agent="bldg-a", boot=boot, seq=seq, device="EM-1", ts=TS, values=values
            )
        assert (boot, seq) > self.highest, "a (boot, seq) was handed out twice"
        self.highest = (boot, seq)
        self.kept[(boot, seq)] = record
        self.boots.append(boot)

    @rule()
    def send(self) -> None:
        batch = self.outbox.next_batch(7)
        boots = [r.boot == self.outbox.boot for r in batch]
        assert boots == sorted(boots, reverse=True), "live records come before the backlog"
        for record in batch:
            key = (record.boot, record.seq)
            if key in self.kept:
                assert record == self.kept[key]
            else:
                event = DROPPED_EVENT if key in self.placeholders else ALARM_EVENT
                assert isinstance(record, EventRecord) and record.event == event
        self.outbox.mark_sent(batch)

    @rule(seconds=st.floats(0, 20))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    @rule(data=st.data())
    def ack(self, data: st.DataObject) -> None:
        if not self.boots:
            return
        boot = data.draw(st.sampled_from(self.boots))
        seq = data.draw(st.integers(0, self.highest[1] + 2))
        self.outbox.ack(boot, seq)
        for key in [k for k in self.kept if k[0] == boot and k[1] <= seq]:
            del self.kept[key]
        self.placeholders = {k for k in self.placeholders if not (k[0] == boot and k[1] <= seq)}

    @rule()
    def begin_epoch(self) -> None:
        self.outbox.begin_epoch()

    @rule(step_back=st.booleans())
    def reopen(self, step_back: bool) -> None:
        self.outbox.close()
        self.wall += -3600 if step_back else 1
        self.outbox = self._open()

    @invariant()
    def nothing_kept_is_lost_and_the_usage_agrees(self) -> None:
        with closing(sqlite3.connect(self.path)) as db:
            rows = db.execute("SELECT boot, seq, record_class, size, record FROM records")
            stored = {(b, s): (RecordClass(c), size, text) for b, s, c, size, text in rows}
        for key, record in list(self.kept.items()):
            assert key in stored, f"{key} lost"
            record_class, _, text = stored[key]
            if record_class is RecordClass.DROPPED:
                assert isinstance(record, ReadingRecord) and key not in self.placeholders
                self.placeholders.add(key)
                self.dropped += 1
                del self.kept[key]
            else:
                assert type(record).model_validate_json(text) == record
        assert self.placeholders <= stored.keys()
        for key in stored.keys() - self.kept.keys() - self.placeholders:  # the outbox's own
            assert EventRecord.model_validate_json(stored[key][2]).event == ALARM_EVENT
            self.highest = max(self.highest, key)
        stats = self.outbox.stats()
        assert stats.dropped_telemetry == self.dropped
        assert self.outbox.pending_count() == len(stored)
        assert (
            stats.used_bytes
            == sum(size for _, size, _ in stored.values()) + len(stored) * ROW_OVERHEAD_BYTES
        )
        for record_class in RecordClass:
            count = sum(c is record_class for c, _, _ in stored.values())
            assert stats.pending[record_class.name.lower()] == count

    def teardown(self) -> None:
        self.outbox.close()
        self.tmp.cleanup()


TestOutboxRuns = OutboxRuns.TestCase
TestOutboxRuns.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from edge.outbox import Outbox
from protocols.messages import EventRecord, ReadingRecord

TS = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def path(tmp_path):
    return tmp_path / "edge" / "outbox.sqlite3"


def _open(path, clock) -> Outbox:
    return Outbox(path, agent="bldg-a", resend_after_s=15.0, clock=clock)


def _fill(outbox: Outbox, count: int) -> list[int]:
    return [
        outbox.append_reading(device="EM-1", ts=TS, values={"energy_import": float(i)})
        for i in range(count)
    ]


def test_seq_counts_from_one_within_a_boot_across_kinds(path, clock):
    with _open(path, clock) as outbox:
        assert outbox.boot == 1
        assert _fill(outbox, 3) == [1, 2, 3]
        assert outbox.append_event(device="GATE-1", ts=TS, event="opened", data={"by": "x"}) == 4
        records = outbox.next_batch(10)
    assert [r.seq for r in records] == [1, 2, 3, 4]
    assert [type(r) for r in records] == [ReadingRecord] * 3 + [EventRecord]
    assert records[0].agent == "bldg-a" and records[0].ts == TS
    assert records[3].data == {"by": "x"}


def test_boot_grows_on_every_open_and_seq_restarts(path, clock):
    for expected_boot in (1, 2, 3):
        with _open(path, clock) as outbox:
            assert outbox.boot == expected_boot
            assert _fill(outbox, 2) == [1, 2]


def test_records_survive_a_crash_and_keep_their_boot(path, clock):
    crashed = _open(path, clock)  # never closed: the process died
    _fill(crashed, 3)
    with _open(path, clock) as outbox:
        assert outbox.boot == 2
        assert outbox.pending_count() == 3
        _fill(outbox, 1)
        batch = outbox.next_batch(10)
    assert [(r.boot, r.seq) for r in batch] == [(1, 1), (1, 2), (1, 3), (2, 1)]
    crashed.close()


def test_ack_deletes_only_what_it_covers_in_its_boot(path, clock):
    with _open(path, clock) as first:
        _fill(first, 3)
    with _open(path, clock) as outbox:
        _fill(outbox, 3)
        assert outbox.ack(2, 2) == 2  # boot 2 up to seq 2
        assert outbox.pending_count() == 4
        assert outbox.ack(2, 2) == 0  # acks are idempotent
        assert [(r.boot, r.seq) for r in outbox.next_batch(10)] == [(1, 1), (1, 2), (1, 3), (2, 3)]
        assert outbox.ack(1, 0) == 0
        assert outbox.ack(1, 99) == 3
        assert [(r.boot, r.seq) for r in outbox.next_batch(10)] == [(2, 3)]


def test_sent_records_wait_for_their_ack_then_go_again(path, clock):
    with _open(path, clock) as outbox:
        _fill(outbox, 5)
        first = outbox.next_batch(3)
        assert [r.seq for r in first] == [1, 2, 3]
        outbox.mark_sent(first)
        assert outbox.in_flight_count() == 3
        assert [r.seq for r in outbox.next_batch(10)] == [4, 5]
        clock.now += 14.9
        assert [r.seq for r in outbox.next_batch(10)] == [4, 5]
        clock.now += 0.2  # no ack within resend_after_s: send again
        assert [r.seq for r in outbox.next_batch(10)] == [1, 2, 3, 4, 5]
        assert outbox.in_flight_count() == 0


def test_reconnect_and_reopen_forget_what_was_in_flight(path, clock):
    with _open(path, clock) as outbox:
        _fill(outbox, 2)
        outbox.mark_sent(outbox.next_batch(10))
        assert outbox.next_batch(10) == []
        outbox.mark_all_unsent()
        batch = outbox.next_batch(10)
        assert [r.seq for r in batch] == [1, 2]
        outbox.mark_sent(batch)
    with _open(path, clock) as reopened:
        assert [r.seq for r in reopened.next_batch(10)] == [1, 2]


def test_invalid_records_are_refused_before_they_are_stored(path, clock):
    with _open(path, clock) as outbox:
        with pytest.raises(ValidationError):
            outbox.append_reading(device="EM-1", ts=TS, values={})
        with pytest.raises(ValidationError):
            outbox.append_reading(device="EM 1", ts=TS, values={"x": 1.0})
        assert outbox.pending_count() == 0
        assert _fill(outbox, 1) == [1]  # no seq was used up


def test_the_database_is_in_wal_mode_with_full_sync(path, clock):
    import sqlite3

    with _open(path, clock):
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.close()

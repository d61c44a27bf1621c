import sqlite3
import time
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from edge.outbox import Outbox
from protocols.messages import EventRecord, ReadingRecord

TS = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
WALL = TS.timestamp()


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wall() -> Clock:
    return Clock(WALL)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "edge" / "outbox.sqlite3"


def _open(path, clock, wall=lambda: WALL) -> Outbox:
    return Outbox(path, agent="bldg-a", resend_after_s=15.0, clock=clock, wall_clock=wall)


def _fill(outbox: Outbox, count: int) -> list[int]:
    return [
        outbox.append_reading(device="EM-1", ts=TS, values={"energy_import": float(i)})
        for i in range(count)
    ]


def test_seq_counts_from_one_within_a_boot_across_kinds(path, clock):
    with _open(path, clock) as outbox:
        assert _fill(outbox, 3) == [1, 2, 3]
        assert outbox.append_event(device="GATE-1", ts=TS, event="opened", data={"by": "x"}) == 4
        records = outbox.next_batch(10)
    assert [r.seq for r in records] == [1, 2, 3, 4]
    assert [type(r) for r in records] == [ReadingRecord] * 3 + [EventRecord]
    assert records[0].agent == "bldg-a" and records[0].ts == TS
    assert records[3].data == {"by": "x"}


def test_a_boot_is_the_wall_clock_and_grows_on_every_open_and_seq_restarts(path, clock, wall):
    # Opened again within the same second, or after the clock stepped back: still one more.
    for now, expected_boot in ((WALL, WALL), (WALL, WALL + 1), (WALL - 3600, WALL + 2)):
        wall.now = now
        with _open(path, clock, wall) as outbox:
            assert outbox.boot == int(expected_boot)
            assert _fill(outbox, 2) == [1, 2]
    wall.now = WALL + 60.7
    with _open(path, clock, wall) as outbox:
        assert outbox.boot == int(WALL) + 60


def test_a_lost_outbox_file_does_not_start_the_boots_again(path, clock, wall):
    """Else the cloud, which has (boot, seq) from before, acks new records as duplicates."""
    with _open(path, clock, wall) as outbox:
        old_boot = outbox.boot
        _fill(outbox, 3)
    path.unlink()  # a new SD card, var/ wiped
    wall.now += 30  # the agent comes back half a minute later
    with _open(path, clock, wall) as outbox:
        assert outbox.boot > old_boot
        assert _fill(outbox, 1) == [1]
    with _open(path, clock, wall) as reopened:
        assert reopened.boot == outbox.boot + 1


def test_records_survive_a_crash_and_keep_their_boot(path, clock):
    crashed = _open(path, clock)  # never closed: the process died
    _fill(crashed, 3)
    with _open(path, clock) as outbox:
        assert outbox.boot == crashed.boot + 1
        assert outbox.pending_count() == 3
        _fill(outbox, 1)
        batch = outbox.next_batch(10)
    old, new = crashed.boot, outbox.boot
    assert [(r.boot, r.seq) for r in batch] == [(old, 1), (old, 2), (old, 3), (new, 1)]
    crashed.close()


def test_ack_deletes_only_what_it_covers_in_its_boot(path, clock):
    with _open(path, clock) as first:
        _fill(first, 3)
    with _open(path, clock) as outbox:
        old, new = first.boot, outbox.boot
        _fill(outbox, 3)
        assert outbox.ack(new, 2) == 2  # this boot up to seq 2
        assert outbox.pending_count() == 4
        assert outbox.ack(new, 2) == 0  # acks are idempotent
        assert [(r.boot, r.seq) for r in outbox.next_batch(10)] == [
            (old, 1), (old, 2), (old, 3), (new, 3)
        ]  # fmt: skip
        assert outbox.ack(old, 0) == 0
        assert outbox.ack(old, 99) == 3
        assert [(r.boot, r.seq) for r in outbox.next_batch(10)] == [(new, 3)]


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
    with _open(path, clock):
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.close()


def test_resends_are_timed_by_the_monotonic_clock_not_the_wall_clock(path, wall):
    with Outbox(path, agent="bldg-a", resend_after_s=15.0, wall_clock=wall) as outbox:
        assert outbox._clock is time.monotonic  # NTP may step the wall clock at boot
        _fill(outbox, 1)
        outbox.mark_sent(outbox.next_batch(10))
        wall.now -= 3600  # NTP puts the Pi's clock an hour back: the boot's clock, not ours
        assert outbox.in_flight_count() == 1
        assert outbox.next_batch(10) == []


def _query_plan(path, sql: str) -> str:
    with sqlite3.connect(path) as db:
        return " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", (0.0,)))


def test_an_old_outbox_file_gets_the_in_flight_index_and_keeps_its_records(path, clock):
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as old:  # the schema before the index existed
        old.executescript(
            "CREATE TABLE outbox_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
            "CREATE TABLE records (boot INTEGER NOT NULL, seq INTEGER NOT NULL,"
            " record TEXT NOT NULL, sent_at REAL, PRIMARY KEY (boot, seq)) WITHOUT ROWID;"
            "INSERT INTO outbox_state VALUES ('boot', 7);"
        )
    in_flight = "SELECT count(*) FROM records WHERE sent_at > ?"
    assert "INDEX" not in _query_plan(path, in_flight)
    with _open(path, clock) as outbox:
        assert outbox.boot == int(WALL)
        _fill(outbox, 2)
        outbox.mark_sent(outbox.next_batch(1))
        assert outbox.in_flight_count() == 1
    assert "USING COVERING INDEX records_in_flight" in _query_plan(path, in_flight)
    # next_batch still walks the primary key, in order, and stops at its limit.
    next_batch = (
        "SELECT record FROM records WHERE sent_at IS NULL OR sent_at <= ? ORDER BY boot, seq"
    )
    assert _query_plan(path, next_batch) == "SCAN records"


def test_an_unset_clock_draws_a_random_boot_far_above_any_real_one(path, clock, wall):
    """A Pi that has not synchronised its clock may read 1970: two fresh outboxes started so
    must not draw the same boot, or the cloud would take one's records for the other's."""
    wall.now = 86_400.0  # 1970-01-02
    boots = []
    for _ in range(3):
        path.unlink(missing_ok=True)
        with _open(path, clock, wall) as outbox:
            boots.append(outbox.boot)
    assert len(set(boots)) == 3 and min(boots) > 10 * WALL
    with _open(path, clock, wall) as outbox:  # the same file opened again still grows
        assert outbox.boot > boots[-1]

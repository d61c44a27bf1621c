import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from edge import outbox as outbox_module
from edge.outbox import Outbox
from edge.outbox_limits import ROW_OVERHEAD_BYTES
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


def _open(path, clock, wall=lambda: WALL, **options) -> Outbox:
    return Outbox(
        path, agent="bldg-a", resend_after_s=15.0, clock=clock, wall_clock=wall, **options
    )


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
    # The new boot is live and goes first; the dead boot's records follow as backlog.
    assert [(r.boot, r.seq) for r in batch] == [(new, 1), (old, 1), (old, 2), (old, 3)]
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
            (new, 3), (old, 1), (old, 2), (old, 3)
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


def test_the_database_is_in_wal_mode_and_appends_sync_fully(path, clock):
    full = 2
    with _open(path, clock) as outbox:
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.close()
        # Sending state and acks commit without an fsync of their own, then FULL is back.
        _fill(outbox, 2)
        outbox.mark_sent(outbox.next_batch(10))
        outbox.mark_all_unsent()
        outbox.ack(outbox.boot, 1)
        assert outbox._db.execute("PRAGMA synchronous").fetchone()[0] == full


def test_resends_are_timed_by_the_monotonic_clock_not_the_wall_clock(path, wall):
    with Outbox(path, agent="bldg-a", resend_after_s=15.0, wall_clock=wall) as outbox:
        assert outbox._clock is time.monotonic  # NTP may step the wall clock at boot
        _fill(outbox, 1)
        outbox.mark_sent(outbox.next_batch(10))
        wall.now -= 3600  # NTP puts the Pi's clock an hour back: the boot's clock, not ours
        assert outbox.in_flight_count() == 1
        assert outbox.next_batch(10) == []


def _query_plan(path, sql: str, params: tuple[object, ...]) -> str:
    with closing(sqlite3.connect(path)) as db:
        return " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def test_an_old_outbox_file_gets_classes_and_the_in_flight_index_and_keeps_its_records(path, clock):
    path.parent.mkdir(parents=True)
    event = EventRecord(agent="bldg-a", boot=7, seq=2, device="GATE-1", ts=TS, event="opened")
    reading = ReadingRecord(agent="bldg-a", boot=7, seq=1, device="EM-1", ts=TS, values={"e": 1})
    with closing(sqlite3.connect(path)) as old, old:  # the schema before classes and the index
        old.executescript(
            "CREATE TABLE outbox_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
            "CREATE TABLE records (boot INTEGER NOT NULL, seq INTEGER NOT NULL,"
            " record TEXT NOT NULL, sent_at REAL, PRIMARY KEY (boot, seq)) WITHOUT ROWID;"
            "INSERT INTO outbox_state VALUES ('boot', 7);"
        )
        old.executemany(
            "INSERT INTO records (boot, seq, record) VALUES (7, ?, ?)",
            [(1, reading.model_dump_json()), (2, event.model_dump_json())],
        )
    in_flight = "SELECT count(*) FROM records WHERE sent_at > ?"
    assert "INDEX" not in _query_plan(path, in_flight, (0.0,))
    with _open(path, clock) as outbox:
        assert outbox.boot == int(WALL)
        # Nothing says whether an old reading was a billing snapshot: it is kept like one.
        assert outbox.stats().pending == {"telemetry": 0, "billing": 1, "event": 1, "dropped": 0}
        assert (
            outbox.stats().used_bytes
            == len(reading.model_dump_json())
            + len(event.model_dump_json())
            + 2 * ROW_OVERHEAD_BYTES
        )
        _fill(outbox, 2)
        outbox.mark_sent(outbox.next_batch(1))
        assert outbox.in_flight_count() == 1
        assert outbox.next_batch(10)[1:] == [reading, event]
    assert "USING COVERING INDEX records_in_flight" in _query_plan(path, in_flight, (0.0,))
    # Both lanes walk the primary key, in order, and stop at their limit.
    live = _query_plan(path, outbox_module._LIVE, (0.0, 7, 10))
    backlog = _query_plan(path, outbox_module._BACKLOG, (0.0, 7, 10))
    assert live == "SEARCH records USING PRIMARY KEY (boot=?)"
    assert backlog == "SEARCH records USING PRIMARY KEY (boot<?)"


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


def _keys(records) -> list[tuple[int, int]]:
    return [(r.boot, r.seq) for r in records]


def test_live_records_go_first_and_the_backlog_follows_at_the_replay_pace(path, clock):
    with _open(path, clock) as first:
        _fill(first, 30)  # a backlog of 30, left by an earlier run
    with _open(path, clock, replay_records_per_s=10) as outbox:
        old, new = first.boot, outbox.boot
        _fill(outbox, 3)
        batch = outbox.next_batch(8)
        assert _keys(batch) == [(new, 1), (new, 2), (new, 3)] + [(old, s) for s in range(1, 6)]
        outbox.mark_sent(batch)
        # The bucket holds one second of replay (10): 5 are left, then it refills at 10/s.
        batch = outbox.next_batch(100)
        assert _keys(batch) == [(old, s) for s in range(6, 11)]
        outbox.mark_sent(batch)
        assert outbox.next_batch(100) == []
        clock.now += 0.35
        assert _keys(outbox.next_batch(100)) == [(old, 11), (old, 12), (old, 13)]
        clock.now += 60  # a long pause refills one second's worth, no more
        batch = outbox.next_batch(100)  # (and the unacked live records are due again)
        assert _keys(batch[:3]) == [(new, 1), (new, 2), (new, 3)]
        assert [r.boot for r in batch[3:]] == [old] * 10
        outbox.mark_sent(batch)
        # Live records never wait for the bucket.
        _fill(outbox, 2)
        assert _keys(outbox.next_batch(100)) == [(new, 4), (new, 5)]


def test_begin_epoch_turns_what_piled_up_into_backlog_and_restarts_seq(path, clock, wall):
    with _open(path, clock, wall, replay_records_per_s=2) as outbox:
        first = outbox.boot
        _fill(outbox, 3)  # more than one replay burst (2) piled up while the link was down
        assert outbox.begin_epoch()
        assert outbox.boot == first + 1  # the same second: the last boot + 1
        assert _fill(outbox, 2) == [1, 2]
        assert _keys(outbox.next_batch(10)) == [(outbox.boot, 1), (outbox.boot, 2)] + [
            (first, 1), (first, 2)  # the replay burst
        ]  # fmt: skip
        wall.now += 3600  # an hour later the boot is the clock again
        _fill(outbox, 3)
        assert outbox.begin_epoch()
        assert outbox.boot == int(wall.now)
    with _open(path, clock, wall) as reopened:
        assert reopened.boot == int(wall.now) + 1


def test_begin_epoch_keeps_an_epoch_holding_no_more_than_a_replay_burst(path, clock):
    with _open(path, clock, replay_records_per_s=2) as outbox:
        boot = outbox.boot
        assert not outbox.begin_epoch()  # nothing waiting
        _fill(outbox, 2)
        assert not outbox.begin_epoch()  # would go out at once as backlog anyway
        assert outbox.boot == boot and _fill(outbox, 1) == [3]
        outbox.ack(boot, 3)
        _fill(outbox, 2)
        assert not outbox.begin_epoch()  # what was acked does not count
        _fill(outbox, 1)
        assert outbox.begin_epoch() and outbox.boot == boot + 1


def test_boot_and_seq_only_grow_across_epochs_and_reopens(path, clock, wall):
    seen: list[tuple[int, int]] = []
    for step in range(6):
        wall.now = WALL - 600 * (step % 3)  # the clock steps back now and then
        with _open(path, clock, wall, replay_records_per_s=1) as outbox:
            for _ in range(3):
                seen += [(outbox.boot, seq) for seq in _fill(outbox, 2)]
                assert outbox.begin_epoch()
    assert seen == sorted(set(seen)) and len(seen) == 36


def test_an_ack_of_one_epoch_leaves_the_others(path, clock):
    with _open(path, clock, replay_records_per_s=1) as outbox:
        epochs = []
        for _ in range(3):
            epochs.append(outbox.boot)
            _fill(outbox, 3)
            outbox.begin_epoch()
        assert outbox.ack(epochs[1], 99) == 3
        assert outbox.ack(epochs[1], 99) == 0
        with closing(sqlite3.connect(path)) as db:
            left = db.execute("SELECT boot, count(*) FROM records GROUP BY boot").fetchall()
        assert left == [(epochs[0], 3), (epochs[2], 3)]
        assert outbox.pending_count() == 6

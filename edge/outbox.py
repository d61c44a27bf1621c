"""Store-and-forward: every reading and event is durable on disk before it is sent, and stays
there until the cloud's ack (not the broker's PUBACK) says it is committed.

Numbering. A record carries (boot, seq): `boot` is an epoch of this outbox, `seq` counts 1, 2,
3... within it. An epoch starts at every open and at `begin_epoch`. A new boot is the wall clock
in whole seconds, or the last boot + 1 if that is larger. The clock keeps boots growing when the
outbox file is lost (new SD card, var/ wiped): starting again at boot 1 would make the cloud,
idempotent on (agent, boot, seq), take new records for ones it has, ack them, and the agent
would delete them unsent. The last boot + 1 keeps boots growing when the clock steps back (a Pi
without RTC restores its clock from fake-hwclock, so it is only nearly monotonic). A clock
before CLOCK_FLOOR was never set at all (a Pi that has not synchronised yet): then a random
boot above the floor stands in, so two fresh outboxes started unsynchronised do not collide.

Lanes. The cloud acks, per (agent, boot), the highest seq it holds without a gap, so a boot's
records go out in seq order: a newer one sent ahead of older unsent ones would wait for its ack
behind them. The current epoch is the live lane and goes first, in seq order; older epochs are
the backlog and follow, oldest first, no faster than `replay_records_per_s` (a token bucket on
the monotonic clock, one second deep). The uplink calls `begin_epoch` on every (re)connect, so
what piled up during an outage becomes backlog and fresh readings are not stuck behind it; an
epoch holding no more than one replay burst is kept, as that would go out at once anyway. A
batch may hold both lanes: every record names its boot, and the cloud acks each boot of it.

Budget (edge.outbox_limits). Each row stores its class and the size of its JSON; used bytes are
kept in step with the table, counted once at open. An append that would pass `max_bytes` first
drops the oldest telemetry. Billing snapshots and events are never dropped: if only they are
left, a new one is stored over budget (logged as an error once) and new telemetry is refused.
Both losses are counted durably (`stats().dropped_telemetry`). A dropped record keeps its
(boot, seq) as a placeholder (about ROW_OVERHEAD_BYTES), sent as a `telemetry_dropped` event of
the agent stamped with the time of sending: a plain hole would stop the cloud's gapless ack
there for good, and every record after it would be resent forever. Past `alarm_fraction` of
the budget an `outbox_nearly_full` event of the agent is appended once; it re-arms when usage
falls back below ALARM_REARM_RATIO of that mark.

Durability (fsync policy). SQLite in WAL mode, one transaction per append; the drops, counter
and alarm an append causes commit with it. After `kill -9` everything a returned call wrote is
there: COMMIT has handed the WAL to the kernel, and a transaction cut short has no commit frame,
so the next open ignores it. After a power cut, what needs to survive does, because those
commits run with `synchronous=FULL` and fsync the WAL (provided the SD card honours flushes):
every appended record, its drops and counters, and each new boot. Sending state and acks commit
with `synchronous=NORMAL`, no fsync of their own (the next synced commit covers them): a power
cut may undo the last of them, which costs only a resend the cloud dedupes, since `sent_at` is
cleared on open anyway; WAL checksums keep the file sound either way. The cost is one fsync per
record appended, which the bench sets beside raw SQLite commits; if it ever matters, group a
poll cycle's records into one transaction rather than weaken `synchronous`.

Resend timing runs on `time.monotonic`: `sent_at` is cleared on open and on reconnect, so it
never outlives the process, and a clock stepped by NTP at boot cannot hold resends back.
"""

import logging
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from pydantic import TypeAdapter

from edge.outbox_limits import Budget, OutboxStats, RecordClass, ReplayPace, Usage
from edge.sqlite import open_durable, transaction
from protocols.messages import EventRecord, ReadingRecord, Record

log = logging.getLogger(__name__)

CLOCK_FLOOR = 1_767_225_600
"""2026-01-01T00:00Z: a wall clock earlier than this has not been set."""
_UNSET_CLOCK_BOOTS = 2**40
"""Random boots for an unset clock lie far above any real clock's seconds."""
DEFAULT_MAX_BYTES = 256 * 2**20
ALARM_EVENT = "outbox_nearly_full"
DROPPED_EVENT = "telemetry_dropped"

_RECORD = TypeAdapter[Record](Record)
_DROP_CHUNK = 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    boot INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    record_class INTEGER NOT NULL,  -- RecordClass
    size INTEGER NOT NULL,          -- bytes of `record`
    record TEXT NOT NULL,   -- the record's JSON, exactly as it will be sent ('' once DROPPED)
    sent_at REAL,           -- monotonic time of the last send; NULL = not sent since (re)connect
    PRIMARY KEY (boot, seq)
) WITHOUT ROWID;
"""
_INDEXES = """
-- Only what is in flight (a few batches), for in_flight_count and mark_all_unsent; appends and
-- next_batch (which walks the primary key) never touch it.
CREATE INDEX IF NOT EXISTS records_in_flight ON records (sent_at) WHERE sent_at IS NOT NULL;
"""
_TO_SEND = (
    "SELECT boot, seq, record_class, record FROM records WHERE (sent_at IS NULL OR sent_at <= ?)"
)
_LIVE = f"{_TO_SEND} AND boot = ? ORDER BY seq LIMIT ?"
_BACKLOG = f"{_TO_SEND} AND boot < ? ORDER BY boot, seq LIMIT ?"


class Outbox:
    """The agent's durable queue of records for the cloud."""

    def __init__(
        self,
        path: str | Path,
        *,
        agent: str,
        resend_after_s: float = 15.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        alarm_fraction: float = 0.8,
        replay_records_per_s: float = 5000.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.agent = agent
        self.resend_after_s = resend_after_s
        self.budget = Budget(max_bytes=max_bytes, alarm_fraction=alarm_fraction)
        self.replay = ReplayPace(replay_records_per_s, clock)
        self._clock = clock
        self._wall_clock = wall_clock
        self._told: set[str] = set()
        self._db = open_durable(self.path)
        self._db.executescript(_SCHEMA)
        _add_classes_to_old_file(self._db)
        self._db.executescript(_INDEXES)
        self._usage = self._count_usage()
        self.boot = self._last_seq = 0
        self._start_epoch()
        self.mark_all_unsent()  # a fresh process has sent nothing yet, whatever the last one did

    def __repr__(self) -> str:
        return f"Outbox({str(self.path)!r}, agent={self.agent!r}, boot={self.boot})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # Appending

    def append_reading(
        self,
        *,
        device: str,
        ts: datetime,
        values: dict[str, float],
        flags: Sequence[str] = (),
        billing: bool = False,
    ) -> int:
        """Store one poll of one device (a billing snapshot if the meter bills); returns its seq
        once it is on disk, or 0 for telemetry refused for lack of room (and counted)."""
        reading = NewReading(
            device=device, ts=ts, values=values, flags=tuple(flags), billing=billing
        )
        return self.append_readings([reading])[0]

    def append_readings(self, readings: Sequence["NewReading"]) -> list[int]:
        """Store several polls in one transaction, so one fsync covers them all (see
        edge.group_commit); their seqs, 0 for telemetry refused, as `append_reading`."""
        return self._append_all(
            [
                (self._reading_for(r), RecordClass.BILLING if r.billing else RecordClass.TELEMETRY)
                for r in readings
            ]
        )

    def _reading_for(self, reading: "NewReading") -> Callable[[int], ReadingRecord]:
        def build(seq: int) -> ReadingRecord:
            return ReadingRecord(
                agent=self.agent,
                boot=self.boot,
                seq=seq,
                device=reading.device,
                ts=reading.ts,
                values=reading.values,
                flags=list(reading.flags),
            )

        return build

    def append_event(
        self, *, device: str, ts: datetime, event: str, data: dict[str, Any] | None = None
    ) -> int:
        """Store something that happened at a device; returns its seq once it is on disk."""

        def build(seq: int) -> EventRecord:
            return self._event(self.boot, seq, device=device, ts=ts, event=event, data=data)

        return self._append_all([(build, RecordClass.EVENT)])[0]

    def _append_all(
        self, records: Sequence[tuple[Callable[[int], ReadingRecord | EventRecord], RecordClass]]
    ) -> list[int]:
        """Store records built for their seqs, and what they cause (drops, the alarm), in one
        transaction; the seq each got, or 0 for telemetry refused."""
        last_seq = self._last_seq
        seqs = []
        with self._transaction():
            for build, record_class in records:
                record = build(last_seq + 1)
                stored = self._store(record, record_class)
                seqs.append(record.seq if stored else 0)
                if stored:
                    last_seq = record.seq
                if stored and self.budget.alarm_due(self._usage):
                    last_seq += 1
                    self._store(self._alarm(last_seq), RecordClass.EVENT)
                    self._usage.alarm_raised = True
                    self._save_state("alarm_raised", 1)
        self._last_seq = last_seq  # only once committed, so no seq is ever handed out twice
        return seqs

    def _store(self, record: ReadingRecord | EventRecord, record_class: RecordClass) -> bool:
        """Insert `record`, making room first; False if it was telemetry and no room was made."""
        text = record.model_dump_json()
        size = len(text.encode())
        short = self.budget.short_by(self._usage, size)
        if short > 0:
            short -= self._drop_oldest_telemetry(short)
        if short > 0 and record_class is RecordClass.TELEMETRY:
            self._count_dropped(1)
            self._tell_once(logging.WARNING, "outbox full: refusing new telemetry")
            return False
        if short > 0:
            self._tell_once(logging.ERROR, "outbox over budget: only billing and events are left")
        self._db.execute(
            "INSERT INTO records (boot, seq, record_class, size, record) VALUES (?, ?, ?, ?, ?)",
            (record.boot, record.seq, record_class, size, text),
        )
        self._usage.add(record_class, size)
        return True

    def _drop_oldest_telemetry(self, wanted: int) -> int:
        """Turn the oldest telemetry into placeholders until `wanted` bytes are free; returns
        the bytes freed, fewer if the telemetry runs out."""
        freed = dropped = 0
        while freed < wanted:
            oldest = self._db.execute(
                "SELECT boot, seq, size FROM records WHERE (boot, seq) > (?, ?)"
                " AND record_class = ? ORDER BY boot, seq LIMIT ?",
                (*self._usage.no_telemetry_before, RecordClass.TELEMETRY, _DROP_CHUNK),
            ).fetchall()
            if not oldest:
                self._usage.no_telemetry_before = (self.boot, self._last_seq)
                break
            for boot, seq, size in oldest:
                if freed >= wanted:
                    break
                self._db.execute(
                    "UPDATE records SET record_class = ?, size = 0, record = ''"
                    " WHERE boot = ? AND seq = ?",
                    (RecordClass.DROPPED, boot, seq),
                )
                self._usage.remove(RecordClass.TELEMETRY, size)
                self._usage.add(RecordClass.DROPPED, 0)
                self._usage.no_telemetry_before = (boot, seq)
                freed, dropped = freed + size, dropped + 1
        if dropped:
            self._count_dropped(dropped)
            self._tell_once(logging.WARNING, "outbox full: dropping the oldest telemetry")
        return freed

    def _count_dropped(self, count: int) -> None:
        self._usage.dropped_telemetry += count
        self._save_state("dropped_telemetry", self._usage.dropped_telemetry)

    def _tell_once(self, level: int, message: str) -> None:
        """Log `message` once while the outbox is full; again only after it has calmed down."""
        if message not in self._told:
            self._told.add(message)
            log.log(level, "%s: %s", message, self.stats())

    def _alarm(self, seq: int) -> EventRecord:
        data = {
            "used_bytes": self._usage.used_bytes(),
            "max_bytes": self.budget.max_bytes,
            "dropped_telemetry": self._usage.dropped_telemetry,
        }
        return self._event(
            self.boot, seq, device=self.agent, ts=self._now(), event=ALARM_EVENT, data=data
        )

    def _event(
        self,
        boot: int,
        seq: int,
        *,
        device: str,
        ts: datetime,
        event: str,
        data: dict[str, Any] | None = None,
    ) -> EventRecord:
        return EventRecord(
            agent=self.agent,
            boot=boot,
            seq=seq,
            device=device,
            ts=ts,
            event=event,
            data=data or {},
        )

    # Epochs

    def begin_epoch(self) -> bool:
        """Make what the current epoch still holds a backlog, so that records appended from now
        on go out first. Starts a new epoch by the rule of an open, unless the current one holds
        no more records than one replay burst: they would go out at once as backlog too, and
        each epoch is one more stream for the cloud. Returns whether it started one."""
        (waiting,) = self._db.execute(
            "SELECT count(*) FROM records WHERE boot = ?", (self.boot,)
        ).fetchone()
        if waiting <= self.replay.burst:
            return False
        self._start_epoch()
        return True

    def _start_epoch(self) -> None:
        with self._transaction():
            boot = max(self._state("boot") + 1, _boot_from_clock(self._wall_clock()))
            self._save_state("boot", boot)
        self.boot, self._last_seq = boot, 0
        log.info("outbox %s: epoch (boot) %d begins", self.path, boot)

    # Sending

    def next_batch(self, max_records: int) -> list[Record]:
        """Records to send: not sent since (re)connecting, or sent over `resend_after_s` ago
        without an ack. Live ones (this epoch) first, in seq order; then backlog (older epochs),
        oldest first, as far as the replay pace allows. Call `mark_sent` once they are out."""
        due = self._clock() - self.resend_after_s
        batch = self._fetch(_LIVE, due, max_records)
        room = min(max_records - len(batch), self.replay.available())
        if room > 0:
            backlog = self._fetch(_BACKLOG, due, room)
            self.replay.take(len(backlog))
            batch += backlog
        return batch

    def _fetch(self, query: str, due: float, limit: int) -> list[Record]:
        rows = self._db.execute(query, (due, self.boot, limit))
        return [self._decode(*row) for row in rows]

    def _decode(self, boot: int, seq: int, record_class: int, text: str) -> Record:
        if record_class == RecordClass.DROPPED:
            return self._event(boot, seq, device=self.agent, ts=self._now(), event=DROPPED_EVENT)
        return _RECORD.validate_json(text)

    def mark_sent(self, records: Sequence[Record]) -> None:
        now = self._clock()
        with self._transaction(fsync=False):
            self._db.executemany(
                "UPDATE records SET sent_at = ? WHERE boot = ? AND seq = ?",
                [(now, r.boot, r.seq) for r in records],
            )

    def mark_all_unsent(self) -> None:
        """After a reconnect nothing in flight can be trusted to arrive: send it all again."""
        with self._transaction(fsync=False):
            self._db.execute("UPDATE records SET sent_at = NULL WHERE sent_at IS NOT NULL")

    def ack(self, boot: int, seq: int) -> int:
        """The cloud committed every record of `boot` up to `seq`: forget them. Returns how many."""
        with self._transaction(fsync=False):  # an ack lost to a power cut means a resend
            removed = self._db.execute(
                "DELETE FROM records WHERE boot = ? AND seq <= ? RETURNING record_class, size",
                (boot, seq),
            ).fetchall()
            for record_class, size in removed:
                self._usage.remove(RecordClass(record_class), size)
            if self._usage.alarm_raised and self.budget.calm(self._usage):
                self._usage.alarm_raised = False
                self._save_state("alarm_raised", 0)
        if self.budget.calm(self._usage):
            self._told.clear()
        return len(removed)

    # Looking

    def pending_count(self) -> int:
        """Records not yet acked (sent or not)."""
        return self._usage.pending()

    def in_flight_count(self) -> int:
        """Records sent recently and waiting for their ack."""
        row = self._db.execute(
            "SELECT count(*) FROM records WHERE sent_at > ?",
            (self._clock() - self.resend_after_s,),
        ).fetchone()
        return int(row[0])

    def stats(self) -> OutboxStats:
        """Pending records per class, bytes used and allowed, telemetry dropped."""
        return self.budget.stats(self._usage)

    # Storage

    def _count_usage(self) -> Usage:
        """Usage from the table itself: once, at open; appends and acks keep it in step."""
        by_class = self._db.execute(
            "SELECT record_class, count(*), coalesce(sum(size), 0) FROM records"
            " GROUP BY record_class"
        ).fetchall()
        return Usage(
            rows={RecordClass(c): count for c, count, _ in by_class},
            record_bytes=sum(size for _, _, size in by_class),
            dropped_telemetry=self._state("dropped_telemetry"),
            alarm_raised=bool(self._state("alarm_raised")),
        )

    def _state(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM outbox_state WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _save_state(self, key: str, value: int) -> None:
        self._db.execute(
            "INSERT INTO outbox_state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._wall_clock(), UTC)

    @contextmanager
    def _transaction(self, *, fsync: bool = True) -> Iterator[None]:
        """One short explicit transaction (the connection is in autocommit mode); without
        `fsync`, its commit waits for the next one that syncs (see the fsync policy). If it
        fails (disk full, I/O error), the usage is counted again from what the table holds."""
        if not fsync:
            self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            with transaction(self._db):
                yield
        except BaseException:
            self._usage = self._count_usage()
            raise
        finally:
            if not fsync:
                self._db.execute("PRAGMA synchronous=FULL")


def _add_classes_to_old_file(db: sqlite3.Connection) -> None:
    """Give an outbox written before record classes its `record_class` and `size` columns. Its
    readings may be billing snapshots, and nothing says which, so none of them is dropped."""
    if "record_class" in {row[1] for row in db.execute("PRAGMA table_info(records)")}:
        return
    db.executescript(
        f"""
        BEGIN IMMEDIATE;
        ALTER TABLE records ADD COLUMN record_class INTEGER NOT NULL DEFAULT {RecordClass.BILLING};
        ALTER TABLE records ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
        UPDATE records SET size = length(CAST(record AS BLOB)), record_class = iif(
            json_extract(record, '$.kind') = 'event', {RecordClass.EVENT}, {RecordClass.BILLING});
        COMMIT;
        """
    )


@dataclass(frozen=True)
class NewReading:
    """One poll of one device, waiting to be stored."""

    device: str
    ts: datetime
    values: dict[str, float]
    flags: tuple[str, ...] = ()
    billing: bool = False


def _boot_from_clock(now: float) -> int:
    if now >= CLOCK_FLOOR:
        return int(now)
    return _UNSET_CLOCK_BOOTS + secrets.randbelow(_UNSET_CLOCK_BOOTS)

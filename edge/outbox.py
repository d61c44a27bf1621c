"""Store-and-forward: every reading and event is durable on disk before it is sent, and stays
there until the cloud's ack (not the broker's PUBACK) says it is committed.

Durability (fsync policy): SQLite in WAL mode with `synchronous=FULL`, one transaction per
append, so a record whose `append_*` returned survives a crash or power cut. That costs one
fsync per record (a few ms on a Pi's SD card), fine at meter-poll rates; if it ever matters,
group a poll cycle's records into one transaction rather than weakening `synchronous`.

Numbering: each open starts a new `boot` epoch, and `seq` counts 1, 2, 3... within it. Records
of older boots keep their own boot and are still sent until acked. A boot is the wall clock in
whole seconds, or the stored boot + 1 if that is larger. The clock keeps boots growing when the
outbox file is lost (new SD card, var/ wiped): starting again at boot 1 would make the cloud,
idempotent on (agent, boot, seq), take new records for ones it has, ack them, and the agent
would delete them unsent. The stored + 1 keeps boots growing when the clock steps back (a Pi
without RTC restores its clock from fake-hwclock, so it is only nearly monotonic). A clock
before CLOCK_FLOOR was never set at all (a Pi that has not synchronised yet): then a random
boot above the floor stands in, so two fresh outboxes started unsynchronised do not collide.

Resend timing runs on `time.monotonic`: `sent_at` is cleared on open and on reconnect, so it
never outlives the process, and a clock stepped by NTP at boot cannot hold resends back.
"""

import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from pydantic import TypeAdapter

from protocols.messages import EventRecord, ReadingRecord, Record

CLOCK_FLOOR = 1_767_225_600
"""2026-01-01T00:00Z: a wall clock earlier than this has not been set."""
_UNSET_CLOCK_BOOTS = 2**40
"""Random boots for an unset clock lie far above any real clock's seconds."""

_RECORD = TypeAdapter[Record](Record)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    boot INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    record TEXT NOT NULL,   -- the record's JSON, exactly as it will be sent
    sent_at REAL,           -- monotonic time of the last send; NULL = not sent since (re)connect
    PRIMARY KEY (boot, seq)
) WITHOUT ROWID;
-- Only what is in flight (a few batches), for in_flight_count and mark_all_unsent; appends and
-- next_batch (which walks the primary key) never touch it.
CREATE INDEX IF NOT EXISTS records_in_flight ON records (sent_at) WHERE sent_at IS NOT NULL;
"""


class Outbox:
    """The agent's durable queue of records for the cloud."""

    def __init__(
        self,
        path: str | Path,
        *,
        agent: str,
        resend_after_s: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.agent = agent
        self.resend_after_s = resend_after_s
        self._clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        with self._transaction():
            row = self._db.execute("SELECT value FROM outbox_state WHERE key = 'boot'").fetchone()
            self.boot: int = max(row[0] + 1 if row else 1, _boot_from_clock(wall_clock()))
            self._db.execute(
                "INSERT INTO outbox_state (key, value) VALUES ('boot', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (self.boot,),
            )
            # A fresh process has sent nothing yet, whatever the previous one managed.
            self._db.execute("UPDATE records SET sent_at = NULL")
        self._last_seq = 0

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

    def append_reading(
        self,
        *,
        device: str,
        ts: datetime,
        values: dict[str, float],
        flags: Sequence[str] = (),
        billing: bool = False,
    ) -> int:
        """Store one poll of one device; returns its seq once it is on disk. `billing` marks a
        billing meter's snapshot (the bus scheduler says so); every record is kept until the
        cloud acks it either way."""
        return self._append(
            ReadingRecord(
                agent=self.agent,
                boot=self.boot,
                seq=self._last_seq + 1,
                device=device,
                ts=ts,
                values=values,
                flags=list(flags),
            )
        )

    def append_event(
        self, *, device: str, ts: datetime, event: str, data: dict[str, Any] | None = None
    ) -> int:
        """Store something that happened at a device; returns its seq once it is on disk."""
        return self._append(
            EventRecord(
                agent=self.agent,
                boot=self.boot,
                seq=self._last_seq + 1,
                device=device,
                ts=ts,
                event=event,
                data=data or {},
            )
        )

    def _append(self, record: ReadingRecord | EventRecord) -> int:
        with self._transaction():
            self._db.execute(
                "INSERT INTO records (boot, seq, record) VALUES (?, ?, ?)",
                (record.boot, record.seq, record.model_dump_json()),
            )
        self._last_seq = record.seq
        return record.seq

    def next_batch(self, max_records: int) -> list[Record]:
        """Oldest records not sent since (re)connecting, or sent over `resend_after_s` ago
        without an ack. Call `mark_sent` once they are published."""
        rows = self._db.execute(
            "SELECT record FROM records WHERE sent_at IS NULL OR sent_at <= ?"
            " ORDER BY boot, seq LIMIT ?",
            (self._clock() - self.resend_after_s, max_records),
        ).fetchall()
        return [_RECORD.validate_json(row[0]) for row in rows]

    def mark_sent(self, records: Sequence[Record]) -> None:
        now = self._clock()
        with self._transaction():
            self._db.executemany(
                "UPDATE records SET sent_at = ? WHERE boot = ? AND seq = ?",
                [(now, r.boot, r.seq) for r in records],
            )

    def mark_all_unsent(self) -> None:
        """After a reconnect nothing in flight can be trusted to arrive: send it all again."""
        with self._transaction():
            self._db.execute("UPDATE records SET sent_at = NULL WHERE sent_at IS NOT NULL")

    def ack(self, boot: int, seq: int) -> int:
        """The cloud committed every record of `boot` up to `seq`: forget them. Returns how many."""
        with self._transaction():
            cursor = self._db.execute(
                "DELETE FROM records WHERE boot = ? AND seq <= ?", (boot, seq)
            )
        return cursor.rowcount

    def pending_count(self) -> int:
        """Records not yet acked (sent or not)."""
        return int(self._db.execute("SELECT count(*) FROM records").fetchone()[0])

    def in_flight_count(self) -> int:
        """Records sent recently and waiting for their ack."""
        row = self._db.execute(
            "SELECT count(*) FROM records WHERE sent_at > ?",
            (self._clock() - self.resend_after_s,),
        ).fetchone()
        return int(row[0])

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # The connection runs in autocommit mode, so transactions are explicit and short.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _boot_from_clock(now: float) -> int:
    if now >= CLOCK_FLOOR:
        return int(now)
    return _UNSET_CLOCK_BOOTS + secrets.randbelow(_UNSET_CLOCK_BOOTS)

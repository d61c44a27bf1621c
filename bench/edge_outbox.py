"""Edge outbox: durable appends against raw SQLite commits, appends when full, backlog replay
(target ≥ 20,000 records/s) and the bytes a buffered reading takes on disk."""

import logging
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from bench._report import report, timed
from edge.outbox import NewReading, Outbox
from edge.outbox_limits import ROW_OVERHEAD_BYTES
from protocols.messages import ReadingRecord

RECORDS = 20_000
FULL_RECORDS = 2_000
CHUNK = 1_000
GROUP = 20
"""Readings per transaction in the group-commit row: 200 meters a second, 50 ms windows."""
BATCH = 500
REPLAY_TARGET = 20_000
AGENT = "bldg-a"
UNLIMITED = 1e12
"""A replay pace no bench reaches: the replay figure is what the outbox itself can do."""


@dataclass(frozen=True)
class Poll:
    """A realistic poll of a 3-phase meter: five values, a device code, microsecond time."""

    device: str
    ts: datetime
    values: dict[str, float]

    @classmethod
    def number(cls, seq: int, start: datetime) -> "Poll":
        values = {
            "voltage": 229.8 + seq % 7 / 10,
            "current": 12.31 + seq % 13 / 100,
            "active_power": 2.83 + seq % 11 / 100,
            "frequency": 50.01,
            "energy_import": 18234.52 + seq / 100,
        }
        ts = start + timedelta(seconds=15 * seq, microseconds=seq % 999_983)
        return cls(device=f"EM-B2-{seq % 200:03d}", ts=ts, values=values)

    def record(self, *, boot: int, seq: int) -> ReadingRecord:
        return ReadingRecord(
            agent=AGENT, boot=boot, seq=seq, device=self.device, ts=self.ts, values=self.values
        )


def _append(outbox: Outbox, polls: list[Poll]) -> None:
    for poll in polls:
        outbox.append_reading(device=poll.device, ts=poll.ts, values=poll.values)


def _replay(outbox: Outbox) -> None:
    """What the uplink does with a backlog: batch, publish (skipped), mark sent, take the ack."""
    while batch := outbox.next_batch(BATCH):
        outbox.mark_sent(batch)
        outbox.ack(batch[-1].boot, batch[-1].seq)


def _file_bytes(path: Path) -> int:
    """The database file's size once the WAL is checkpointed into it."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def _raw_sqlite(path: Path) -> sqlite3.Connection:
    """The limit: a bare table with the same durability (WAL, synchronous=FULL), nothing else."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE r (boot INTEGER, seq INTEGER, record TEXT, PRIMARY KEY (boot, seq))")
    return db


def _raw_commits(db: sqlite3.Connection, rows: list[tuple[int, int, str]]) -> None:
    for row in rows:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO r VALUES (?, ?, ?)", row)
        db.execute("COMMIT")


def _rows(polls: list[Poll], *, boot: int) -> list[tuple[int, int, str]]:
    """The rows the outbox stores for `polls`: (boot, seq, JSON)."""
    return [
        (boot, seq, poll.record(boot=boot, seq=seq).model_dump_json())
        for seq, poll in enumerate(polls, start=1)
    ]


def _appends_beside_raw_commits(
    outbox: Outbox, raw: sqlite3.Connection, polls: list[Poll], rows: list[tuple[int, int, str]]
) -> tuple[float, float]:
    """Seconds for appending `polls`, and for raw commits of the same `rows`, taken in alternate
    chunks: other work on the machine then weighs on both alike, and their ratio holds."""
    append_s = raw_s = 0.0
    for first in range(0, len(polls), CHUNK):
        append_s += timed(partial(_append, outbox, polls[first : first + CHUNK]))
        raw_s += timed(partial(_raw_commits, raw, rows[first : first + CHUNK]))
    return append_s, raw_s


def _group_appends(path: Path, polls: list[Poll]) -> float:
    """Seconds for appending `polls` in groups of GROUP, one transaction each: what the agent's
    group commit (edge.group_commit) does with the readings of one 50 ms window."""
    readings = [NewReading(device=p.device, ts=p.ts, values=p.values) for p in polls]
    with Outbox(path, agent=AGENT, resend_after_s=3600) as outbox:
        return timed(
            lambda: [
                outbox.append_readings(readings[first : first + GROUP])
                for first in range(0, len(readings), GROUP)
            ]
        )


def _full_appends(path: Path, polls: list[Poll]) -> float:
    """Seconds for FULL_RECORDS appends to a full outbox, each first dropping the oldest
    telemetry (a 1 MiB budget: about 3,500 readings)."""
    with Outbox(path, agent=AGENT, max_bytes=2**20, alarm_fraction=0.99) as outbox:
        _append(outbox, polls[: 2**20 // 256])
        seconds = timed(lambda: _append(outbox, polls[-FULL_RECORDS:]))
        assert outbox.stats().dropped_telemetry >= FULL_RECORDS, "it did not drop every time"
    return seconds


def main() -> None:
    logging.getLogger("edge.outbox").setLevel(logging.ERROR)  # "full, dropping" is expected
    start = datetime.now(UTC)
    polls = [Poll.number(seq, start) for seq in range(1, RECORDS + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "outbox.sqlite3"
        with (
            Outbox(path, agent=AGENT, resend_after_s=3600) as outbox,
            closing(_raw_sqlite(Path(tmp) / "raw.sqlite3")) as raw,
        ):
            rows = _rows(polls, boot=outbox.boot)
            append_s, raw_s = _appends_beside_raw_commits(outbox, raw, polls, rows)
        file_bytes = _file_bytes(path)
        # Reopened, all of it is an older epoch: the backlog lane, at an unlimited pace.
        with Outbox(path, agent=AGENT, resend_after_s=3600, replay_records_per_s=UNLIMITED) as ob:
            replay_s = timed(lambda: _replay(ob))
            assert ob.pending_count() == 0
        full_s = _full_appends(Path(tmp) / "full.sqlite3", polls)
        group_s = _group_appends(Path(tmp) / "grouped.sqlite3", polls)

    append_rate, raw_rate, group_rate = RECORDS / append_s, RECORDS / raw_s, RECORDS / group_s
    replay_rate, full_rate = RECORDS / replay_s, FULL_RECORDS / full_s
    per_reading = file_bytes / RECORDS
    json_per_reading = sum(len(text) for _, _, text in rows) / RECORDS
    overhead = per_reading - json_per_reading
    report(
        "edge-outbox",
        [
            ("append (durable, one commit per record)", append_rate, "records/s"),
            ("limit: raw SQLite commit of the same rows", raw_rate, "records/s"),
            ("ratio append / limit", append_rate / raw_rate, ""),
            (f"append in groups of {GROUP} (group commit)", group_rate, "records/s"),
            ("append when full (drops the oldest telemetry)", full_rate, "records/s"),
            (f"replay of a backlog, batches of {BATCH} (send + ack)", replay_rate, "records/s"),
            (f"ratio replay / target {REPLAY_TARGET:,}", replay_rate / REPLAY_TARGET, ""),
            ("bytes per buffered 5-value reading (file / records)", per_reading, "bytes"),
            ("  of which the record's JSON", json_per_reading, "bytes"),
            (f"  SQLite per row (the budget counts {ROW_OVERHEAD_BYTES})", overhead, "bytes"),
        ],
        {
            "records": RECORDS,
            "append_per_s": round(append_rate, 1),
            "raw_commit_per_s": round(raw_rate, 1),
            "ratio": round(append_rate / raw_rate, 3),
            "append_full_per_s": round(full_rate, 1),
            "append_grouped_per_s": round(group_rate, 1),
            "group": GROUP,
            "replay_per_s": round(replay_rate, 1),
            "replay_target_per_s": REPLAY_TARGET,
            "bytes_per_reading": round(per_reading, 1),
            "json_bytes_per_reading": round(json_per_reading, 1),
            "row_overhead_bytes": round(overhead, 1),
        },
    )


if __name__ == "__main__":
    main()

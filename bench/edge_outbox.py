"""Edge outbox: durable appends and the send/ack cycle, against raw SQLite commits."""

import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench._report import report, timed
from edge.outbox import Outbox
from protocols.messages import ReadingRecord

RECORDS = 2_000
BATCH = 500
VALUES = {
    "voltage": 229.8,
    "current": 12.31,
    "active_power": 2.83,
    "frequency": 50.01,
    "energy_import": 18234.52,
}


def _raw_sqlite_commits(path: Path, rows: list[tuple[int, int, str]]) -> None:
    """The limit: the same rows, one durable (WAL, synchronous=FULL) commit each, nothing else."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE r (boot INTEGER, seq INTEGER, record TEXT, PRIMARY KEY (boot, seq))")
    for row in rows:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO r VALUES (?, ?, ?)", row)
        db.execute("COMMIT")
    db.close()


def main() -> None:
    ts = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(Path(tmp) / "outbox.sqlite3", agent="bench", resend_after_s=3600)

        def append_all() -> None:
            for _ in range(RECORDS):
                outbox.append_reading(device="EM-1", ts=ts, values=VALUES)

        def send_and_ack_all() -> None:
            while batch := outbox.next_batch(BATCH):
                outbox.mark_sent(batch)
                outbox.ack(batch[-1].boot, batch[-1].seq)

        append_s = timed(append_all)
        cycle_s = timed(send_and_ack_all)
        assert outbox.pending_count() == 0
        outbox.close()

        row_json = ReadingRecord(
            agent="bench", boot=1, seq=1, device="EM-1", ts=ts, values=VALUES
        ).model_dump_json()
        rows = [(1, seq, row_json) for seq in range(1, RECORDS + 1)]
        raw_s = timed(lambda: _raw_sqlite_commits(Path(tmp) / "raw.sqlite3", rows))

    append_rate, raw_rate = RECORDS / append_s, RECORDS / raw_s
    cycle_rate = RECORDS / cycle_s
    report(
        "edge-outbox",
        [
            ("append (durable, one commit per record)", append_rate, "records/s"),
            ("limit: raw SQLite commit of the same rows", raw_rate, "records/s"),
            ("ratio append / limit", append_rate / raw_rate, ""),
            (f"send + ack in batches of {BATCH}", cycle_rate, "records/s"),
        ],
        {
            "records": RECORDS,
            "append_per_s": round(append_rate, 1),
            "raw_commit_per_s": round(raw_rate, 1),
            "ratio": round(append_rate / raw_rate, 3),
            "send_ack_per_s": round(cycle_rate, 1),
        },
    )


if __name__ == "__main__":
    main()

"""How a batch's receipts and readings reach their tables, the one place the two databases part:
on PostgreSQL binary COPY (readings straight into their table, after making sure the months'
partitions exist; receipts, and readings that clash, through per-connection staging tables and
INSERT … SELECT … ON CONFLICT DO NOTHING); on SQLite (the demo) plain inserts that ignore
duplicates. Either way the meters and days whose energy register got readings go on
the rollups' backlog."""

from datetime import datetime
from operator import itemgetter
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from cloud.db.upsert import insert_ignoring_duplicates
from cloud.energy import partitions
from cloud.energy.models import Reading
from cloud.energy.rollups import note_for_rollups
from cloud.ingest.models import IngestReceipt

Key = tuple[int, int, int]
"""(agent id, boot, seq): what makes a record the same record when it is sent again."""


ReadingRow = tuple[int, str, datetime, float]
"""(device id, metric, ts, value): a plain tuple, as tens of thousands are made per batch."""


def claim_receipts(session: Session, keys: list[Key]) -> set[Key]:
    """Record `keys` as received; return those that were not already (the records to store).

    A key another transaction is inserting waits for it to end, so concurrent workers never
    both take the same record; the keys go in sorted so two workers cannot deadlock on them."""
    if not keys:
        return set()
    if _on_postgresql(session):
        return _copy_receipts(session, sorted(keys))
    inserted = session.execute(
        insert_ignoring_duplicates(session, IngestReceipt).returning(
            IngestReceipt.agent_id, IngestReceipt.boot, IngestReceipt.seq
        ),
        [{"agent_id": a, "boot": b, "seq": s} for a, b, s in sorted(keys)],
    )
    return {(a, b, s) for a, b, s in inserted}


def insert_readings(session: Session, rows: list[ReadingRow]) -> None:
    """Store `rows`, keeping whatever reading already has the same (device, metric, ts)."""
    if not rows:
        return
    if _on_postgresql(session):
        _copy_readings(session, rows)
        return
    columns = ("device_id", "metric", "ts", "value")
    session.execute(
        insert_ignoring_duplicates(session, Reading),
        [dict(zip(columns, r, strict=True)) for r in rows],
    )
    note_for_rollups(session, rows)


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# Temporary tables live as long as their connection and are visible to it alone, so each
# worker's pooled connections stage without colliding. ON COMMIT DELETE ROWS empties them at
# every commit (a rollback discards what was staged). Rows an earlier call in the same
# transaction staged are in their tables already, so moving them again only skips them.
_STAGE_RECEIPTS = """
CREATE TEMPORARY TABLE IF NOT EXISTS ingest_staged_receipts
    (agent_id bigint, boot bigint, seq bigint) ON COMMIT DELETE ROWS
"""
_STAGE_READINGS = """
CREATE TEMPORARY TABLE IF NOT EXISTS ingest_staged_readings
    (device_id bigint, metric text, ts timestamptz, value float8) ON COMMIT DELETE ROWS
"""
_MOVE_RECEIPTS = """
INSERT INTO ingest_receipts (agent_id, boot, seq)
SELECT agent_id, boot, seq FROM ingest_staged_receipts ORDER BY agent_id, boot, seq
ON CONFLICT (agent_id, boot, seq) DO NOTHING
RETURNING agent_id, boot, seq
"""
_MOVE_READINGS = """
INSERT INTO readings (device_id, metric, ts, value)
SELECT device_id, metric, ts, value FROM ingest_staged_readings
ON CONFLICT (device_id, metric, ts) DO NOTHING
"""


def _copy_receipts(session: Session, keys: list[Key]) -> set[Key]:
    """COPY straight into `ingest_receipts`, inside a savepoint: all new, the common case,
    costs one pass and returns nothing. Only when a key is there already (a resend, or a copy
    another worker committed) stage them and move those that are new, returning which."""
    connection = _psycopg(session)
    try:
        with connection.transaction(), connection.cursor() as cursor:
            _copy_keys(cursor, "ingest_receipts", keys)
        return set(keys)
    except psycopg.errors.UniqueViolation:
        pass
    with connection.cursor() as cursor:
        cursor.execute(_STAGE_RECEIPTS)
        _copy_keys(cursor, "ingest_staged_receipts", keys)
        cursor.execute(_MOVE_RECEIPTS)
        return {(a, b, s) for a, b, s in cursor.fetchall()}


def _copy_keys(cursor: Any, table: str, keys: list[Key]) -> None:
    with cursor.copy(f"COPY {table} (agent_id, boot, seq) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int8", "int8", "int8"])
        for key in keys:
            copy.write_row(key)


def _copy_readings(session: Session, rows: list[ReadingRow]) -> None:
    """COPY straight into `readings`, inside a savepoint; only when a row is there already (a
    record sent again under another seq, or twice in one batch) stage them and move those that
    are new. Receipts have already dropped resent records, so that is rare, and the common
    case costs what COPY costs."""
    stamps = list(map(itemgetter(2), rows))  # in C: a generator here cost a tenth of the COPY
    first, last = min(stamps), max(stamps)
    partitions.ensure_months(session.connection(), partitions.months_between(first, last))
    connection = _psycopg(session)
    try:
        with connection.transaction(), connection.cursor() as cursor:
            _copy_rows(cursor, "readings", rows)
    except psycopg.errors.UniqueViolation:
        with connection.cursor() as cursor:
            cursor.execute(_STAGE_READINGS)
            _copy_rows(cursor, "ingest_staged_readings", rows)
            cursor.execute(_MOVE_READINGS)
    note_for_rollups(session, rows)


def _copy_rows(cursor: Any, table: str, rows: list[ReadingRow]) -> None:
    with cursor.copy(
        f"COPY {table} (device_id, metric, ts, value) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["int8", "text", "timestamptz", "float8"])
        for row in rows:
            copy.write_row(row)


def _psycopg(session: Session) -> Any:
    """The psycopg 3 connection under the session's, inside the session's transaction."""
    session.flush()  # what the ORM holds goes first, in statement order
    return session.connection().connection.driver_connection

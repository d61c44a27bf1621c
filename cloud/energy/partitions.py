"""Monthly range partitions of `readings` on PostgreSQL without TimescaleDB.

Partitions live in a schema of their own (`readings_partitions`), so the public schema holds
just the tables the models describe. A DEFAULT partition takes any reading whose month has no
partition yet, so a write never fails for lack of one; `ensure_months` creates a month's
partition before a write that needs it (moving whatever the default holds for that month), and
`maintain` creates them ahead and empties the default of anything that still landed there.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text

SCHEMA = "readings_partitions"
DEFAULT = "readings_default"
_LOCK_KEY = 0x70617274  # pg_advisory_xact_lock key: one creator of partitions at a time

_known: set[date] = set()
"""Months whose partition this process has seen committed: the common case costs no query."""


def month_of(at: datetime) -> date:
    at = at.astimezone(UTC)
    return date(at.year, at.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_between(first: datetime, last: datetime) -> list[date]:
    """Every month from the one of `first` to the one of `last`, both included."""
    months, month, end = [], month_of(first), month_of(last)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return months


def partition_name(month: date) -> str:
    return f"readings_{month:%Y%m}"


def natively_partitioned(conn: Connection) -> bool:
    """Whether `readings` is the partitioned table of this module (not a TimescaleDB hypertable,
    whose chunks are its business)."""
    kind = conn.scalar(text("SELECT relkind FROM pg_class WHERE oid = 'public.readings'::regclass"))
    return bool(kind == "p")


def existing(conn: Connection) -> set[date]:
    """The months that have a partition (the default partition is not one)."""
    names = conn.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'public.readings'::regclass"
        )
    )
    return {date(int(n[9:13]), int(n[13:15]), 1) for n in names if n != DEFAULT}


def ensure_months(conn: Connection, months: Iterable[date]) -> list[date]:
    """Create the partitions of `months` that are missing; return those created. Runs in the
    caller's transaction: a concurrent caller waits on the lock, then finds them made."""
    wanted = set(months) - _known
    if not wanted or not natively_partitioned(conn):
        return []
    found = existing(conn)
    _known.update(found & wanted)  # only grows: partitions are never dropped here
    missing = wanted - found
    if not missing:
        return []
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    missing -= existing(conn)
    for month in sorted(missing):
        for statement in create_statements(month):
            conn.execute(text(statement))
    return sorted(missing)


def create_statements(month: date) -> list[str]:
    """DDL for one month's partition. Rows the default partition holds for the month move into
    the new table first: PostgreSQL refuses to attach a range the default still has rows of."""
    name, lo, hi = partition_name(month), _literal(month), _literal(next_month(month))
    table = f"{SCHEMA}.{name}"
    return [
        f"CREATE TABLE {table} (LIKE public.readings INCLUDING DEFAULTS)",
        f"WITH moved AS (DELETE FROM {SCHEMA}.{DEFAULT} WHERE ts >= {lo} AND ts < {hi} "
        f"RETURNING device_id, metric, ts, value) INSERT INTO {table} SELECT * FROM moved",
        f"ALTER TABLE public.readings ATTACH PARTITION {table} FOR VALUES FROM ({lo}) TO ({hi})",
        # Readings arrive in time order, so each block holds a narrow range of ts: a BRIN index
        # of a few pages lets a query over many meters read only the blocks of its range.
        f"CREATE INDEX {name}_ts_brin ON {table} USING brin (ts)",
    ]


def _literal(month: date) -> str:
    return f"'{month:%Y-%m-%d} 00:00:00+00'"


def months_in_default(conn: Connection) -> list[date]:
    """Months of readings that landed in the default partition."""
    rows = conn.scalars(
        text(f"SELECT DISTINCT date_trunc('month', ts, 'UTC') FROM {SCHEMA}.{DEFAULT}")
    )
    return sorted(month_of(at) for at in rows)


def maintain(conn: Connection, *, now: datetime, ahead: int = 3) -> list[date]:
    """The job: partitions for this month and `ahead` months more, and for any month the
    default partition holds readings of. Returns the months created."""
    months = [month_of(now)]
    for _ in range(ahead):
        months.append(next_month(months[-1]))
    if not natively_partitioned(conn):
        return []
    return ensure_months(conn, [*months, *months_in_default(conn)])


def forget_known() -> None:
    """Drop the process's memory of partitions (after the schema is rebuilt, as tests do)."""
    _known.clear()

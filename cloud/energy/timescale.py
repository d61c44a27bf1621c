"""Readings on TimescaleDB, when the database has the extension: a hypertable in place of the
monthly partitions, compression and retention policies, and continuous aggregates of the energy
register at 15 minutes, hour and day. Only SQL, generated here and checked by tests; the rest
of the code detects which path it is on (`installed_version`).

Written against TimescaleDB's reference pages; where the API changed between 2.x releases:
- `create_hypertable(relation, by_range(column, interval))` is the interface from 2.13; before
  it, `create_hypertable(relation, column, chunk_time_interval => …)` (deprecated in 2.13).
- `ALTER TABLE … SET (timescaledb.compress, …)` and `add_compression_policy` are superseded by
  the columnstore names in 2.18 but still supported, so one spelling serves every 2.x we take.
- `time_bucket(width, ts, timezone)` (org-local days) is from 2.8, continuous aggregates on top
  of continuous aggregates from 2.9: older releases are refused.
- Real-time aggregation is off by default from 2.13 (on before): it is set explicitly.

Continuous aggregates cannot hold window functions, so they keep each bucket's first and last
register value; a bucket's energy is its last value minus the previous bucket's last, worked
out when queried (`ENERGY_FROM_AGGREGATE`). A register that went down between two buckets
(meter replaced, rolled over) counts its new value, as the native rollups do; a fall and rise
inside one bucket is seen only at the bucket's grain there.
"""

from typing import Final

from sqlalchemy import Connection, text

from protocols.profiles import ENERGY_IMPORT

OLDEST: Final = (2, 9)
NEW_HYPERTABLE_API: Final = (2, 13)
CHUNK: Final = "7 days"
COMPRESS_AFTER: Final = "14 days"
"""Past the 7 days an agent's outbox may run behind, so late readings rarely meet a compressed
chunk (which TimescaleDB accepts, more slowly)."""
KEEP_READINGS: Final = "3 years"
REFRESH_BACK: Final = "8 days"
"""Continuous aggregates refresh this far back, so readings up to 7 days late get in."""
AGGREGATES: Final = ("energy_15m", "energy_1h", "energy_1d")


def installed_version(conn: Connection) -> tuple[int, int] | None:
    """The installed TimescaleDB (major, minor), or None without the extension."""
    version = conn.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"))
    if version is None:
        return None
    major, minor = str(version).split(".")[:2]
    return int(major), int(minor)


def setup_statements(version: tuple[int, int], *, zone: str) -> list[str]:
    """Turn the plain `readings` table into a hypertable with its policies and aggregates;
    `zone` is the time zone of the day buckets (the deployment's, `PARKOPS_TIMEZONE`)."""
    if version < OLDEST:
        raise ValueError(f"TimescaleDB {version[0]}.{version[1]} is older than 2.9")
    return [
        _hypertable(version),
        "ALTER TABLE readings SET (timescaledb.compress, "
        "timescaledb.compress_segmentby = 'device_id, metric', "
        "timescaledb.compress_orderby = 'ts DESC')",
        f"SELECT add_compression_policy('readings', compress_after => INTERVAL '{COMPRESS_AFTER}', "
        "if_not_exists => true)",
        f"SELECT add_retention_policy('readings', drop_after => INTERVAL '{KEEP_READINGS}', "
        "if_not_exists => true)",
        *_aggregates(zone),
        *_refresh_policies(),
    ]


def _hypertable(version: tuple[int, int]) -> str:
    if version >= NEW_HYPERTABLE_API:
        return (
            f"SELECT create_hypertable('readings', by_range('ts', INTERVAL '{CHUNK}'), "
            "migrate_data => true, if_not_exists => true)"
        )
    return (
        f"SELECT create_hypertable('readings', 'ts', chunk_time_interval => INTERVAL '{CHUNK}', "
        "migrate_data => true, if_not_exists => true)"
    )


def _aggregates(zone: str) -> list[str]:
    continuous = "WITH (timescaledb.continuous, timescaledb.materialized_only = false)"
    quarter = "time_bucket(INTERVAL '15 minutes', ts)"
    hour = "time_bucket(INTERVAL '1 hour', bucket)"
    day = f"time_bucket(INTERVAL '1 day', bucket, '{zone}')"
    return [
        f"CREATE MATERIALIZED VIEW energy_15m {continuous} AS "
        f"SELECT device_id, {quarter} AS bucket, first(value, ts) AS first_value, "
        "last(value, ts) AS last_value, count(*) AS readings FROM readings "
        f"WHERE metric = '{ENERGY_IMPORT}' GROUP BY device_id, {quarter} WITH NO DATA",
        f"CREATE MATERIALIZED VIEW energy_1h {continuous} AS "
        f"SELECT device_id, {hour} AS bucket, first(first_value, bucket) AS first_value, "
        "last(last_value, bucket) AS last_value, sum(readings) AS readings FROM energy_15m "
        f"GROUP BY device_id, {hour} WITH NO DATA",
        f"CREATE MATERIALIZED VIEW energy_1d {continuous} AS "
        f"SELECT device_id, {day} AS bucket, first(first_value, bucket) AS first_value, "
        "last(last_value, bucket) AS last_value, sum(readings) AS readings FROM energy_1h "
        f"GROUP BY device_id, {day} WITH NO DATA",
    ]


def _refresh_policies() -> list[str]:
    # end_offset leaves the bucket still filling out (it would be refreshed again anyway);
    # real-time aggregation adds it from the readings when queried.
    return [
        f"SELECT add_continuous_aggregate_policy('{view}', "
        f"start_offset => INTERVAL '{back}', end_offset => INTERVAL '{end}', "
        f"schedule_interval => INTERVAL '{every}', if_not_exists => true)"
        for view, back, end, every in (
            ("energy_15m", REFRESH_BACK, "15 minutes", "5 minutes"),
            ("energy_1h", "9 days", "1 hour", "15 minutes"),
            ("energy_1d", "10 days", "1 day", "1 hour"),
        )
    ]


def teardown_statements() -> list[str]:
    """Undo `setup_statements` as far as a downgrade needs: the aggregates and policies go (a
    hypertable stays one; the downgrade copies its rows into a plain table)."""
    return [
        *(f"DROP MATERIALIZED VIEW IF EXISTS {view}" for view in reversed(AGGREGATES)),
        "SELECT remove_retention_policy('readings', if_exists => true)",
        "SELECT remove_compression_policy('readings', if_exists => true)",
    ]


ENERGY_FROM_AGGREGATE: Final = """
SELECT bucket, sum(CASE WHEN rise < 0 THEN last_value ELSE coalesce(rise, 0) END * ct)
FROM (
    SELECT a.bucket, a.last_value, CAST(m.ct_ratio AS float8) AS ct,
           a.last_value - lag(a.last_value) OVER (PARTITION BY a.device_id ORDER BY a.bucket)
               AS rise
    FROM {view} a JOIN meters m ON m.id = a.device_id
    WHERE a.device_id = ANY(CAST(:devices AS bigint[]))
      AND a.bucket >= CAST(:a AS timestamptz) - CAST(:lookback AS interval) AND a.bucket < :b
) steps
WHERE bucket >= :a GROUP BY bucket ORDER BY bucket
"""
"""kWh per bucket of meters `:devices` in [a, b) from a continuous aggregate (`view`), CT
ratio applied; `:lookback` reaches the bucket before `a` (a day for hours, a month for days)."""


def energy_query(width: str) -> str:
    view = {"15m": "energy_15m", "1h": "energy_1h", "1d": "energy_1d"}[width]
    return ENERGY_FROM_AGGREGATE.format(view=view)

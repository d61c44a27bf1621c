"""The TimescaleDB path, which this machine cannot run: its SQL statements, checked one by one
against what TimescaleDB's reference asks, per version; and that PostgreSQL without the
extension is detected as such (and keeps its own partitions)."""

import re
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from cloud.energy import partitions, timescale
from protocols.profiles import ENERGY_IMPORT


def _called(statements: list[str], function: str) -> list[str]:
    return [s for s in statements if re.search(rf"\b{function}\(", s)]


def test_a_hypertable_with_the_interface_of_the_version() -> None:
    new = _called(timescale.setup_statements((2, 13), zone="Asia/Shanghai"), "create_hypertable")
    old = _called(timescale.setup_statements((2, 12), zone="Asia/Shanghai"), "create_hypertable")
    assert new == [
        "SELECT create_hypertable('readings', by_range('ts', INTERVAL '7 days'), "
        "migrate_data => true, if_not_exists => true)"
    ]
    assert old == [
        "SELECT create_hypertable('readings', 'ts', chunk_time_interval => INTERVAL '7 days', "
        "migrate_data => true, if_not_exists => true)"
    ]


def test_releases_without_hierarchical_aggregates_are_refused() -> None:
    with pytest.raises(ValueError, match="older than 2.9"):
        timescale.setup_statements((2, 8), zone="UTC")


def test_compression_is_enabled_before_its_policy_and_retention_follows() -> None:
    statements = timescale.setup_statements((2, 17), zone="UTC")
    enable = statements.index(
        "ALTER TABLE readings SET (timescaledb.compress, "
        "timescaledb.compress_segmentby = 'device_id, metric', "
        "timescaledb.compress_orderby = 'ts DESC')"
    )
    [policy] = _called(statements, "add_compression_policy")
    assert enable < statements.index(policy)
    assert "compress_after => INTERVAL '14 days'" in policy
    [retention] = _called(statements, "add_retention_policy")
    assert retention == (
        "SELECT add_retention_policy('readings', drop_after => INTERVAL '3 years', "
        "if_not_exists => true)"
    )


def test_continuous_aggregates_stack_15_minutes_hours_and_local_days() -> None:
    statements = timescale.setup_statements((2, 14), zone="Asia/Shanghai")
    views = [s for s in statements if s.startswith("CREATE MATERIALIZED VIEW")]
    assert [v.split()[3] for v in views] == list(timescale.AGGREGATES)
    for view in views:
        assert "WITH (timescaledb.continuous, timescaledb.materialized_only = false)" in view
        assert view.endswith("WITH NO DATA")  # allowed inside the migration's transaction
        assert "avg(" not in view  # energy is a register difference, never an average
    quarter, hour, day = views
    assert f"FROM readings WHERE metric = '{ENERGY_IMPORT}'" in quarter
    assert "time_bucket(INTERVAL '15 minutes', ts) AS bucket" in quarter
    assert "last(value, ts) AS last_value" in quarter
    assert "FROM energy_15m" in hour and "time_bucket(INTERVAL '1 hour', bucket)" in hour
    assert "FROM energy_1h" in day
    assert "time_bucket(INTERVAL '1 day', bucket, 'Asia/Shanghai')" in day
    # Every GROUP BY repeats the bucket expression the SELECT names.
    for view in views:
        bucket = re.search(r"(time_bucket\(.*?\)) AS bucket", view)
        assert bucket is not None and f"GROUP BY device_id, {bucket.group(1)}" in view


def test_each_aggregate_is_refreshed_back_past_the_late_data_window() -> None:
    statements = timescale.setup_statements((2, 14), zone="UTC")
    policies = _called(statements, "add_continuous_aggregate_policy")
    assert [re.search(r"'(\w+)'", p).group(1) for p in policies] == list(timescale.AGGREGATES)  # type: ignore[union-attr]
    for policy in policies:
        days = int(re.search(r"start_offset => INTERVAL '(\d+) days'", policy).group(1))  # type: ignore[union-attr]
        assert days > 7  # ingest takes readings up to 7 days late
        assert "end_offset => INTERVAL" in policy and "schedule_interval => INTERVAL" in policy
    # Policies come after the views they refresh.
    last_view = max(i for i, s in enumerate(statements) if s.startswith("CREATE MATERIALIZED"))
    assert all(statements.index(p) > last_view for p in policies)


def test_energy_from_an_aggregate_is_a_difference_of_last_values() -> None:
    query = timescale.energy_query("1h")
    assert "FROM energy_1h a" in query
    assert (
        "a.last_value - lag(a.last_value) OVER (PARTITION BY a.device_id ORDER BY a.bucket)"
        in query
    )
    assert "CASE WHEN rise < 0 THEN last_value" in query  # a replaced meter counts its new value


def test_teardown_drops_the_aggregates_top_down() -> None:
    drops = [s for s in timescale.teardown_statements() if s.startswith("DROP")]
    assert [d.split()[-1] for d in drops] == ["energy_1d", "energy_1h", "energy_15m"]


def test_plain_postgresql_is_detected_and_keeps_its_partitions(
    migrated_postgresql: str, engine_for: Callable[[str], Engine]
) -> None:
    with engine_for(migrated_postgresql).connect() as conn:
        assert timescale.installed_version(conn) is None
        assert partitions.natively_partitioned(conn)

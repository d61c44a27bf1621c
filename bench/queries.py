"""Dashboard energy queries over months of 15-minute readings: a building's kWh per day for a
month and a meter's hourly series for a week, latency p50/p95 from the rollups and straight
from the readings.

Size: PARKOPS_BENCH_QUERIES_METERS meters (default 200) over PARKOPS_BENCH_QUERIES_DAYS days
(default 92), in buildings of 100 meters; the full size is 2000 meters over 365 days (about 70
million readings, most of an hour on two cores). Readings are generated on the server
(generate_series, month by month in time order, as ingest writes them); rollups are built by
the product's own job code (`rollups.recompute`), a building's meters and a month at a time.
"""

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench._report import report
from bench.ingest import DEFAULT_URL, _bench_database
from cloud.db.engine import make_engine, make_sessionmaker
from cloud.db.migrate import upgrade
from cloud.energy import partitions, rollups
from cloud.energy.consumption import Scope, Width, series
from cloud.energy.models import Meter
from cloud.identity.actor import Actor
from cloud.identity.models import Org, Role
from cloud.ingest.models import EdgeAgent
from cloud.properties.models import Building, Floor, Site, Unit

METERS = int(os.environ.get("PARKOPS_BENCH_QUERIES_METERS", "200"))
DAYS = int(os.environ.get("PARKOPS_BENCH_QUERIES_DAYS", "92"))
PER_BUILDING = 100
RUNS = 30
ZONE = "Asia/Shanghai"
START = datetime(2025, 1, 1, tzinfo=UTC) - timedelta(hours=8)  # 2025-01-01 00:00 in Shanghai

_GENERATE = """
INSERT INTO readings (device_id, metric, ts, value)
SELECT m.id, 'energy_import', t,
       extract(epoch FROM t - :start) / 900 * (0.2 + (m.id % 10) * 0.05)
FROM generate_series(CAST(:lo AS timestamptz), CAST(:hi AS timestamptz) - interval '15 minutes',
                     interval '15 minutes') AS t
CROSS JOIN meters m
ORDER BY t, m.id
"""
# What one would write without rollups: the register's steps over the month (and the day
# before, for the step into its first reading), summed per org-local day.
_DAYS_FROM_READINGS = """
SELECT date_trunc('day', ts, 'Asia/Shanghai') AS day,
       sum(CASE WHEN diff < 0 THEN value ELSE coalesce(diff, 0) END * ct)
FROM (
    SELECT r.ts, r.value, CAST(m.ct_ratio AS float8) AS ct,
           r.value - lag(r.value) OVER (PARTITION BY r.device_id ORDER BY r.ts) AS diff
    FROM readings r JOIN meters m ON m.id = r.device_id
    WHERE m.unit_id IN (SELECT id FROM units WHERE building_id = :building)
      AND r.metric = 'energy_import' AND r.ts >= CAST(:a AS timestamptz) - interval '1 day'
      AND r.ts < :b
) steps
WHERE ts >= :a GROUP BY 1 ORDER BY 1
"""


def main() -> None:
    base = make_url(os.environ.get("PARKOPS_BENCH_DATABASE_URL", DEFAULT_URL))
    with _bench_database(base) as (url, _dsn):
        upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            actor, building_id, building_code, meter_code = _seed(session)
        load_s, rows = _load(sessions)
        rollup_s = _build_rollups(sessions)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        with sessions() as session:
            figures = _measure(session, actor, building_id, building_code, meter_code)
        engine.dispose()
    rows_table = [
        (f"readings ({METERS} meters x {DAYS} days)", rows, ""),
        ("  generated on the server in", load_s, "s"),
        ("  rolled up (15 min, hour, day) in", rollup_s, "s"),
    ]
    for name, (p50, p95) in figures.items():
        rows_table.append((f"{name} p50", p50 * 1000, "ms"))
        rows_table.append((f"{name} p95", p95 * 1000, "ms"))
    for query in ("building days of a month", "meter hours of a week"):
        with_, without = figures[f"{query}, rollups"][0], figures[f"{query}, readings"][0]
        rows_table.append((f"{query}: readings / rollups (p50)", without / with_, "x"))
    report(
        "queries",
        rows_table,
        {
            "meters": METERS,
            "days": DAYS,
            "readings": rows,
            "load_s": round(load_s, 1),
            "rollup_s": round(rollup_s, 1),
            **{
                f"{name.replace(' ', '_').replace(',', '')}_p{q}_ms": round(v * 1000, 2)
                for name, (p50, p95) in figures.items()
                for q, v in ((50, p50), (95, p95))
            },
        },
    )


def _seed(session: Session) -> tuple[Actor, int, str, str]:
    """An org with buildings of PER_BUILDING units, one billing meter each."""
    org = Org(code="bench", name="Bench", timezone=ZONE)
    session.add(org)
    session.flush()
    site = Site(org_id=org.id, code="bench-site", name="Bench park")
    session.add(site)
    session.flush()
    agent = EdgeAgent(org_id=org.id, site_id=site.id, code="bench-agent")
    session.add(agent)
    for b in range((METERS + PER_BUILDING - 1) // PER_BUILDING):
        building = Building(org_id=org.id, site_id=site.id, code=f"B{b}", name=f"B{b}")
        session.add(building)
        session.flush()
        floor = Floor(org_id=org.id, building_id=building.id, level=1, name="1F")
        session.add(floor)
        session.flush()
        for n in range(min(PER_BUILDING, METERS - b * PER_BUILDING)):
            unit = Unit(
                org_id=org.id,
                building_id=building.id,
                floor_id=floor.id,
                code=f"B{b}-{n:03d}",
                rentable_area_m2=Decimal(100),
            )
            session.add(unit)
            session.flush()
            session.add(
                Meter(
                    org_id=org.id,
                    site_id=site.id,
                    agent_id=agent.id,
                    code=f"EM-B{b}-{n:03d}",
                    profile="chint-ddsu666",
                    unit_id=unit.id,
                    ct_ratio=Decimal(1 + n % 3),
                    billing=True,
                )
            )
    session.flush()
    first = session.scalars(text("SELECT id FROM buildings ORDER BY id LIMIT 1")).one()
    actor = Actor(
        user_id=0, org_id=org.id, role=Role.admin, tenant_id=None, username="bench", display_name=""
    )
    return actor, int(first), "B0", "EM-B0-007"


def _load(sessions: Any) -> tuple[float, int]:
    """Readings month by month (each its partition, time-major like ingest's)."""
    end = START + timedelta(days=DAYS)
    started = time.perf_counter()
    month = partitions.month_of(START)
    while datetime.combine(month, datetime.min.time(), tzinfo=UTC) < end:
        lo = max(START, datetime.combine(month, datetime.min.time(), tzinfo=UTC))
        hi = min(end, datetime.combine(partitions.next_month(month), datetime.min.time(), UTC))
        with sessions.begin() as session:
            partitions.ensure_months(session.connection(), [month])
            session.execute(text(_GENERATE), {"start": START, "lo": lo, "hi": hi})
        month = partitions.next_month(month)
    seconds = time.perf_counter() - started
    with sessions() as session:
        rows = int(session.scalar(text("SELECT count(*) FROM readings")))
    return seconds, rows


def _build_rollups(sessions: Any) -> float:
    """Month by month, a building's meters at a time: what the job does for a day's backlog."""
    zone = ZoneInfo(ZONE)
    started = time.perf_counter()
    with sessions() as session:
        ids = list(session.scalars(text("SELECT id FROM meters ORDER BY id")))
    day, end = START, START + timedelta(days=DAYS)
    while day < end:
        local = day.astimezone(zone).date()
        following = partitions.next_month(local.replace(day=1))
        upto = min(end, datetime.combine(following, datetime.min.time(), zone).astimezone(UTC))
        for chunk in range(0, len(ids), PER_BUILDING):
            with sessions.begin() as session:
                rollups.recompute(
                    session.connection(),
                    device_ids=ids[chunk : chunk + PER_BUILDING],
                    zone=zone,
                    a=day,
                    b=upto,
                )
        day = upto
    return time.perf_counter() - started


def _measure(
    session: Session, actor: Actor, building_id: int, building: str, meter: str
) -> dict[str, tuple[float, float]]:
    """p50 and p95 seconds of each query over RUNS runs, each at another month or week."""
    months = [date(2025, 1 + (i % min(12, max(1, DAYS // 31))), 1) for i in range(RUNS)]
    month_ranges = [
        (
            datetime(m.year, m.month, 1, tzinfo=UTC) - timedelta(hours=8),
            datetime.combine(partitions.next_month(m), datetime.min.time(), UTC)
            - timedelta(hours=8),
        )
        for m in months
    ]
    weeks = [(START + timedelta(days=7 * (i % max(1, DAYS // 7 - 1)))) for i in range(RUNS)]
    week_ranges = [(w, w + timedelta(days=7)) for w in weeks]
    zone = ZoneInfo(ZONE)
    meter_id = int(session.scalar(text("SELECT id FROM meters WHERE code = :c"), {"c": meter}))

    def building_rollups(a: datetime, b: datetime) -> Any:
        return series(
            session=session,
            actor=actor,
            scope=Scope.building,
            code=building,
            width=Width.day,
            start=a,
            end=b,
        )

    def building_readings(a: datetime, b: datetime) -> Any:
        return session.execute(
            text(_DAYS_FROM_READINGS), {"building": building_id, "a": a, "b": b}
        ).all()

    def meter_rollups(a: datetime, b: datetime) -> Any:
        return series(
            session=session,
            actor=actor,
            scope=Scope.meter,
            code=meter,
            width=Width.hour,
            start=a,
            end=b,
        )

    def meter_readings(a: datetime, b: datetime) -> Any:
        return rollups.direct(
            session.connection(), device_ids=[meter_id], zone=zone, width="1h", a=a, b=b
        )

    # The two ways agree, or the comparison means nothing.
    a, b = month_ranges[0]
    by_rollups = [round(p.kwh, 3) for p in building_rollups(a, b).points]
    by_readings = [round(kwh, 3) for _, kwh in building_readings(a, b)]
    assert by_rollups == by_readings, (by_rollups[:3], by_readings[:3])
    return {
        "building days of a month, rollups": _timed(building_rollups, month_ranges),
        "building days of a month, readings": _timed(building_readings, month_ranges),
        "meter hours of a week, rollups": _timed(meter_rollups, week_ranges),
        "meter hours of a week, readings": _timed(meter_readings, week_ranges),
    }


def _timed(
    query: Callable[[datetime, datetime], Any], ranges: list[tuple[datetime, datetime]]
) -> tuple[float, float]:
    seconds = []
    for a, b in ranges:
        started = time.perf_counter()
        query(a, b)
        seconds.append(time.perf_counter() - started)
    ordered = sorted(seconds)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


if __name__ == "__main__":
    main()

"""Billing run on PostgreSQL: preview and post a month for 10,000 leases with metered lines
(target 5 s), and how the time per lease scales from 1,000 up.

Each size is an org of its own in one fresh database: one tenant, unit, billing meter and
legacy lease per lease, with boundary readings around March 2026 and one mid-month; a run adds
a rent line and an electricity line per lease on one bill per tenant. The figure is the wall
time of `post_run` (which gathers, as a preview does, then writes) and of a re-run that finds
everything posted; beside it, the SQL statements the run sent, to show it does not go per lease.
`PARKOPS_BENCH_BILLING_LARGE=1` adds the 50,000-lease size (a few minutes of seeding).
"""

import os
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.engine import Engine, make_url

from bench._report import report
from bench.ingest import DEFAULT_URL, _bench_database
from cloud.billing import runs
from cloud.db.engine import make_engine, make_sessionmaker
from cloud.db.migrate import upgrade
from cloud.energy.models import Meter, Reading
from cloud.identity.actor import Actor
from cloud.identity.models import Org, Role, User
from cloud.ingest.models import EdgeAgent
from cloud.leasing.models import Lease, Tenant
from cloud.properties.models import Building, Floor, Site, Unit
from protocols.profiles import ENERGY_IMPORT

TARGET_S = 5.0
SIZES = [1_000, 10_000] + ([50_000] if os.environ.get("PARKOPS_BENCH_BILLING_LARGE") else [])
READ_AT = [
    datetime(2026, 2, 28, 15, 45, tzinfo=UTC),  # 23:45 local, the opening
    datetime(2026, 3, 15, 4, tzinfo=UTC),
    datetime(2026, 3, 31, 15, 45, tzinfo=UTC),  # the closing
]


def _rows(engine: Engine, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many rows in one executemany; their ids in order."""
    with engine.begin() as conn:
        stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
        result = conn.execute(stmt, rows)
        return [row[0] for row in result]


def _seed(engine: Engine, size: int) -> Actor:
    """An org with `size` leases, each with its own tenant, unit, meter and readings."""
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        org = Org(code=f"bench{size}", name=f"Bench {size}", timezone="Asia/Shanghai")
        session.add(org)
        session.flush()
        site = Site(org_id=org.id, code=f"park{size}", name="Park")
        session.add(site)
        session.flush()
        agent = EdgeAgent(org_id=org.id, site_id=site.id, code=f"agent{size}")
        building = Building(org_id=org.id, site_id=site.id, code="A", name="A")
        session.add_all([agent, building])
        session.flush()
        floor = Floor(org_id=org.id, building_id=building.id, level=1, name="1F")
        user = User(
            org_id=org.id,
            username=f"fin{size}",
            display_name="Finance",
            role=Role.finance,
            password_hash="-",
        )
        session.add_all([floor, user])
        session.flush()
        ids = (org.id, site.id, agent.id, building.id, floor.id)
        actor = Actor.of(user)
    org_id, site_id, agent_id, building_id, floor_id = ids
    n = range(size)
    units = _rows(
        engine,
        Unit,
        [
            {
                "org_id": org_id,
                "building_id": building_id,
                "floor_id": floor_id,
                "code": f"U{i:06d}",
                "kind": "office",
                "rentable_area_m2": Decimal(80 + i % 120),
            }
            for i in n
        ],
    )
    tenants = _rows(
        engine,
        Tenant,
        [{"org_id": org_id, "code": f"T{i:06d}", "name": f"Tenant {i}"} for i in n],
    )
    _rows(
        engine,
        Lease,
        [
            {
                "org_id": org_id,
                "code": f"HT{i:06d}",
                "unit_id": units[i],
                "tenant_id": tenants[i],
                "start_date": date(2025, 1, 1),
                "end_date": date(2027, 12, 31),
                "monthly_rent": Decimal(8000 + i % 5000),
                "electricity_tariff": Decimal("1.1500"),
            }
            for i in n
        ],
    )
    meters = _rows(
        engine,
        Meter,
        [
            {
                "org_id": org_id,
                "site_id": site_id,
                "agent_id": agent_id,
                "code": f"M{i:06d}",
                "profile": "chint-ddsu666",
                "unit_id": units[i],
                "ct_ratio": Decimal(1 + i % 3),
                "billing": True,
            }
            for i in n
        ],
    )
    with engine.begin() as conn:
        conn.execute(
            insert(Reading),
            [
                {"device_id": m, "metric": ENERGY_IMPORT, "ts": ts, "value": 1000.0 + i + k * 37.25}
                for i, m in enumerate(meters)
                for k, ts in enumerate(READ_AT)
            ],
        )
    return actor


class Statements:
    """Counts the SQL statements an engine sends (an executemany counts once)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1


Figures = tuple[float, int, float, int, int, float]


def _run(engine: Engine, actor: Actor) -> Figures:
    """Seconds and statements of the first post and of a re-run, lines added, and this
    process's CPU seconds in the first post (the machine is shared: wall time moves with load,
    CPU time far less)."""
    sessions, counter = make_sessionmaker(engine), Statements(engine)
    figures: list[float | int] = []
    added = 0
    cpu = time.process_time()
    for _ in range(2):
        counter.count = 0
        start = time.perf_counter()
        with sessions.begin() as session:
            result = runs.post_run(
                session=session,
                actor=actor,
                period_start=date(2026, 3, 1),
                period_end=date(2026, 3, 31),
                posted_on=date(2026, 4, 1),
            )
        figures += [time.perf_counter() - start, counter.count]
        if not added:
            added, cpu = result.added, time.process_time() - cpu
    with sessions() as session:
        assert session.scalar(select(Lease.id).limit(1)) is not None
    return float(figures[0]), int(figures[1]), float(figures[2]), int(figures[3]), added, cpu


def main() -> None:
    base = make_url(os.environ.get("PARKOPS_BENCH_DATABASE_URL", DEFAULT_URL))
    results: dict[int, Figures] = {}
    with _bench_database(base) as (url, _dsn):
        upgrade(url)
        engine = make_engine(url)
        try:
            for size in SIZES:
                results[size] = _run(engine, _seed(engine, size))
        finally:
            engine.dispose()
    rows: list[tuple[str, float, str]] = []
    for size, (seconds, statements, rerun_s, rerun_statements, added, cpu) in results.items():
        assert added == 2 * size, f"{added} lines posted for {size} leases"
        rows += [
            (f"{size:,} leases: post", seconds, "s"),
            ("  per lease", seconds / size * 1000, "ms"),
            ("  CPU time of this process", cpu, "s"),
            ("  SQL statements", statements, ""),
            ("  re-run (adds nothing)", rerun_s, "s"),
            ("  re-run SQL statements", rerun_statements, ""),
        ]
    ten = results[10_000][0]
    small = results[1_000][0]
    rows += [
        ("machine load average (1 min), 2 cores", os.getloadavg()[0], ""),
        ("target for 10,000 leases", TARGET_S, "s"),
        ("ratio 10,000 / target", ten / TARGET_S, ""),
    ]
    report(
        "billing-run",
        rows,
        {
            "leases": 10_000,
            "seconds": round(ten, 2),
            "target_s": TARGET_S,
            "ratio": round(ten / TARGET_S, 3),
            "per_lease_ms": {str(s): round(r[0] / s * 1000, 3) for s, r in results.items()},
            "statements": {str(s): r[1] for s, r in results.items()},
            "scaling_10k_over_1k": round(ten / small, 2),
            "cpu_s": {str(s): round(r[5], 2) for s, r in results.items()},
            "load_average_1min": round(os.getloadavg()[0], 2),
        },
    )

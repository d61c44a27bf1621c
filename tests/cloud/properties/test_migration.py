"""Migration 0003 on a database that already holds foundation (0001) data, on both backends:
floors become rows, and every unit gets a status history rebuilt from its leases."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from cloud.db.engine import make_engine
from cloud.db.migrate import alembic_config, upgrade
from cloud.properties.models import Floor, Site, Unit, UnitStatus, UnitStatusPeriod
from tests.conftest import fresh_postgres_database

DAY = timedelta(days=1)


def _today() -> date:
    """The org's date now, as the migration takes it (not at import: a run may pass midnight)."""
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture(params=["sqlite", "postgresql"])
def foundation_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own, migrated to 0001 only."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        upgrade(url, "0001")
        yield url
        return
    with fresh_postgres_database() as url:
        upgrade(url, "0001")
        yield url


def _insert(conn: Connection, table: str, **row: object) -> int:
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    return int(
        conn.execute(
            text(f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING id"), row
        ).scalar_one()
    )


def _foundation_data(url: str, today: date) -> None:
    """One org, building A with units on floors 12, 12 and -1, and their leases:

    A-1201: leased since 2024 with no end in sight; A-1202: two leases with a gap between them,
    both over; B1-01: no lease ever; A-1203 (floor 12): only a lease that starts next month.
    """
    engine = make_engine(url)
    with engine.begin() as conn:
        org = _insert(conn, "orgs", code="old", name="Old", timezone="Asia/Shanghai")
        site = _insert(conn, "sites", org_id=org, code="park", name="Park")
        building = _insert(conn, "buildings", org_id=org, site_id=site, code="A", name="A")
        tenant = _insert(conn, "tenants", org_id=org, code="T1", name="T1")
        units = {
            code: _insert(
                conn,
                "units",
                org_id=org,
                building_id=building,
                code=code,
                floor=floor,
                rentable_area_m2="100.00",
            )
            for code, floor in (("A-1201", 12), ("A-1202", 12), ("B1-01", -1), ("A-1203", 12))
        }
        for number, (unit, first, last) in enumerate(
            (
                ("A-1201", date(2024, 1, 1), date(2099, 12, 31)),
                ("A-1202", date(2023, 1, 1), date(2023, 12, 31)),
                ("A-1202", date(2024, 3, 1), date(2024, 6, 30)),
                ("A-1203", today + 40 * DAY, today + 400 * DAY),
            ),
            start=1,
        ):
            _insert(
                conn,
                "leases",
                org_id=org,
                code=f"HT-{number}",
                unit_id=units[unit],
                tenant_id=tenant,
                start_date=first,
                end_date=last,
                monthly_rent="15000.00",
                electricity_tariff="1.2000",
            )
    engine.dispose()


def test_upgrade_keeps_foundation_data_and_rebuilds_histories(foundation_url: str) -> None:
    before = _today()
    _foundation_data(foundation_url, before)
    upgrade(foundation_url)
    after = _today()  # the same date, unless the org's midnight passed during the upgrade
    engine = make_engine(foundation_url)
    with Session(engine) as session:
        floors = session.scalars(select(Floor).order_by(Floor.level)).all()
        assert [(f.level, f.name) for f in floors] == [(-1, "B1"), (12, "12F")]
        units = {u.code: u for u in session.scalars(select(Unit))}
        assert {code: u.floor.name for code, u in units.items()} == {
            "A-1201": "12F",
            "A-1202": "12F",
            "A-1203": "12F",
            "B1-01": "B1",
        }
        assert {u.kind for u in units.values()} == {"office"}
        assert session.scalars(select(Site.kind)).all() == ["park"]

        def history(code: str) -> list[tuple[UnitStatus, date, date | None]]:
            periods = session.scalars(
                select(UnitStatusPeriod)
                .where(UnitStatusPeriod.unit_id == units[code].id)
                .order_by(UnitStatusPeriod.from_date)
            )
            return [(p.status, p.from_date, p.until_date) for p in periods]

        assert history("A-1201") == [(UnitStatus.leased, date(2024, 1, 1), None)]
        assert history("A-1202") == [
            (UnitStatus.leased, date(2023, 1, 1), date(2024, 1, 1)),
            (UnitStatus.vacant, date(2024, 1, 1), date(2024, 3, 1)),
            (UnitStatus.leased, date(2024, 3, 1), date(2024, 7, 1)),
            (UnitStatus.vacant, date(2024, 7, 1), None),
        ]
        for code in ("B1-01", "A-1203"):
            [(status, since, until)] = history(code)
            assert (status, until) == (UnitStatus.vacant, None) and before <= since <= after

    # And back: the floors return to the units as numbers.
    command.downgrade(alembic_config(foundation_url), "0001")
    with engine.connect() as conn:
        floors_back = conn.execute(text("SELECT code, floor FROM units ORDER BY code")).all()
    assert [tuple(row) for row in floors_back] == [
        ("A-1201", 12),
        ("A-1202", 12),
        ("A-1203", 12),
        ("B1-01", -1),
    ]
    engine.dispose()

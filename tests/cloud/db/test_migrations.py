from datetime import date
from decimal import Decimal

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import (
    Date,
    Engine,
    Integer,
    Numeric,
    String,
    column,
    inspect,
    select,
    table,
    text,
)
from sqlalchemy.exc import IntegrityError

from cloud.db.migrate import alembic_config
from cloud.models import metadata


def _diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert _diffs(engine) == []


def test_downgrade_to_nothing_and_back(engine: Engine, database_url: str) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert _diffs(engine) == []


# `leases` as revision 0001 made it, typed so dates and money bind and read back on SQLite too.
LEASES_0001 = table(
    "leases",
    column("org_id", Integer),
    column("code", String),
    column("unit_id", Integer),
    column("tenant_id", Integer),
    column("start_date", Date),
    column("end_date", Date),
    column("monthly_rent", Numeric(14, 2)),
    column("electricity_tariff", Numeric(10, 4)),
)


def test_leases_of_the_foundation_survive_the_contracts_migration(
    engine: Engine, database_url: str
) -> None:
    """Rows written under 0001 come through 0004 (and back) untouched, without a contract."""
    config = alembic_config(database_url)
    command.downgrade(config, "0001")
    try:
        _foundation_lease_through_0004(engine, config)
    finally:
        command.upgrade(config, "head")


def _foundation_lease_through_0004(engine: Engine, config: Config) -> None:
    lease = {
        "org_id": 1,
        "code": "HT-2025-0007",
        "unit_id": 1,
        "tenant_id": 1,
        "start_date": date(2025, 1, 1),
        "end_date": date(2027, 12, 31),
        "monthly_rent": Decimal("15000.00"),
        "electricity_tariff": Decimal("1.2000"),
    }
    with engine.begin() as conn:
        for sql in (
            "INSERT INTO orgs (id, code, name, timezone) VALUES (1, 'o', 'O', 'Asia/Shanghai')",
            "INSERT INTO sites (id, org_id, code, name) VALUES (1, 1, 's', 'S')",
            "INSERT INTO buildings (id, org_id, site_id, code, name) VALUES (1, 1, 1, 'A', 'A')",
            "INSERT INTO units (id, org_id, building_id, code, floor, rentable_area_m2) "
            "VALUES (1, 1, 1, 'A-1', 1, 100)",
            "INSERT INTO tenants (id, org_id, code, name) VALUES (1, 1, 'T', 'T')",
        ):
            conn.execute(text(sql))
        conn.execute(LEASES_0001.insert(), lease)
    command.upgrade(config, "head")
    assert _diffs(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(LEASES_0001)).mappings().one() == lease
        assert conn.execute(text("SELECT contract_id FROM leases")).scalar_one() is None
    with pytest.raises(IntegrityError), engine.begin() as conn:  # the date check came through
        conn.execute(LEASES_0001.update().values(end_date=date(2024, 1, 1)))
    command.downgrade(config, "0001")
    with engine.connect() as conn:
        assert conn.execute(select(LEASES_0001)).mappings().one() == lease

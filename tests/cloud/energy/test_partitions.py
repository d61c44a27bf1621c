"""Monthly partitions of readings on PostgreSQL: made ahead by the job, made on demand for a
month that has none (old data arriving late), and the default partition emptied of readings
that landed there before their month had a partition."""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from cloud.db.engine import make_sessionmaker
from cloud.energy import partitions
from cloud.energy.jobs import MONTHS_AHEAD, keep_up
from cloud.ingest.bulk import insert_readings
from protocols.profiles import ENERGY_IMPORT
from tests.cloud.conftest import empty_tables
from tests.cloud.factories import World, add_readings, make_world


@pytest.fixture
def pg(migrated_postgresql: str, engine_for: Callable[[str], Engine]) -> Iterator[Session]:
    engine = engine_for(migrated_postgresql)
    partitions.forget_known()
    with make_sessionmaker(engine)() as session:
        yield session
    empty_tables(engine)


@pytest.fixture
def acme(pg: Session) -> World:
    world = make_world(pg, org_code="acme")
    pg.commit()
    return world


def _where(session: Session, ts: datetime) -> list[str]:
    """The partitions holding readings stamped `ts`."""
    return list(
        session.scalars(
            text("SELECT DISTINCT tableoid::regclass::text FROM readings WHERE ts = :ts"),
            {"ts": ts},
        )
    )


def test_the_job_makes_partitions_ahead(pg: Session) -> None:
    now = datetime(2031, 11, 20, tzinfo=UTC)
    done = keep_up(session=pg, now=now)
    months = [date(2031, 11, 1), date(2031, 12, 1), date(2032, 1, 1), date(2032, 2, 1)]
    assert len(months) == MONTHS_AHEAD + 1
    assert done.partitions_made == [partitions.partition_name(m) for m in months]
    assert set(months) <= partitions.existing(pg.connection())
    assert keep_up(session=pg, now=now).partitions_made == []  # made once
    pg.rollback()


def test_late_data_gets_its_partition_on_demand(pg: Session, acme: World) -> None:
    meter = acme.meters["M-101"]
    old = datetime(2019, 5, 17, 3, 0, tzinfo=UTC)
    assert date(2019, 5, 1) not in partitions.existing(pg.connection())
    insert_readings(pg, [(meter.id, ENERGY_IMPORT, old, 12.5)])
    pg.commit()
    assert _where(pg, old) == [f"{partitions.SCHEMA}.readings_201905"]
    # Its neighbour months were not made along with it.
    assert date(2019, 6, 1) not in partitions.existing(pg.connection())


def test_readings_in_the_default_partition_move_to_their_month(pg: Session, acme: World) -> None:
    """A write that skipped the partition check (the ORM) still lands, in the default
    partition; the next job run gives the month its partition and moves the rows there."""
    meter = acme.meters["M-101"]
    stray = datetime(2018, 2, 3, tzinfo=UTC)
    add_readings(pg, meter, [(stray, 1.0), (stray + timedelta(hours=1), 2.0)])
    pg.commit()
    assert _where(pg, stray) == [f"{partitions.SCHEMA}.{partitions.DEFAULT}"]
    made = keep_up(session=pg, now=datetime(2026, 11, 1, tzinfo=UTC)).partitions_made
    pg.commit()
    assert "readings_201802" in made
    assert _where(pg, stray) == [f"{partitions.SCHEMA}.readings_201802"]
    assert pg.scalar(text(f"SELECT count(*) FROM {partitions.SCHEMA}.{partitions.DEFAULT}")) == 0
    assert (
        pg.scalar(text("SELECT count(*) FROM readings WHERE device_id = :d"), {"d": meter.id}) == 2
    )


def test_a_partition_has_a_brin_index_on_ts(pg: Session, acme: World) -> None:
    insert_readings(
        pg, [(acme.meters["M-101"].id, ENERGY_IMPORT, datetime(2017, 1, 9, tzinfo=UTC), 1.0)]
    )
    pg.commit()
    found = pg.scalar(
        text(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = :schema "
            "AND tablename = 'readings_201701' AND indexdef LIKE '%brin%'"
        ),
        {"schema": partitions.SCHEMA},
    )
    assert found is not None and "(ts)" in found

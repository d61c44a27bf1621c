"""Two maintenance runs at once on PostgreSQL open each due occurrence once."""

import threading
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.engine import make_sessionmaker
from cloud.identity.models import User
from cloud.maintenance import jobs, plans, service
from cloud.maintenance.models import Every, Kind, PlanOccurrence, Trigger
from cloud.maintenance.schemas import EquipmentCreate, OpenedOrder, PlanCreate
from cloud.workorders.models import WorkOrder
from tests.cloud.conftest import empty_tables
from tests.cloud.factories import make_world
from tests.cloud.workorders.conftest import local, set_up_org


@pytest.fixture
def pg_sessions(
    migrated_postgresql: str, engine_for: Callable[[str], Engine]
) -> Iterator[sessionmaker[Session]]:
    engine = engine_for(migrated_postgresql)
    yield make_sessionmaker(engine)
    empty_tables(engine)


def test_two_runs_at_once_open_one_order_per_occurrence(
    pg_sessions: sessionmaker[Session],
) -> None:
    with pg_sessions.begin() as session:
        world = make_world(session, org_code="acme")
        staff = session.get(User, world.actors["staff"].user_id)
        set_up_org(session, world.org.id, supervisor=staff)
        admin = world.actors["admin"]
        for n in range(10):
            code = f"PUMP-{n}"
            service.create_equipment(
                session=session,
                actor=admin,
                data=EquipmentCreate(code=code, name=code, kind=Kind.pump, building_code="A"),
            )
            plans.create_plan(
                session=session,
                actor=admin,
                data=PlanCreate(
                    code=f"PM-{n}",
                    title="水泵巡检",
                    equipment_code=code,
                    category_code="PLUMB",
                    trigger=Trigger.calendar,
                    every=1,
                    every_unit=Every.day,
                    first_due_on=date(2026, 3, 2),
                ),
            )
    now = local("2026-03-02 08:00")
    start = threading.Barrier(2)
    opened: list[list[OpenedOrder]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            with pg_sessions.begin() as session:
                opened.append(jobs.open_due(session=session, now=now))
        except BaseException as error:  # noqa: B036 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # the second run waits on the plans' locks, then finds them stepped past today
    assert sorted(len(batch) for batch in opened) == [0, 10]
    with pg_sessions() as session:
        assert session.scalar(select(func.count()).select_from(WorkOrder)) == 10
        assert session.scalar(select(func.count()).select_from(PlanOccurrence)) == 10

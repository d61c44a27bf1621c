"""Preventive maintenance plans open one work order per due occurrence, by the calendar or by
a meter value, however often the run goes."""

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.maintenance import jobs, plans, service
from cloud.maintenance.models import Equipment, EventKind, Every, Trigger
from cloud.maintenance.schemas import PlanCreate, ReadingCreate
from cloud.workorders.models import WorkOrder
from tests.cloud.workorders.conftest import Shop, local


def _orders(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(WorkOrder)) or 0)


def _weekly(session: Session, shop: Shop, lift: Equipment) -> None:
    plans.create_plan(
        session=session,
        actor=shop.actors["admin"],
        data=PlanCreate(
            code="PM-LIFT-W",
            title="电梯周保养",
            equipment_code=lift.code,
            category_code="ELEC",
            trigger=Trigger.calendar,
            every=1,
            every_unit=Every.week,
            weekday=0,
            first_due_on=date(2026, 3, 1),  # a Sunday: moved to Monday 2 March
        ),
    )


def test_a_calendar_plan_opens_one_order_per_occurrence(
    session: Session, shop: Shop, lift: Equipment
) -> None:
    _weekly(session, shop, lift)
    assert jobs.open_due(session=session, now=local("2026-03-01 23:00")) == []
    [opened] = jobs.open_due(session=session, now=local("2026-03-02 00:30"))
    assert (opened.plan_code, opened.due) == ("PM-LIFT-W", "2026-03-02")
    assert jobs.open_due(session=session, now=local("2026-03-02 18:00")) == []
    assert jobs.open_due(session=session, now=local("2026-03-08 23:59")) == []
    [second] = jobs.open_due(session=session, now=local("2026-03-09 08:00"))
    assert second.due == "2026-03-09"
    assert _orders(session) == 2
    order = session.scalar(select(WorkOrder).where(WorkOrder.code == opened.work_order_code))
    assert order is not None and order.building_id == lift.building_id
    assert "LIFT-A-01" in order.title


def test_a_missed_run_opens_the_latest_occurrence_only(
    session: Session, shop: Shop, lift: Equipment
) -> None:
    _weekly(session, shop, lift)
    [opened] = jobs.open_due(session=session, now=local("2026-03-25 09:00"))
    assert opened.due == "2026-03-23"
    [plan] = plans.list_plans(session=session, actor=shop.actors["staff"])
    assert plan.next_due_on == date(2026, 3, 30)


def test_a_meter_plan_opens_an_order_each_time_the_value_is_reached(
    session: Session, shop: Shop, lift: Equipment
) -> None:
    plans.create_plan(
        session=session,
        actor=shop.actors["admin"],
        data=PlanCreate(
            code="PM-LIFT-H",
            title="运行500小时保养",
            equipment_code=lift.code,
            category_code="ELEC",
            trigger=Trigger.meter,
            metric="hours",
            every_value=Decimal("500"),
        ),
    )
    engineer = shop.actors["engineer"]

    def read(value: str) -> list[str]:
        service.record_reading(
            session=session,
            actor=engineer,
            code=lift.code,
            data=ReadingCreate(metric="hours", value=Decimal(value)),
        )
        return [o.due for o in jobs.open_due(session=session, now=local("2026-03-02 10:00"))]

    assert read("450") == []
    assert read("510") == ["hours=500.000"]
    assert read("600") == []
    assert read("999.9") == []
    assert read("1000") == ["hours=1000.000"]
    assert _orders(session) == 2
    history = service.detail(session=session, actor=engineer, code=lift.code).history
    maintenance = [event for event in history if event.kind == EventKind.maintenance]
    assert len(maintenance) == 2 and all(event.work_order_code for event in maintenance)


def test_months_end_on_the_months_last_day() -> None:
    assert plans.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert plans.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert plans.on_weekday(date(2026, 3, 1), 0) == date(2026, 3, 2)
    assert plans.on_weekday(date(2026, 3, 2), 0) == date(2026, 3, 2)

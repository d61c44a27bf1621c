"""Preventive maintenance plans, and when each falls due next: calendar plans step through
dates (every N days, weeks or months, moved to a weekday when one is set), meter plans step
through values (every N running hours, kWh…)."""

import calendar
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Invalid
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.maintenance import service as equipment_service
from cloud.maintenance.models import Every, MaintenancePlan, Trigger
from cloud.maintenance.schemas import PlanCreate, PlanRead
from cloud.workorders.models import Category


def add_months(day: date, months: int) -> date:
    """`day` `months` later, on the month's last day when it is shorter (31 Jan → 28 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def on_weekday(day: date, weekday: int | None) -> date:
    """`day`, or the first `weekday` (Monday 0) on or after it."""
    if weekday is None:
        return day
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def next_date(plan: MaintenancePlan, after: date) -> date:
    """The occurrence following the one due on `after`."""
    assert plan.every_unit is not None
    if plan.every_unit == Every.day:
        following = after + timedelta(days=plan.every)
    elif plan.every_unit == Every.week:
        following = after + timedelta(weeks=plan.every)
    else:
        following = add_months(after, plan.every)
    return on_weekday(following, plan.weekday)


def next_value(plan: MaintenancePlan, after: Decimal) -> Decimal:
    assert plan.every_value is not None
    return after + plan.every_value


def create_plan(*, session: Session, actor: Actor, data: PlanCreate) -> MaintenancePlan:
    """A plan for one piece of equipment; its first occurrence is the one given."""
    require_role(actor, *equipment_service.KEEPERS)
    equipment = equipment_service.get_equipment(
        session=session, actor=actor, code=data.equipment_code
    )
    if session.scalar(
        select(MaintenancePlan.id).where(
            MaintenancePlan.org_id == actor.org_id, MaintenancePlan.code == data.code
        )
    ):
        raise Conflict(f"maintenance plan {data.code} already exists")
    if not session.scalar(
        select(Category.id).where(
            Category.org_id == actor.org_id, Category.code == data.category_code, Category.active
        )
    ):
        raise Invalid(f"no work order category {data.category_code}", field="category_code")
    plan = MaintenancePlan(
        org_id=actor.org_id,
        code=data.code.strip(),
        title=data.title.strip(),
        equipment_id=equipment.id,
        category_code=data.category_code,
        trigger=data.trigger,
        every=data.every,
        active=True,
    )
    if data.trigger == Trigger.calendar:
        _calendar(session, actor, plan, data)
    else:
        _meter(plan, data)
    session.add(plan)
    session.flush()
    return plan


def _calendar(session: Session, actor: Actor, plan: MaintenancePlan, data: PlanCreate) -> None:
    if data.every_unit is None:
        raise Invalid("say every how many days, weeks or months", field="every_unit")
    first = data.first_due_on or identity_service.org_today(session=session, actor=actor)
    plan.every_unit, plan.weekday = data.every_unit, data.weekday
    plan.next_due_on = on_weekday(first, data.weekday)


def _meter(plan: MaintenancePlan, data: PlanCreate) -> None:
    if not data.metric or data.every_value is None:
        raise Invalid("a meter plan names its metric and every how much", field="every_value")
    plan.metric, plan.every_value = data.metric, data.every_value
    plan.next_due_value = (
        data.first_due_value if data.first_due_value is not None else data.every_value
    )


def list_plans(
    *, session: Session, actor: Actor, equipment_code: str | None = None
) -> list[MaintenancePlan]:
    require_role(actor, *equipment_service.READERS)
    stmt = select(MaintenancePlan).where(MaintenancePlan.org_id == actor.org_id)
    if equipment_code:
        equipment = equipment_service.get_equipment(
            session=session, actor=actor, code=equipment_code
        )
        stmt = stmt.where(MaintenancePlan.equipment_id == equipment.id)
    return list(session.scalars(stmt.order_by(MaintenancePlan.code)))


def read(plan: MaintenancePlan) -> PlanRead:
    return PlanRead(
        code=plan.code,
        title=plan.title,
        equipment_code=plan.equipment.code,
        category_code=plan.category_code,
        trigger=plan.trigger,
        every=plan.every,
        every_unit=plan.every_unit,
        weekday=plan.weekday,
        next_due_on=plan.next_due_on,
        metric=plan.metric,
        every_value=plan.every_value,
        next_due_value=plan.next_due_value,
        active=plan.active,
    )

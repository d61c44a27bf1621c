"""The maintenance run: every active plan whose occurrence has come (by the org's date, or by
the equipment's latest meter value) opens one work order for it — once, however often or
from however many processes the run goes."""

import asyncio
import contextlib
import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.base import utcnow
from cloud.identity.models import Org
from cloud.maintenance import plans
from cloud.maintenance import service as equipment_service
from cloud.maintenance.models import EventKind, MaintenancePlan, PlanOccurrence, Trigger
from cloud.maintenance.schemas import OpenedOrder
from cloud.notifications import service as notifications
from cloud.notifications.models import Channel
from cloud.workorders import service as workorders
from cloud.workorders.models import Category

log = logging.getLogger(__name__)

RUN_EVERY_S = 300.0


def open_due(
    *, session: Session, now: datetime | None = None, org_id: int | None = None
) -> list[OpenedOrder]:
    """Open the work orders of every plan due at `now` (all orgs, or one). A run that was
    missed for a while opens the latest due occurrence, not a backlog of stale ones.
    Flushes, never commits."""
    now = now or utcnow()
    stmt = select(MaintenancePlan).where(MaintenancePlan.active)
    if org_id is not None:
        stmt = stmt.where(MaintenancePlan.org_id == org_id)
    # Plans are locked one run at a time, so two runs never step the same plan twice.
    stmt = stmt.order_by(MaintenancePlan.id).with_for_update(of=MaintenancePlan)
    opened: list[OpenedOrder] = []
    today: dict[int, date] = {}
    for plan in session.scalars(stmt).unique().all():
        if plan.org_id not in today:
            org = session.get(Org, plan.org_id)
            assert org is not None
            today[plan.org_id] = now.astimezone(ZoneInfo(org.timezone)).date()
        due = _due_key(session, plan, today[plan.org_id])
        if due is not None:
            order = _open(session, plan, due, now)
            if order is not None:
                opened.append(order)
    session.flush()
    return opened


def _due_key(session: Session, plan: MaintenancePlan, today: date) -> str | None:
    """The key of the occurrence due now, stepping the plan past it; None when none is due."""
    if plan.trigger == Trigger.calendar:
        if plan.next_due_on is None or plan.next_due_on > today:
            return None
        due = plan.next_due_on
        while (following := plans.next_date(plan, due)) <= today:
            due = following
        plan.next_due_on = plans.next_date(plan, due)
        return due.isoformat()
    assert plan.metric is not None and plan.next_due_value is not None
    value = equipment_service.latest_value(session, plan.equipment_id, plan.metric)
    if value is None or value < plan.next_due_value:
        return None
    due_value = plan.next_due_value
    while (more := plans.next_value(plan, due_value)) <= value:
        due_value = more
    plan.next_due_value = plans.next_value(plan, due_value)
    return f"{plan.metric}={due_value}"


def _open(session: Session, plan: MaintenancePlan, due: str, now: datetime) -> OpenedOrder | None:
    equipment = plan.equipment
    try:
        with session.begin_nested():
            order = workorders.open_for_system(
                session=session,
                org_id=plan.org_id,
                title=f"{plan.title} · {equipment.code}",
                category_code=plan.category_code,
                description=f"{plan.code}: {due}",
                unit_id=equipment.unit_id,
                building_id=equipment.building_id,
                location=equipment.location or equipment.name,
                at=now,
            )
            session.add(
                PlanOccurrence(
                    org_id=plan.org_id,
                    plan_id=plan.id,
                    due_key=due,
                    work_order_id=order.id,
                    opened_at=now,
                )
            )
            session.flush()
    except IntegrityError:  # this occurrence has its order already
        return None
    equipment_service.record(
        session,
        equipment,
        EventKind.maintenance,
        note=f"{plan.code} {due}",
        work_order_id=order.id,
        at=now,
    )
    supervisor = session.scalar(
        select(Category.supervisor_id).where(
            Category.org_id == plan.org_id, Category.code == plan.category_code
        )
    )
    notifications.notify(
        session=session,
        org_id=plan.org_id,
        recipients=notifications.users(supervisor),
        template="maintenance.due",
        params={"equipment": equipment.name, "plan": plan.title, "code": order.code},
        channels=(Channel.in_app,),
        link=f"/work-orders/{order.code}",
        now=now,
    )
    return OpenedOrder(plan_code=plan.code, due=due, work_order_code=order.code)


async def keep_opening(
    *, sessions: sessionmaker[Session], stop: asyncio.Event, every_s: float = RUN_EVERY_S
) -> None:
    """Run `open_due` every `every_s` seconds until `stop` is set (the demo's scheduler)."""

    def run_once() -> int:
        with sessions.begin() as session:
            return len(open_due(session=session))

    while not stop.is_set():
        try:
            count = await asyncio.to_thread(run_once)
        except Exception:  # the loop goes on; the next run retries
            log.exception("maintenance run failed")
        else:
            if count:
                log.info("opened %d maintenance work order(s)", count)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)

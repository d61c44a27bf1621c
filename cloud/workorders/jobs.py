"""The SLA watch: jobs past a response or resolution due instant go to a supervisor."""

import asyncio
import contextlib
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.base import utcnow
from cloud.identity.models import Org, Role, User
from cloud.notifications import service as notifications
from cloud.notifications.models import Channel
from cloud.workorders.models import Clock, Escalation, EventKind, State, WorkOrder
from cloud.workorders.service import record_event

log = logging.getLogger(__name__)

WATCH_EVERY_S = 60.0
_AWAITING_RESPONSE = (State.new, State.assigned)
_AWAITING_RESOLUTION = (State.new, State.assigned, State.accepted, State.in_progress, State.on_hold)


def escalate_overdue(
    *, session: Session, now: datetime | None = None, org_id: int | None = None
) -> list[Escalation]:
    """Escalate every job past a due instant not escalated for it yet (all orgs, or one).

    A job is escalated once per clock and due instant, so running this often is harmless.
    Flushes, never commits."""
    now = now or utcnow()
    made: list[Escalation] = []
    for clock, states, due in (
        (Clock.response, _AWAITING_RESPONSE, WorkOrder.response_due_at),
        (Clock.resolution, _AWAITING_RESOLUTION, WorkOrder.resolution_due_at),
    ):
        already = exists().where(
            Escalation.work_order_id == WorkOrder.id,
            Escalation.clock == clock,
            Escalation.due_at == due,
        )
        stmt = select(WorkOrder).where(WorkOrder.state.in_(states), due < now, ~already)
        if org_id is not None:
            stmt = stmt.where(WorkOrder.org_id == org_id)
        for order in session.scalars(stmt.order_by(WorkOrder.id)):
            made.append(_escalate(session, order, clock, now))
    session.flush()
    return made


def _escalate(session: Session, order: WorkOrder, clock: Clock, now: datetime) -> Escalation:
    supervisor_id = order.category.supervisor_id or session.scalar(
        select(User.id)
        .where(User.org_id == order.org_id, User.role == Role.admin, User.active)
        .order_by(User.id)
        .limit(1)
    )
    due = order.response_due_at if clock == Clock.response else order.resolution_due_at
    escalation = Escalation(
        org_id=order.org_id,
        work_order_id=order.id,
        clock=clock,
        due_at=due,
        escalated_at=now,
        supervisor_id=supervisor_id,
    )
    session.add(escalation)
    supervisor = session.get(User, supervisor_id) if supervisor_id else None
    whom = supervisor.display_name if supervisor else "—"
    record_event(
        session,
        order,
        kind=EventKind.escalated,
        note=f"{clock} due {due.isoformat()} missed → {whom}",
        at=now,
    )
    notifications.notify(
        session=session,
        org_id=order.org_id,
        recipients=notifications.users(supervisor_id),
        template=f"workorder.escalated_{clock}",
        params={"code": order.code, "title": order.title, "due": _local(session, order, due)},
        channels=(Channel.in_app, Channel.email),
        link=f"/work-orders/{order.code}",
        now=now,
    )
    return escalation


def _local(session: Session, order: WorkOrder, instant: datetime) -> str:
    """`instant` as the org's wall-clock time, as people read a due time."""
    org = session.get(Org, order.org_id)
    zone = ZoneInfo(org.timezone if org else "Asia/Shanghai")
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


async def watch_slas(
    *, sessions: sessionmaker[Session], stop: asyncio.Event, every_s: float = WATCH_EVERY_S
) -> None:
    """Run `escalate_overdue` every `every_s` seconds, each run in its own transaction."""

    def run_once() -> int:
        with sessions.begin() as session:
            return len(escalate_overdue(session=session))

    while not stop.is_set():
        try:
            count = await asyncio.to_thread(run_once)
        except Exception:  # the watch goes on; the next run retries
            log.exception("SLA watch run failed")
        else:
            if count:
                log.info("escalated %d overdue work order clocks", count)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)

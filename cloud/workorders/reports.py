"""SLA figures and ratings per category and building, and the escalations behind them."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Invalid
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.workorders.models import Escalation, WorkOrder
from cloud.workorders.schemas import SlaFigures

REPORT_READERS = (Role.admin, Role.staff, Role.finance, Role.engineer)
_PCT = Decimal("0.1")
_MEAN = Decimal("0.01")


def on_time(done_at: datetime | None, due_at: datetime, now: datetime) -> bool | None:
    """Whether a clock was met: True or False once decided (stopped, or running past its due),
    None while it runs and is not yet due."""
    if done_at is not None:
        return done_at <= due_at
    return False if now > due_at else None


def sla_report(
    *, session: Session, actor: Actor, first: date, last: date, now: datetime | None = None
) -> list[SlaFigures]:
    """Orders reported on org-local dates `first`..`last`, per category and building."""
    require_role(actor, *REPORT_READERS)
    if last < first:
        raise Invalid("last is before first", field="last")
    start, end = identity_service.org_instants(session=session, actor=actor, first=first, last=last)
    in_period = (
        WorkOrder.org_id == actor.org_id,
        WorkOrder.reported_at >= start,
        WorkOrder.reported_at < end,
    )
    orders = list(session.scalars(select(WorkOrder).where(*in_period)))
    escalations = {
        order_id: count
        for order_id, count in session.execute(
            select(Escalation.work_order_id, func.count())
            .join(WorkOrder, Escalation.work_order_id == WorkOrder.id)
            .where(*in_period)
            .group_by(Escalation.work_order_id)
        )
    }
    groups: dict[tuple[str, str | None], list[WorkOrder]] = defaultdict(list)
    for order in orders:
        building = order.building.code if order.building else None
        groups[(order.category.code, building)].append(order)
    now = now or utcnow()
    return [
        _figures(group, escalations, now)
        for _key, group in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or ""))
    ]


def _figures(orders: list[WorkOrder], escalations: dict[int, int], now: datetime) -> SlaFigures:
    first = orders[0]
    ratings = [o.rating for o in orders if o.rating is not None]
    return SlaFigures(
        category_code=first.category.code,
        category_name=first.category.name,
        building_code=first.building.code if first.building else None,
        orders=len(orders),
        response_on_time_pct=_pct(on_time(o.responded_at, o.response_due_at, now) for o in orders),
        resolution_on_time_pct=_pct(
            on_time(o.resolved_at, o.resolution_due_at, now) for o in orders
        ),
        escalations=sum(escalations.get(o.id, 0) for o in orders),
        ratings=len(ratings),
        mean_rating=(
            (Decimal(sum(ratings)) / len(ratings)).quantize(_MEAN, ROUND_HALF_UP)
            if ratings
            else None
        ),
    )


def _pct(outcomes: Iterable[bool | None]) -> Decimal | None:
    decided = [outcome for outcome in outcomes if outcome is not None]
    if not decided:
        return None
    return (Decimal(100 * sum(decided)) / len(decided)).quantize(_PCT, ROUND_HALF_UP)


def list_escalations(
    *, session: Session, actor: Actor, first: date, last: date
) -> list[Escalation]:
    """Escalations made on org-local dates `first`..`last`, newest first."""
    require_role(actor, *REPORT_READERS)
    start, end = identity_service.org_instants(session=session, actor=actor, first=first, last=last)
    stmt = (
        select(Escalation)
        .where(
            Escalation.org_id == actor.org_id,
            Escalation.escalated_at >= start,
            Escalation.escalated_at < end,
        )
        .order_by(Escalation.escalated_at.desc(), Escalation.id.desc())
    )
    return list(session.scalars(stmt))

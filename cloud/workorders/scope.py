"""Which work orders an actor may see and who may do what: the scope every work-order
function starts from, and the job's history."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Conflict, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role, User
from cloud.properties.models import Building
from cloud.workorders.models import Category, EventKind, State, WorkOrder, WorkOrderEvent

OPEN_STATES = frozenset(State) - {State.closed}


ACTIVE_STATES = frozenset({State.assigned, State.accepted, State.in_progress, State.on_hold})
"""States in which a job weighs on its assignee's load."""


READERS = (Role.admin, Role.staff, Role.finance, Role.engineer, Role.tenant)


REPORTERS = (Role.admin, Role.staff, Role.engineer, Role.tenant)


WORKERS = (Role.admin, Role.staff, Role.engineer)


DISPATCHERS = (Role.admin, Role.staff)


def visible_orders(actor: Actor) -> Select[WorkOrder]:
    """The work orders the actor may see, as a statement to narrow further."""
    stmt = select(WorkOrder).where(WorkOrder.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(WorkOrder.tenant_id == actor.tenant_id)
    return stmt


def get_order(*, session: Session, actor: Actor, code: str) -> WorkOrder:
    """One visible work order by code; NotFound also when it exists but is not the actor's."""
    require_role(actor, *READERS)
    order = session.scalar(visible_orders(actor).where(WorkOrder.code == code))
    if order is None:
        raise NotFound(f"work order {code} not found")
    return order


def open_order(*, session: Session, actor: Actor, code: str) -> WorkOrder:
    """A visible job that is not closed (closed ones are reopened first)."""
    order = get_order(session=session, actor=actor, code=code)
    if order.state == State.closed:
        raise Conflict(f"work order {code} is closed; reopen it first")
    return order


def list_orders(
    *,
    session: Session,
    actor: Actor,
    states: Sequence[State] = (),
    category_code: str | None = None,
    building_code: str | None = None,
    assignee: str | None = None,
    limit: int = 200,
) -> list[WorkOrder]:
    """Visible work orders, newest first, narrowed by the filters given."""
    require_role(actor, *READERS)
    stmt = visible_orders(actor)
    if states:
        stmt = stmt.where(WorkOrder.state.in_(states))
    if category_code:
        stmt = stmt.where(WorkOrder.category.has(Category.code == category_code))
    if building_code:
        stmt = stmt.where(WorkOrder.building.has(Building.code == building_code))
    if assignee:
        stmt = stmt.where(WorkOrder.assignee.has(User.username == assignee))
    stmt = stmt.order_by(WorkOrder.reported_at.desc(), WorkOrder.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def list_categories(*, session: Session, actor: Actor) -> list[Category]:
    """The org's active categories, by code (everyone reporting needs them)."""
    require_role(actor, *READERS)
    stmt = select(Category).where(Category.org_id == actor.org_id, Category.active)
    return list(session.scalars(stmt.order_by(Category.code)))


def record_event(
    session: Session,
    order: WorkOrder,
    *,
    kind: EventKind,
    actor_id: int | None = None,
    from_state: State | None = None,
    to_state: State | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> None:
    """Add a line to the job's history (`actor_id` None: the system did it)."""
    session.add(
        WorkOrderEvent(
            org_id=order.org_id,
            work_order_id=order.id,
            at=at or utcnow(),
            actor_id=actor_id,
            kind=kind,
            from_state=from_state,
            to_state=to_state,
            note=note,
        )
    )
    session.flush()
    session.expire(order, ["events"])

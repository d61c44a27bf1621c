"""Moving a job through its states: who may take which action from which state, assigning,
reopening, telling the engineer and the tenant, and the tenant's rating."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Conflict, Forbidden, Invalid
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role, User
from cloud.notifications import service as notifications
from cloud.notifications.models import Channel
from cloud.workorders import charges
from cloud.workorders.dispatch import suggest_assignees
from cloud.workorders.models import ChargeStatus, EventKind, State, WorkOrder, WorkOrderCharge
from cloud.workorders.schemas import Action, RatingCreate
from cloud.workorders.scope import ACTIVE_STATES, DISPATCHERS, WORKERS, get_order, record_event


@dataclass(frozen=True)
class Move:
    """A state change an action makes: from which states, to which, and who may make it."""

    sources: frozenset[State]
    target: State
    roles: tuple[Role, ...]
    needs_note: bool = False


_ASSIGNEE_ACTIONS = frozenset(
    {Action.accept, Action.start, Action.hold, Action.resume, Action.finish}
)
"""Actions an engineer takes only on jobs assigned to them."""


MOVES: dict[Action, Move] = {
    Action.assign: Move(frozenset({State.new, *ACTIVE_STATES}), State.assigned, DISPATCHERS),
    Action.accept: Move(frozenset({State.assigned}), State.accepted, WORKERS),
    Action.start: Move(frozenset({State.accepted}), State.in_progress, WORKERS),
    Action.hold: Move(frozenset({State.in_progress}), State.on_hold, WORKERS, needs_note=True),
    Action.resume: Move(frozenset({State.on_hold}), State.in_progress, WORKERS),
    Action.finish: Move(frozenset({State.in_progress}), State.done, WORKERS),
    Action.verify: Move(frozenset({State.done}), State.closed, DISPATCHERS),
    # Back to its assignee (or to dispatch when it has none): the target is decided per order.
    Action.reopen: Move(
        frozenset({State.done, State.closed}), State.assigned, DISPATCHERS, needs_note=True
    ),
}


def allowed_actions(*, actor: Actor, order: WorkOrder) -> list[Action]:
    """What the actor may do to the order now (for buttons; the moves check again)."""
    return [
        action
        for action, move in MOVES.items()
        if order.state in move.sources
        and actor.role in move.roles
        and not (action in _ASSIGNEE_ACTIONS and not _may_work_as(actor, order))
    ]


def _may_work_as(actor: Actor, order: WorkOrder) -> bool:
    # An engineer moves only jobs assigned to them; staff and admins may act for anyone.
    return actor.role != Role.engineer or order.assignee_id == actor.user_id


def transition(
    *,
    session: Session,
    actor: Actor,
    code: str,
    action: Action,
    note: str | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Apply `action` (not assign: see `assign`); refused with Conflict from a wrong state."""
    if action == Action.assign:
        raise Invalid("assign names an assignee: use assign", field="action")
    require_role(actor, *MOVES[action].roles)
    order = get_order(session=session, actor=actor, code=code)
    move = _check_move(actor, order, action, note)
    now = now or utcnow()
    if action == Action.reopen:
        reopen(session, order, actor_id=actor.user_id, note=note, at=now)
        return order
    if action == Action.accept and order.responded_at is None:
        order.responded_at = now
    elif action == Action.finish:
        order.resolved_at = now
        _tell_tenant_done(session, order)
    elif action == Action.verify:
        order.closed_at = now
        charges.raise_charge(session, order)
    _move(session, order, move.target, actor_id=actor.user_id, note=note, at=now)
    return order


def _check_move(actor: Actor, order: WorkOrder, action: Action, note: str | None) -> Move:
    move = MOVES[action]
    require_role(actor, *move.roles)
    if order.state not in move.sources:
        allowed = ", ".join(sorted(move.sources))
        raise Conflict(
            f"cannot {action} work order {order.code}: it is {order.state}; "
            f"{action} needs it to be {allowed}"
        )
    if action in _ASSIGNEE_ACTIONS and not _may_work_as(actor, order):
        raise Forbidden(f"work order {order.code} is not assigned to {actor.username}")
    if move.needs_note and not (note or "").strip():
        raise Invalid(f"say why you {action} the work order", field="note")
    return move


def _move(
    session: Session,
    order: WorkOrder,
    target: State,
    *,
    actor_id: int | None,
    note: str | None,
    at: datetime,
) -> None:
    source, order.state = order.state, target
    record_event(
        session,
        order,
        actor_id=actor_id,
        kind=EventKind.transition,
        from_state=source,
        to_state=target,
        note=(note or "").strip() or None,
        at=at,
    )


def reopen(
    session: Session, order: WorkOrder, *, actor_id: int | None, note: str | None, at: datetime
) -> None:
    """Back to the assignee (or to dispatch); the resolution clock runs on from its old due."""
    order.resolved_at = None
    order.closed_at = None
    for charge in session.scalars(
        select(WorkOrderCharge).where(
            WorkOrderCharge.work_order_id == order.id,
            WorkOrderCharge.status == ChargeStatus.pending,
        )
    ):
        charge.status = ChargeStatus.void
    target = State.assigned if order.assignee_id is not None else State.new
    _move(session, order, target, actor_id=actor_id, note=note, at=at)


def assign(
    *,
    session: Session,
    actor: Actor,
    code: str,
    assignee: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Give the job to `assignee` (a username), or to the top suggestion when None."""
    require_role(actor, *DISPATCHERS)
    order = get_order(session=session, actor=actor, code=code)
    _check_move(actor, order, Action.assign, note)
    if assignee is None:
        suggestions = suggest_assignees(session=session, actor=actor, code=code)
        if not suggestions:
            raise Invalid("no engineer to suggest: name an assignee", field="assignee")
        assignee = suggestions[0].username
    user = session.scalar(
        select(User).where(
            User.org_id == actor.org_id,
            User.username == assignee,
            User.role == Role.engineer,
            User.active,
        )
    )
    if user is None:
        raise Invalid(f"no active engineer {assignee}", field="assignee")
    order.assignee = user
    text = f"→ {user.display_name}" + (f": {note.strip()}" if note and note.strip() else "")
    _move(session, order, State.assigned, actor_id=actor.user_id, note=text, at=now or utcnow())
    notifications.notify(
        session=session,
        org_id=order.org_id,
        recipients=notifications.users(user.id),
        template="workorder.assigned",
        params={"code": order.code, "title": order.title, "where": where(order)},
        channels=(Channel.in_app, Channel.sms),
        link=f"/work-orders/{order.code}",
    )
    return order


def where(order: WorkOrder) -> str:
    """Where the job is, as people say it: the unit, else the location, else the building."""
    if order.unit is not None:
        return order.unit.code
    if order.location:
        return order.location
    return order.building.code if order.building is not None else "—"


def _tell_tenant_done(session: Session, order: WorkOrder) -> None:
    if order.tenant_id is None:
        return
    notifications.notify(
        session=session,
        org_id=order.org_id,
        recipients=notifications.tenant(order.tenant_id),
        template="workorder.done",
        params={"code": order.code, "title": order.title},
        channels=(Channel.in_app, Channel.email),
        link="/m/repairs",
    )


def rate(
    *, session: Session, actor: Actor, code: str, data: RatingCreate, now: datetime | None = None
) -> WorkOrder:
    """The tenant rates its own job once, after it is done."""
    require_role(actor, Role.tenant)
    order = get_order(session=session, actor=actor, code=code)
    if order.state not in (State.done, State.closed):
        raise Conflict(f"work order {code} is {order.state}: rate it once it is done")
    if order.rating is not None:
        raise Conflict(f"work order {code} is already rated")
    order.rating = data.score
    order.rating_comment = (data.comment or "").strip() or None
    order.rated_at = now or utcnow()
    session.flush()
    return order

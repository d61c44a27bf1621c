"""Work orders, scoped to the actor: a tenant reports and sees its own; engineers see and work
the org's; staff and admins dispatch, verify and reopen. Alarms open jobs through
`open_for_alarm`, one open job per alarm key."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Org, Role, User
from cloud.leasing import service as leasing_service
from cloud.leasing.models import Lease, Tenant
from cloud.notifications import service as notifications
from cloud.notifications.models import Channel
from cloud.properties.models import Building, Unit
from cloud.workorders import attachments, charges
from cloud.workorders.calendar import NO_HOLIDAYS, BusinessCalendar, country_days
from cloud.workorders.models import (
    AttachmentKind,
    Category,
    ChargeStatus,
    EngineerBuilding,
    EngineerSkill,
    EventKind,
    Priority,
    SlaTarget,
    Source,
    State,
    WorkCalendar,
    WorkOrder,
    WorkOrderCharge,
    WorkOrderEvent,
)
from cloud.workorders.schemas import (
    Action,
    AssigneeSuggestion,
    RatingCreate,
    WorkOrderCreate,
    WorkOrderUpdate,
)

OPEN_STATES = frozenset(State) - {State.closed}
ACTIVE_STATES = frozenset({State.assigned, State.accepted, State.in_progress, State.on_hold})
"""States in which a job weighs on its assignee's load."""

READERS = (Role.admin, Role.staff, Role.finance, Role.engineer, Role.tenant)
REPORTERS = (Role.admin, Role.staff, Role.engineer, Role.tenant)
WORKERS = (Role.admin, Role.staff, Role.engineer)
DISPATCHERS = (Role.admin, Role.staff)


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


# --- scope -------------------------------------------------------------------------------


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


# --- the business clock ------------------------------------------------------------------


def business_calendar(*, session: Session, org_id: int) -> BusinessCalendar:
    """The org's working hours, weekdays and public holidays, in its time zone."""
    org = session.get(Org, org_id)
    if org is None:
        raise NotFound(f"org {org_id} not found")
    row = session.scalar(select(WorkCalendar).where(WorkCalendar.org_id == org_id))
    zone = ZoneInfo(org.timezone)
    if row is None:
        return BusinessCalendar(zone=zone, days=country_days("CN"))
    return BusinessCalendar(
        zone=zone,
        day_start=row.day_start,
        day_end=row.day_end,
        weekdays=frozenset(int(day) for day in row.weekdays),
        days=country_days(row.holiday_country) if row.holiday_country else NO_HOLIDAYS,
    )


def _set_due(session: Session, order: WorkOrder, category: Category) -> None:
    """Due instants from the SLA of the job's category and priority, counted from its report."""
    target = session.scalar(
        select(SlaTarget).where(
            SlaTarget.category_id == category.id, SlaTarget.priority == order.priority
        )
    )
    if target is None:
        raise Invalid(
            f"category {category.code} has no SLA for priority {order.priority}",
            field="priority",
        )
    clock = business_calendar(session=session, org_id=order.org_id)
    order.response_due_at = clock.add_minutes(order.reported_at, target.response_minutes)
    order.resolution_due_at = clock.add_minutes(order.reported_at, target.resolution_minutes)


# --- reporting a job ---------------------------------------------------------------------


def create_work_order(
    *,
    session: Session,
    actor: Actor,
    data: WorkOrderCreate,
    photos: Sequence[attachments.Upload] = (),
    now: datetime | None = None,
) -> WorkOrder:
    """A tenant's repair request, or a job staff or an engineer report; with its photos."""
    require_role(actor, *REPORTERS)
    if not data.unit_code and not (data.location or "").strip():
        raise Invalid("say where: a unit or a location", field="location")
    if actor.is_tenant:
        for field in ("building_code", "tenant_code"):
            if getattr(data, field) is not None:
                raise Invalid(f"a tenant does not give {field}", field=field)
        if data.chargeable:
            raise Invalid("staff decide whether work is chargeable", field="chargeable")
    title = (data.title or "").strip() or _title_from(data.description)
    if not title:
        raise Invalid("describe the problem", field="description")
    order = WorkOrder(
        org_id=actor.org_id,
        source=Source.tenant if actor.is_tenant else Source.staff,
        priority=data.priority,
        state=State.new,
        title=title,
        description=data.description.strip(),
        location=(data.location or "").strip() or None,
        reported_by_id=actor.user_id,
        reported_at=now or utcnow(),
        chargeable=data.chargeable,
    )
    _place(session, actor, order, data)
    if order.chargeable and order.tenant_id is None:
        raise Invalid("chargeable work needs the tenant to charge", field="tenant_code")
    _insert(session, order, _category(session, actor.org_id, data.category_code))
    record_event(
        session,
        order,
        actor_id=actor.user_id,
        kind=EventKind.created,
        to_state=State.new,
        at=order.reported_at,
    )
    for photo in photos:
        attachments.attach(session, actor, order, AttachmentKind.photo, photo)
    return order


def _title_from(description: str) -> str:
    first_line = description.strip().splitlines()[0] if description.strip() else ""
    return first_line[:60]


def _place(session: Session, actor: Actor, order: WorkOrder, data: WorkOrderCreate) -> None:
    """Unit, building and tenant of a new job, each checked against the actor's scope."""
    if actor.is_tenant:
        order.tenant_id = actor.tenant_id
        if data.unit_code:
            unit = session.scalar(
                select(Unit).where(
                    Unit.org_id == actor.org_id,
                    Unit.code == data.unit_code,
                    Unit.id.in_(leasing_service.visible_unit_ids(session=session, actor=actor)),
                )
            )
            if unit is None:
                raise Invalid(f"you do not lease unit {data.unit_code}", field="unit_code")
            order.unit_id, order.building_id = unit.id, unit.building_id
        return
    if data.unit_code:
        unit = session.scalar(
            select(Unit).where(Unit.org_id == actor.org_id, Unit.code == data.unit_code)
        )
        if unit is None:
            raise Invalid(f"no unit {data.unit_code}", field="unit_code")
        order.unit_id, order.building_id = unit.id, unit.building_id
        order.tenant_id = _tenant_in_force(session, actor, unit.id)
    elif data.building_code:
        building = session.scalar(
            select(Building).where(
                Building.org_id == actor.org_id, Building.code == data.building_code
            )
        )
        if building is None:
            raise Invalid(f"no building {data.building_code}", field="building_code")
        order.building_id = building.id
    if data.tenant_code:
        tenant = session.scalar(
            select(Tenant).where(Tenant.org_id == actor.org_id, Tenant.code == data.tenant_code)
        )
        if tenant is None:
            raise Invalid(f"no tenant {data.tenant_code}", field="tenant_code")
        order.tenant_id = tenant.id


def _tenant_in_force(session: Session, actor: Actor, unit_id: int) -> int | None:
    today = identity_service.org_today(session=session, actor=actor)
    return session.scalar(
        select(Lease.tenant_id).where(
            Lease.org_id == actor.org_id,
            Lease.unit_id == unit_id,
            Lease.start_date <= today,
            Lease.end_date >= today,
        )
    )


def _category(session: Session, org_id: int, code: str) -> Category:
    category = session.scalar(
        select(Category).where(Category.org_id == org_id, Category.code == code, Category.active)
    )
    if category is None:
        raise Invalid(f"no work order category {code}", field="category_code")
    return category


def _insert(session: Session, order: WorkOrder, category: Category) -> None:
    """Give the job its category, code and due instants, and add it."""
    order.category = category
    _set_due(session, order, category)
    zone = business_calendar(session=session, org_id=order.org_id).zone
    prefix = f"WO-{order.reported_at.astimezone(zone).year}-"
    taken = session.scalar(
        select(func.count())
        .select_from(WorkOrder)
        .where(WorkOrder.org_id == order.org_id, WorkOrder.code.startswith(prefix))
    )
    order.code = f"{prefix}{(taken or 0) + 1:04d}"
    session.add(order)
    session.flush()


def open_for_alarm(
    *,
    session: Session,
    org_id: int,
    alarm_key: str,
    title: str,
    category_code: str,
    priority: Priority = Priority.high,
    description: str = "",
    unit_id: int | None = None,
    building_id: int | None = None,
    location: str | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """The open work order for `alarm_key` (e.g. `meter-offline:EM-A-1201`), opened now if
    there is none. A repeat counts an occurrence on the open job and never opens a second one;
    a repeat on a job marked done reopens it, as the fault is evidently back."""
    at = at or utcnow()
    order = _open_alarm_order(session, org_id, alarm_key)
    if order is None:
        category = _category(session, org_id, category_code)
        order = WorkOrder(
            org_id=org_id,
            source=Source.alarm,
            priority=priority,
            state=State.new,
            title=title[:200],
            description=description,
            unit_id=unit_id,
            building_id=building_id,
            location=location,
            alarm_key=alarm_key,
            alarm_count=1,
            last_alarm_at=at,
            reported_at=at,
        )
        try:
            with session.begin_nested():  # another worker may open the same alarm's job
                _insert(session, order, category)
        except IntegrityError:
            order = _open_alarm_order(session, org_id, alarm_key)
            if order is None:
                raise
        else:
            record_event(
                session, order, kind=EventKind.created, to_state=State.new, at=order.reported_at
            )
            return order
    order.alarm_count += 1
    order.last_alarm_at = max(at, order.last_alarm_at or at)
    record_event(
        session,
        order,
        actor_id=None,
        kind=EventKind.alarm_repeat,
        note=f"#{order.alarm_count}: {title}",
        at=at,
    )
    if order.state == State.done:
        _reopen(session, order, actor_id=None, note="the alarm came again", at=at)
    session.flush()
    return order


def open_for_system(
    *,
    session: Session,
    org_id: int,
    title: str,
    category_code: str,
    priority: Priority = Priority.normal,
    description: str = "",
    unit_id: int | None = None,
    building_id: int | None = None,
    location: str | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """A job the system raises on its own (a maintenance plan falling due, an inspection
    anomaly); the caller makes sure it raises each one once."""
    order = WorkOrder(
        org_id=org_id,
        source=Source.staff,
        priority=priority,
        state=State.new,
        title=title[:200],
        description=description,
        unit_id=unit_id,
        building_id=building_id,
        location=location,
        reported_at=at or utcnow(),
    )
    _insert(session, order, _category(session, org_id, category_code))
    record_event(session, order, kind=EventKind.created, to_state=State.new, at=order.reported_at)
    return order


def _open_alarm_order(session: Session, org_id: int, alarm_key: str) -> WorkOrder | None:
    return session.scalar(
        select(WorkOrder)
        .where(
            WorkOrder.org_id == org_id,
            WorkOrder.alarm_key == alarm_key,
            WorkOrder.state != State.closed,
        )
        .with_for_update(of=WorkOrder)  # repeats of one alarm count one after another
    )


def update_work_order(
    *, session: Session, actor: Actor, code: str, data: WorkOrderUpdate
) -> WorkOrder:
    """Staff triage: category, priority, title, chargeable."""
    require_role(actor, *DISPATCHERS)
    order = open_order(session=session, actor=actor, code=code)
    if data.title is not None:
        order.title = data.title.strip()
    if data.chargeable is not None:
        if data.chargeable and order.tenant_id is None:
            raise Invalid("chargeable work needs a tenant to charge", field="chargeable")
        order.chargeable = data.chargeable
    if data.category_code is not None or data.priority is not None:
        if data.category_code is not None:
            order.category = _category(session, actor.org_id, data.category_code)
        order.priority = data.priority or order.priority
        _set_due(session, order, order.category)
    session.flush()
    return order


# --- moving a job through its states -----------------------------------------------------


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
        _reopen(session, order, actor_id=actor.user_id, note=note, at=now)
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


def _reopen(
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


def open_order(*, session: Session, actor: Actor, code: str) -> WorkOrder:
    """A visible job that is not closed (closed ones are reopened first)."""
    order = get_order(session=session, actor=actor, code=code)
    if order.state == State.closed:
        raise Conflict(f"work order {code} is closed; reopen it first")
    return order


# --- the tenant's rating -----------------------------------------------------------------


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


# --- dispatch ----------------------------------------------------------------------------


def suggest_assignees(*, session: Session, actor: Actor, code: str) -> list[AssigneeSuggestion]:
    """Active engineers of the org for the job, best first: those with the category's skill,
    then those who look after its building, then the fewest open jobs."""
    require_role(actor, *DISPATCHERS)
    order = get_order(session=session, actor=actor, code=code)
    engineers = session.scalars(
        select(User).where(User.org_id == actor.org_id, User.role == Role.engineer, User.active)
    )
    skilled = set(
        session.scalars(
            select(EngineerSkill.user_id).where(
                EngineerSkill.org_id == actor.org_id,
                EngineerSkill.category_id == order.category_id,
            )
        )
    )
    covering = set(
        session.scalars(
            select(EngineerBuilding.user_id).where(
                EngineerBuilding.org_id == actor.org_id,
                EngineerBuilding.building_id == order.building_id,
            )
        )
    )
    loads: dict[int, int] = {
        user_id: count
        for user_id, count in session.execute(
            select(WorkOrder.assignee_id, func.count())
            .where(
                WorkOrder.org_id == actor.org_id,
                WorkOrder.state.in_(ACTIVE_STATES),
                WorkOrder.id != order.id,
                WorkOrder.assignee_id.is_not(None),
            )
            .group_by(WorkOrder.assignee_id)
        )
        if user_id is not None
    }
    suggestions = [
        AssigneeSuggestion(
            username=user.username,
            display_name=user.display_name,
            has_skill=user.id in skilled,
            covers_building=user.id in covering,
            open_orders=loads.get(user.id, 0),
        )
        for user in engineers
    ]
    return sorted(
        suggestions,
        key=lambda s: (not s.has_skill, not s.covers_building, s.open_orders, s.username),
    )

"""Reporting a job: by a tenant, staff or an engineer, opened by an alarm (one open job per
alarm key) or by the system (maintenance plans, inspections); and staff triage."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Invalid
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.leasing import service as leasing_service
from cloud.leasing.models import Lease, Tenant
from cloud.properties.models import Building, Unit
from cloud.workorders import attachments
from cloud.workorders.flow import reopen
from cloud.workorders.models import (
    AttachmentKind,
    Category,
    EventKind,
    Priority,
    Source,
    State,
    WorkOrder,
)
from cloud.workorders.schemas import WorkOrderCreate, WorkOrderUpdate
from cloud.workorders.scope import DISPATCHERS, REPORTERS, open_order, record_event
from cloud.workorders.sla import business_calendar, set_due


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
    set_due(session, order, category)
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
        reopen(session, order, actor_id=None, note="the alarm came again", at=at)
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
        set_due(session, order, order.category)
    session.flush()
    return order

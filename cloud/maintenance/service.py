"""The equipment ledger: equipment per building and unit, its status, readings and history.
Staff and admins keep the ledger; engineers read it, change status and record readings;
tenants have no part in it."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.maintenance.models import (
    Equipment,
    EquipmentEvent,
    EquipmentReading,
    EventKind,
    Kind,
    Status,
)
from cloud.maintenance.schemas import (
    EquipmentCreate,
    EquipmentDetail,
    EquipmentEventRead,
    EquipmentRead,
    ReadingCreate,
    StatusChange,
)
from cloud.properties.models import Building, Unit
from cloud.workorders.models import WorkOrder

READERS = (Role.admin, Role.staff, Role.engineer)
KEEPERS = (Role.admin, Role.staff)


def get_equipment(*, session: Session, actor: Actor, code: str) -> Equipment:
    """One piece of the org's equipment by code."""
    require_role(actor, *READERS)
    equipment = session.scalar(
        select(Equipment).where(Equipment.org_id == actor.org_id, Equipment.code == code)
    )
    if equipment is None:
        raise NotFound(f"equipment {code} not found")
    return equipment


def list_equipment(
    *,
    session: Session,
    actor: Actor,
    building_code: str | None = None,
    kind: Kind | None = None,
    status: Status | None = None,
) -> list[Equipment]:
    """The org's equipment by code, narrowed by the filters given."""
    require_role(actor, *READERS)
    stmt = select(Equipment).where(Equipment.org_id == actor.org_id)
    if building_code:
        stmt = stmt.where(Equipment.building.has(Building.code == building_code))
    if kind:
        stmt = stmt.where(Equipment.kind == kind)
    if status:
        stmt = stmt.where(Equipment.status == status)
    return list(session.scalars(stmt.order_by(Equipment.code)))


def create_equipment(*, session: Session, actor: Actor, data: EquipmentCreate) -> Equipment:
    """Add equipment to the ledger, in service."""
    require_role(actor, *KEEPERS)
    taken = session.scalar(
        select(Equipment.id).where(Equipment.org_id == actor.org_id, Equipment.code == data.code)
    )
    if taken is not None:
        raise Conflict(f"equipment {data.code} already exists")
    building = session.scalar(
        select(Building).where(Building.org_id == actor.org_id, Building.code == data.building_code)
    )
    if building is None:
        raise Invalid(f"no building {data.building_code}", field="building_code")
    unit_id = None
    if data.unit_code:
        unit_id = session.scalar(
            select(Unit.id).where(
                Unit.org_id == actor.org_id,
                Unit.code == data.unit_code,
                Unit.building_id == building.id,
            )
        )
        if unit_id is None:
            raise Invalid(f"no unit {data.unit_code} in {building.code}", field="unit_code")
    equipment = Equipment(
        org_id=actor.org_id,
        code=data.code.strip(),
        name=data.name.strip(),
        kind=data.kind,
        building_id=building.id,
        unit_id=unit_id,
        location=(data.location or "").strip() or None,
        status=Status.in_service,
        installed_on=data.installed_on,
    )
    session.add(equipment)
    session.flush()
    record(session, equipment, EventKind.created, actor_id=actor.user_id)
    return equipment


def change_status(
    *, session: Session, actor: Actor, code: str, data: StatusChange, now: datetime | None = None
) -> Equipment:
    """Faulty, under maintenance, back in service, retired; kept in the history with why."""
    require_role(actor, *READERS)
    equipment = get_equipment(session=session, actor=actor, code=code)
    if equipment.status == Status.retired:
        raise Conflict(f"equipment {code} is retired")
    if data.status == equipment.status:
        raise Conflict(f"equipment {code} is already {data.status}")
    note = f"{equipment.status} → {data.status}"
    if data.note and data.note.strip():
        note += f": {data.note.strip()}"
    equipment.status = data.status
    record(session, equipment, EventKind.status, actor_id=actor.user_id, note=note, at=now)
    return equipment


def record_reading(
    *, session: Session, actor: Actor, code: str, data: ReadingCreate
) -> EquipmentReading:
    """A meter value read off the equipment; it never goes down (the meters are cumulative)."""
    require_role(actor, *READERS)
    equipment = get_equipment(session=session, actor=actor, code=code)
    last = latest_value(session, equipment.id, data.metric)
    if last is not None and data.value < last:
        raise Invalid(f"{data.metric} cannot go down from {last} to {data.value}", field="value")
    reading = EquipmentReading(
        org_id=actor.org_id,
        equipment_id=equipment.id,
        metric=data.metric,
        value=data.value,
        read_at=data.read_at or utcnow(),
    )
    session.add(reading)
    record(
        session,
        equipment,
        EventKind.reading,
        actor_id=actor.user_id,
        note=f"{data.metric} = {data.value}",
        at=reading.read_at,
    )
    return reading


def latest_value(session: Session, equipment_id: int, metric: str) -> Decimal | None:
    """The newest value of `metric` on the equipment (the largest: the meter is cumulative)."""
    return session.scalar(
        select(EquipmentReading.value)
        .where(EquipmentReading.equipment_id == equipment_id, EquipmentReading.metric == metric)
        .order_by(EquipmentReading.value.desc())
        .limit(1)
    )


def record(
    session: Session,
    equipment: Equipment,
    kind: EventKind,
    *,
    actor_id: int | None = None,
    note: str | None = None,
    work_order_id: int | None = None,
    at: datetime | None = None,
) -> EquipmentEvent:
    """Add a line to the equipment's history (`actor_id` None: the system did it)."""
    event = EquipmentEvent(
        org_id=equipment.org_id,
        equipment_id=equipment.id,
        at=at or utcnow(),
        kind=kind,
        actor_id=actor_id,
        note=note,
        work_order_id=work_order_id,
    )
    session.add(event)
    session.flush()
    return event


def link_work_order(
    *, session: Session, actor: Actor, code: str, work_order_code: str
) -> EquipmentEvent:
    """Put a work order into the equipment's history (the job concerns this equipment)."""
    equipment = get_equipment(session=session, actor=actor, code=code)
    order = session.scalar(
        select(WorkOrder).where(WorkOrder.org_id == actor.org_id, WorkOrder.code == work_order_code)
    )
    if order is None:
        raise Invalid(f"no work order {work_order_code}", field="work_order_code")
    linked = session.scalar(
        select(EquipmentEvent.id).where(
            EquipmentEvent.equipment_id == equipment.id,
            EquipmentEvent.work_order_id == order.id,
        )
    )
    if linked is not None:
        raise Conflict(f"{work_order_code} is in the history of {code} already")
    return record(
        session,
        equipment,
        EventKind.work_order,
        actor_id=actor.user_id,
        note=order.title,
        work_order_id=order.id,
    )


def detail(*, session: Session, actor: Actor, code: str) -> EquipmentDetail:
    """The equipment with its history, newest first, naming the work orders in it."""
    equipment = get_equipment(session=session, actor=actor, code=code)
    rows = session.execute(
        select(EquipmentEvent, WorkOrder.code)
        .outerjoin(WorkOrder, WorkOrder.id == EquipmentEvent.work_order_id)
        .where(EquipmentEvent.equipment_id == equipment.id)
        .order_by(EquipmentEvent.at.desc(), EquipmentEvent.id.desc())
    )
    history = [
        EquipmentEventRead(at=event.at, kind=event.kind, note=event.note, work_order_code=wo)
        for event, wo in rows
    ]
    return EquipmentDetail(**read(equipment).model_dump(), history=history)


def read(equipment: Equipment) -> EquipmentRead:
    return EquipmentRead(
        code=equipment.code,
        name=equipment.name,
        kind=equipment.kind,
        building_code=equipment.building.code,
        unit_code=equipment.unit.code if equipment.unit else None,
        location=equipment.location,
        status=equipment.status,
        installed_on=equipment.installed_on,
    )

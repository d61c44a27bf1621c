"""Small builders for work-order tests."""

from datetime import datetime

from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.workorders import service
from cloud.workorders.models import Priority, WorkOrder
from cloud.workorders.schemas import Action, WorkOrderCreate

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def report(
    session: Session,
    actor: Actor,
    *,
    at: datetime | None = None,
    category: str = "ELEC",
    priority: Priority = Priority.normal,
    unit: str | None = "U-101",
    location: str | None = None,
    text: str = "灯不亮 The light is out",
    chargeable: bool = False,
) -> WorkOrder:
    return service.create_work_order(
        session=session,
        actor=actor,
        data=WorkOrderCreate(
            category_code=category,
            priority=priority,
            description=text,
            unit_code=unit,
            location=location,
            chargeable=chargeable,
        ),
        now=at,
    )


def drive(
    session: Session,
    staff: Actor,
    order: WorkOrder,
    actions: list[Action],
    *,
    assignee: str = "acme-engineer",
    at: datetime | None = None,
) -> WorkOrder:
    """Apply `actions` in turn as `staff` (who may act for the assignee)."""
    for action in actions:
        if action == Action.assign:
            service.assign(session=session, actor=staff, code=order.code, assignee=assignee, now=at)
        else:
            note = "why" if action in (Action.hold, Action.reopen) else None
            service.transition(
                session=session, actor=staff, code=order.code, action=action, note=note, now=at
            )
    return order

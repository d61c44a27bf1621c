"""The demo org's equipment, maintenance plans and inspection routes (the street-shop patrol
among them), made once: when the org has no equipment yet."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.maintenance import inspections, plans, service
from cloud.maintenance.models import Equipment, Every, Kind, Trigger
from cloud.maintenance.schemas import (
    ChecklistCreate,
    CheckpointCreate,
    EquipmentCreate,
    PlanCreate,
    ReadingCreate,
    RouteCreate,
)

EQUIPMENT = (
    ("LIFT-A-01", "A座1号客梯", Kind.lift, "电梯机房"),
    ("AHU-A-01", "A座新风机组", Kind.hvac, "屋面"),
    ("FP-A-01", "消防泵", Kind.fire, "B1 泵房"),
    ("PD-A-01", "低压配电柜", Kind.power, "B1 配电室"),
)


def seed_maintenance(*, session: Session, admin: Actor, engineer: Actor, today: date) -> None:
    """Create the demo's equipment, plans and routes unless the org has equipment already."""
    if session.scalar(select(Equipment.id).where(Equipment.org_id == admin.org_id).limit(1)):
        return
    for code, name, kind, location in EQUIPMENT:
        service.create_equipment(
            session=session,
            actor=admin,
            data=EquipmentCreate(
                code=code, name=name, kind=kind, building_code="A", location=location
            ),
        )
    for data in (
        PlanCreate(
            code="PM-LIFT-M",
            title="电梯月度保养",
            equipment_code="LIFT-A-01",
            category_code="ELEC",
            trigger=Trigger.calendar,
            every=1,
            every_unit=Every.month,
            first_due_on=today,
        ),
        PlanCreate(
            code="PM-FP-W",
            title="消防泵每周试运行",
            equipment_code="FP-A-01",
            category_code="PLUMB",
            trigger=Trigger.calendar,
            every=1,
            every_unit=Every.week,
            weekday=0,
            first_due_on=today,
        ),
        PlanCreate(
            code="PM-AHU-500H",
            title="新风机组每 500 小时换滤网",
            equipment_code="AHU-A-01",
            category_code="HVAC",
            trigger=Trigger.meter,
            metric="hours",
            every_value=Decimal("500"),
        ),
    ):
        plans.create_plan(session=session, actor=admin, data=data)
    service.record_reading(
        session=session,
        actor=engineer,
        code="AHU-A-01",
        data=ReadingCreate(metric="hours", value=Decimal("486.5")),
    )
    _routes(session, admin)


def _routes(session: Session, admin: Actor) -> None:
    for code, name, items in (
        ("SHOP-PATROL", "沿街商铺巡查", list(inspections.STREET_SHOP_PATROL)),
        ("PLANT-ROOM", "机房巡检", ["运行声音正常 Sounds normal", "无渗漏 No leaks", "温度正常"]),
    ):
        inspections.create_checklist(
            session=session, actor=admin, data=ChecklistCreate(code=code, name=name, items=items)
        )
    shops = [
        CheckpointCreate(
            code=f"CP-{unit}",
            name=f"{unit} 商铺",
            checklist_code="SHOP-PATROL",
            category_code="PLUMB",
            unit_code=unit,
        )
        for unit in ("S1-101", "S1-102", "S1-103")
    ]
    rooms = [
        CheckpointCreate(
            code=f"CP-{code}",
            name=name,
            checklist_code="PLANT-ROOM",
            category_code="ELEC",
            equipment_code=code,
        )
        for code, name, _kind, _where in EQUIPMENT
    ]
    for data in (
        RouteCreate(code="R-STREET", name="滨河路沿街巡查", checkpoints=shops),
        RouteCreate(code="R-PLANT", name="A座机房巡检", checkpoints=rooms),
    ):
        inspections.create_route(session=session, actor=admin, data=data)

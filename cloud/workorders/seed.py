"""The demo org's work orders: categories with SLA targets, its working hours, the engineer's
skills, and a handful of jobs in every state so the console and the tenant's phone show them.

Working days: the `holidays` package carries China's public holidays and the weekend days
made working days (调休) from the State Council General Office's yearly notice (for 2026:
国务院办公厅关于2026年部分节假日安排的通知, November 2025), so no table of extra working days
is kept here.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.identity.models import User
from cloud.properties.models import Building
from cloud.workorders import attachments, handling, jobs, service
from cloud.workorders.models import (
    AttachmentKind,
    Category,
    EngineerBuilding,
    EngineerSkill,
    Priority,
    SlaTarget,
    WorkCalendar,
    WorkOrder,
)
from cloud.workorders.schemas import (
    Action,
    LabourCreate,
    MaterialCreate,
    RatingCreate,
    WorkOrderCreate,
    WorkOrderUpdate,
)

# code, name, labour rate (CNY per hour)
CATEGORIES = (
    ("ELEC", "电气 Electrical", Decimal("90.00")),
    ("PLUMB", "给排水 Plumbing", Decimal("80.00")),
    ("HVAC", "空调暖通 HVAC", Decimal("100.00")),
    ("ACCESS", "门禁道闸 Doors and gates", Decimal("80.00")),
    ("GENERAL", "综合维修 General repairs", Decimal("60.00")),
)
# priority: (response, resolution) in business minutes of 09:00-18:00 working days
TARGETS = {
    Priority.urgent: (30, 240),
    Priority.high: (60, 540),
    Priority.normal: (120, 1080),
    Priority.low: (540, 2700),
}
# A small transparent PNG: the demo's "photo" and "signature".
DEMO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def seed_workorders(
    *,
    session: Session,
    org_id: int,
    building: Building,
    admin: User,
    engineer: User,
    tenant: User,
    now: datetime,
) -> None:
    """Create what is missing; the demo jobs only when the org has no work order yet."""
    if session.scalar(select(WorkCalendar.id).where(WorkCalendar.org_id == org_id)) is None:
        session.add(WorkCalendar(org_id=org_id, day_start=time(9), day_end=time(18)))
    for code, name, rate in CATEGORIES:
        category = session.scalar(
            select(Category).where(Category.org_id == org_id, Category.code == code)
        )
        if category is None:
            category = Category(
                org_id=org_id, code=code, name=name, labour_rate=rate, supervisor_id=admin.id
            )
            session.add(category)
            session.flush()
            session.add_all(
                SlaTarget(
                    org_id=org_id,
                    category_id=category.id,
                    priority=priority,
                    response_minutes=response,
                    resolution_minutes=resolution,
                )
                for priority, (response, resolution) in TARGETS.items()
            )
            session.add(EngineerSkill(user_id=engineer.id, category_id=category.id, org_id=org_id))
    if session.get(EngineerBuilding, (engineer.id, building.id)) is None:
        session.add(EngineerBuilding(user_id=engineer.id, building_id=building.id, org_id=org_id))
    session.flush()
    has_orders = session.scalar(
        select(func.count()).select_from(WorkOrder).where(WorkOrder.org_id == org_id)
    )
    if not has_orders:
        _demo_jobs(
            session, Actor.of(admin), Actor.of(engineer), Actor.of(tenant), building, now=now
        )


def _demo_jobs(
    session: Session,
    admin: Actor,
    engineer: Actor,
    tenant: Actor,
    building: Building,
    *,
    now: datetime,
) -> None:
    def report(actor: Actor, hours_ago: float, **fields: object) -> WorkOrder:
        data = WorkOrderCreate.model_validate(fields)
        return service.create_work_order(
            session=session, actor=actor, data=data, now=now - timedelta(hours=hours_ago)
        )

    def move(order: WorkOrder, *actions: Action, hours_ago: float) -> None:
        for action in actions:
            at = now - timedelta(hours=hours_ago)
            if action == Action.assign:
                service.assign(
                    session=session,
                    actor=admin,
                    code=order.code,
                    assignee=engineer.username,
                    now=at,
                )
            else:
                actor = admin if action == Action.verify else engineer
                service.transition(
                    session=session, actor=actor, code=order.code, action=action, now=at
                )

    # Fixed last week, charged to the tenant, signed for and rated.
    tap = report(
        tenant,
        150,
        category_code="PLUMB",
        description="卫生间水龙头漏水 The washroom tap drips",
        unit_code="A-12-1201",
    )
    service.update_work_order(
        session=session, actor=admin, code=tap.code, data=WorkOrderUpdate(chargeable=True)
    )
    move(tap, Action.assign, Action.accept, hours_ago=149)
    move(tap, Action.start, hours_ago=148)
    for item, quantity, price in (("水龙头 tap", "1", "85.00"), ("生料带 PTFE tape", "2", "3.50")):
        handling.add_material(
            session=session,
            actor=engineer,
            code=tap.code,
            data=MaterialCreate(item=item, quantity=Decimal(quantity), unit_price=Decimal(price)),
        )
    handling.add_labour(
        session=session, actor=engineer, code=tap.code, data=LabourCreate(minutes=40)
    )
    handling.add_attachment(
        session=session,
        actor=engineer,
        code=tap.code,
        kind=AttachmentKind.signature,
        upload=attachments.Upload("signature.png", DEMO_PNG),
    )
    move(tap, Action.finish, hours_ago=147)
    move(tap, Action.verify, hours_ago=146)
    service.rate(
        session=session,
        actor=tenant,
        code=tap.code,
        data=RatingCreate(score=5, comment="师傅很专业 Quick and tidy"),
    )
    # Being worked on now.
    lobby = report(
        admin,
        5,
        category_code="ELEC",
        priority=Priority.high,
        description="A座大堂筒灯不亮 Lobby downlights out",
        building_code=building.code,
        location="A座大堂 Lobby",
    )
    move(lobby, Action.assign, Action.accept, Action.start, hours_ago=4)
    # Reported by the tenant this morning, waiting for dispatch.
    report(
        tenant,
        3,
        category_code="HVAC",
        description="空调不制冷 The air conditioning blows warm air",
        unit_code="A-12-1201",
    )
    # Reported days ago and never picked up: the SLA watch escalates it.
    report(
        admin,
        80,
        category_code="GENERAL",
        priority=Priority.low,
        description="门锁损坏 The door lock is broken",
        unit_code="A-12-1202",
    )
    # An alarm that keeps coming back: one job, counted.
    for minutes_ago in (45, 30, 15):
        service.open_for_alarm(
            session=session,
            org_id=admin.org_id,
            alarm_key="meter-offline:EM-A-PUB",
            title="公区电表 EM-A-PUB 离线 Public meter offline",
            category_code="ELEC",
            location="A座配电间 Switch room",
            at=now - timedelta(minutes=minutes_ago),
        )
    jobs.escalate_overdue(session=session, now=now, org_id=admin.org_id)

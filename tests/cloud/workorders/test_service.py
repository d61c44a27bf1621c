"""Work orders on both databases: SLA due instants, the alarm hook, dispatch, the state
machine, pricing of chargeable work, ratings, escalations and the SLA report."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.workorders import attachments, charges, handling, jobs, reports, service
from cloud.workorders.models import (
    AttachmentKind,
    ChargeStatus,
    Clock,
    EventKind,
    Priority,
    Source,
    State,
    WorkOrder,
    WorkOrderCharge,
)
from cloud.workorders.schemas import (
    Action,
    LabourCreate,
    MaterialCreate,
    RatingCreate,
    WorkOrderCreate,
    WorkOrderUpdate,
)
from tests.cloud.workorders.conftest import Shop, local
from tests.cloud.workorders.helpers import PNG, drive, report

HAPPY_PATH = [Action.assign, Action.accept, Action.start, Action.hold, Action.resume]
HAPPY_PATH += [Action.finish, Action.verify]


# --- SLA due instants --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "priority", "response_due", "resolution_due"),
    [
        # normal ELEC: 60 / 480 business minutes, 09:00-18:00 Mon-Fri, China's holidays
        ("2026-03-06 17:30", Priority.normal, "2026-03-09 09:30", "2026-03-09 16:30"),
        ("2026-03-10 20:00", Priority.normal, "2026-03-11 10:00", "2026-03-11 17:00"),
        ("2026-04-03 17:30", Priority.normal, "2026-04-07 09:30", "2026-04-07 16:30"),  # 清明
        # urgent: 15 / 120; Saturday 14 Feb 2026 is a make-up working day before 春节
        ("2026-02-13 17:30", Priority.urgent, "2026-02-13 17:45", "2026-02-14 10:30"),
        ("2026-02-14 17:30", Priority.urgent, "2026-02-14 17:45", "2026-02-24 10:30"),
    ],
)
def test_due_instants_follow_the_business_calendar(
    session: Session,
    shop: Shop,
    reported: str,
    priority: Priority,
    response_due: str,
    resolution_due: str,
) -> None:
    order = report(session, shop.actors["tenant"], at=local(reported), priority=priority)
    assert order.code.startswith("WO-2026-")
    assert order.response_due_at == local(response_due)
    assert order.resolution_due_at == local(resolution_due)


def test_triage_moves_the_due_instants(session: Session, shop: Shop) -> None:
    order = report(session, shop.actors["tenant"], at=local("2026-03-06 17:30"))
    service.update_work_order(
        session=session,
        actor=shop.actors["staff"],
        code=order.code,
        data=WorkOrderUpdate(category_code="PLUMB", priority=Priority.urgent),
    )
    assert (order.category.code, order.priority) == ("PLUMB", Priority.urgent)
    assert order.response_due_at == local("2026-03-06 17:45")
    assert order.resolution_due_at == local("2026-03-09 10:30")


# --- reporting ---------------------------------------------------------------------------


def test_a_tenant_reports_a_repair_with_photos(session: Session, shop: Shop) -> None:
    tenant = shop.actors["tenant"]
    with pytest.raises(Invalid) as missing:
        service.create_work_order(
            session=session,
            actor=tenant,
            data=WorkOrderCreate(category_code="PLUMB", description="水管漏水"),
        )
    assert missing.value.field == "location"
    order = service.create_work_order(
        session=session,
        actor=tenant,
        data=WorkOrderCreate(
            category_code="PLUMB", description="水管漏水\n卫生间天花板滴水", unit_code="U-103"
        ),
        photos=[attachments.Upload("leak.png", PNG)],
    )
    assert (order.source, order.state, order.title) == (Source.tenant, State.new, "水管漏水")
    assert order.tenant_id == shop.world.tenants["TA"].id
    assert order.unit is not None and order.unit.code == "U-103"
    assert order.building is not None and order.building.code == "A"
    assert [(a.kind, a.content_type) for a in order.attachments] == [
        (AttachmentKind.photo, "image/png")
    ]
    assert [e.kind for e in order.events] == [EventKind.created]
    photo = handling.get_attachment(
        session=session, actor=tenant, code=order.code, attachment_id=order.attachments[0].id
    )
    assert photo.data == PNG


def test_what_a_tenant_may_not_say(session: Session, shop: Shop) -> None:
    tenant = shop.actors["tenant"]
    with pytest.raises(Invalid) as other_unit:
        report(session, tenant, unit="U-102")  # tenant TB's unit
    assert other_unit.value.field == "unit_code"
    with pytest.raises(Invalid) as chargeable:
        report(session, tenant, chargeable=True)
    assert chargeable.value.field == "chargeable"
    with pytest.raises(Invalid) as bad_photo:
        service.create_work_order(
            session=session,
            actor=tenant,
            data=WorkOrderCreate(category_code="ELEC", description="x", location="lobby"),
            photos=[attachments.Upload("evil.svg", b"<svg onload=alert(1)>")],
        )
    assert bad_photo.value.field == "file"
    with pytest.raises(Invalid) as category:
        report(session, tenant, category="LIFT")
    assert category.value.field == "category_code"


def test_staff_report_finds_the_tenant_in_force_on_the_unit(session: Session, shop: Shop) -> None:
    order = report(session, shop.actors["staff"], unit="U-102", chargeable=True)
    assert order.source == Source.staff and order.tenant_id == shop.world.tenants["TB"].id
    lobby = report(session, shop.actors["engineer"], unit=None, location="A座大堂")
    assert lobby.tenant_id is None and lobby.location == "A座大堂"
    with pytest.raises(Invalid):
        report(session, shop.actors["staff"], unit=None, location="lobby", chargeable=True)


# --- alarms ------------------------------------------------------------------------------


def _alarm(
    session: Session, shop: Shop, key: str = "meter-offline:M-101", **kwargs: object
) -> WorkOrder:
    return service.open_for_alarm(
        session=session,
        org_id=shop.world.org.id,
        alarm_key=key,
        title="电表离线 Meter M-101 offline",
        category_code="ELEC",
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_alarm_storm_opens_one_work_order(session: Session, shop: Shop) -> None:
    first = _alarm(session, shop, at=local("2026-03-10 10:00"))
    for minute in range(1, 50):
        again = _alarm(session, shop, at=local("2026-03-10 10:00") + timedelta(minutes=minute))
        assert again.id == first.id
    door = _alarm(session, shop, key="door-forced:D-1")
    assert door.id != first.id
    orders = session.scalars(select(WorkOrder).where(WorkOrder.source == Source.alarm)).all()
    assert len(orders) == 2
    assert (first.alarm_count, first.priority, first.state) == (50, Priority.high, State.new)
    assert first.last_alarm_at == local("2026-03-10 10:49")
    repeats = [e for e in first.events if e.kind == EventKind.alarm_repeat]
    assert len(repeats) == 49 and (repeats[-1].note or "").startswith("#50")
    # The SLA clock started with the first alarm.
    assert first.response_due_at == local("2026-03-10 10:30")


def test_a_repeat_reopens_done_work_and_a_closed_job_lets_a_new_one_open(
    session: Session, shop: Shop
) -> None:
    order = _alarm(session, shop)
    drive(session, shop.actors["staff"], order, [Action.assign, Action.accept, Action.start])
    drive(session, shop.actors["staff"], order, [Action.finish])
    assert _alarm(session, shop).id == order.id
    assert order.state == State.assigned and order.resolved_at is None
    drive(session, shop.actors["staff"], order, [Action.accept, Action.start, Action.finish])
    drive(session, shop.actors["staff"], order, [Action.verify])
    fresh = _alarm(session, shop)
    assert fresh.id != order.id and fresh.alarm_count == 1 and fresh.state == State.new


def test_the_database_refuses_a_second_open_job_for_an_alarm(session: Session, shop: Shop) -> None:
    order = _alarm(session, shop)
    session.commit()
    twin = WorkOrder(
        org_id=order.org_id,
        code="WO-TWIN",
        source=Source.alarm,
        category_id=order.category_id,
        priority=order.priority,
        state=State.assigned,
        title="twin",
        alarm_key=order.alarm_key,
        reported_at=order.reported_at,
        response_due_at=order.response_due_at,
        resolution_due_at=order.resolution_due_at,
    )
    session.add(twin)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_concurrent_alarms_open_one_job(
    database_url: str, engine: Engine, sessions: sessionmaker[Session], shop: Shop
) -> None:
    # SQLite has one writer at a time, so there the storm comes from one thread after another.
    writers = 1 if database_url.startswith("sqlite") else 6
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def storm() -> None:
        try:
            start.wait()
            for _ in range(60 // writers):
                with sessions.begin() as own:
                    _alarm(own, shop, key="gate-stuck:G-1")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=storm) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sessions() as check:
        orders = check.scalars(
            select(WorkOrder).where(WorkOrder.alarm_key == "gate-stuck:G-1")
        ).all()
        assert [o.alarm_count for o in orders] == [60]


# --- dispatch ----------------------------------------------------------------------------


def test_dispatch_suggests_skill_then_building_then_load(session: Session, shop: Shop) -> None:
    staff = shop.actors["staff"]
    order = report(session, shop.actors["tenant"])  # ELEC in building A
    suggestions = service.suggest_assignees(session=session, actor=staff, code=order.code)
    assert [(s.username, s.has_skill, s.covers_building) for s in suggestions] == [
        ("acme-engineer", True, True),
        ("acme-eng3", True, False),
        ("acme-eng2", False, True),
    ]
    # Without a building, the lighter load wins among the skilled.
    for _ in range(2):
        busy = report(session, staff, unit=None, location="car park")
        service.assign(session=session, actor=staff, code=busy.code, assignee="acme-engineer")
    lobby = report(session, staff, unit=None, location="lobby")
    suggestions = service.suggest_assignees(session=session, actor=staff, code=lobby.code)
    assert [(s.username, s.open_orders) for s in suggestions] == [
        ("acme-eng3", 0),
        ("acme-engineer", 2),
        ("acme-eng2", 0),
    ]
    service.assign(session=session, actor=staff, code=lobby.code)  # takes the suggestion
    assert lobby.assignee is not None and lobby.assignee.username == "acme-eng3"
    service.assign(session=session, actor=staff, code=lobby.code, assignee="acme-eng2")
    assert lobby.assignee.username == "acme-eng2"  # a person overrides the suggestion
    assert [e.note for e in lobby.events if e.to_state == State.assigned][-1] == "→ Acme-Eng2"


def test_only_an_engineer_of_the_org_can_be_assigned(session: Session, shop: Shop) -> None:
    order = report(session, shop.actors["tenant"])
    for who in ("acme-tenant", "acme-finance", "other-engineer", "nobody"):
        with pytest.raises(Invalid) as refused:
            service.assign(
                session=session, actor=shop.actors["staff"], code=order.code, assignee=who
            )
        assert refused.value.field == "assignee"


# --- the state machine -------------------------------------------------------------------


def test_every_transition_is_recorded_with_who_and_when(session: Session, shop: Shop) -> None:
    staff, engineer = shop.actors["staff"], shop.actors["engineer"]
    order = report(session, shop.actors["tenant"], at=local("2026-03-10 09:00"))
    service.assign(
        session=session,
        actor=staff,
        code=order.code,
        assignee="acme-engineer",
        now=local("2026-03-10 09:05"),
    )
    steps = [
        (Action.accept, None, "09:20"),
        (Action.start, None, "09:40"),
        (Action.hold, "等配件 waiting for a part", "10:00"),
        (Action.resume, None, "13:00"),
        (Action.finish, None, "14:00"),
    ]
    for action, note, hhmm in steps:
        service.transition(
            session=session,
            actor=engineer,
            code=order.code,
            action=action,
            note=note,
            now=local(f"2026-03-10 {hhmm}"),
        )
    service.transition(
        session=session,
        actor=staff,
        code=order.code,
        action=Action.verify,
        now=local("2026-03-10 15:00"),
    )
    moves = [
        (e.from_state, e.to_state, e.actor.username if e.actor else None, e.at)
        for e in order.events
        if e.kind == EventKind.transition
    ]
    assert moves == [
        (State.new, State.assigned, "acme-staff", local("2026-03-10 09:05")),
        (State.assigned, State.accepted, "acme-engineer", local("2026-03-10 09:20")),
        (State.accepted, State.in_progress, "acme-engineer", local("2026-03-10 09:40")),
        (State.in_progress, State.on_hold, "acme-engineer", local("2026-03-10 10:00")),
        (State.on_hold, State.in_progress, "acme-engineer", local("2026-03-10 13:00")),
        (State.in_progress, State.done, "acme-engineer", local("2026-03-10 14:00")),
        (State.done, State.closed, "acme-staff", local("2026-03-10 15:00")),
    ]
    assert order.responded_at == local("2026-03-10 09:20")
    assert order.resolved_at == local("2026-03-10 14:00")
    assert order.closed_at == local("2026-03-10 15:00")
    service.transition(
        session=session, actor=staff, code=order.code, action=Action.reopen, note="still dark"
    )
    assert order.state == State.assigned and order.closed_at is None
    assert order.events[-1].note == "still dark"


def test_illegal_transitions_are_refused_clearly(session: Session, shop: Shop) -> None:
    staff = shop.actors["admin"]
    order = report(session, shop.actors["tenant"])
    for step in [None, *HAPPY_PATH]:
        if step is not None:
            drive(session, staff, order, [step])
        for action in Action:
            if action == Action.assign or order.state in service.MOVES[action].sources:
                continue
            with pytest.raises(Conflict) as refused:
                service.transition(
                    session=session, actor=staff, code=order.code, action=action, note="n"
                )
            assert f"cannot {action} work order {order.code}: it is {order.state}" in str(
                refused.value
            )
    assert order.state == State.closed
    with pytest.raises(Conflict):
        service.assign(session=session, actor=staff, code=order.code, assignee="acme-engineer")


def test_who_may_move_a_job(session: Session, shop: Shop) -> None:
    order = report(session, shop.actors["tenant"])
    code = order.code

    def move(actor: str, action: Action, note: str | None = None) -> None:
        service.transition(
            session=session, actor=shop.actors[actor], code=code, action=action, note=note
        )

    with pytest.raises(Forbidden):
        service.assign(
            session=session, actor=shop.actors["engineer"], code=code, assignee="acme-engineer"
        )
    drive(session, shop.actors["staff"], order, [Action.assign])
    with pytest.raises(Forbidden, match="not assigned to acme-eng3"):
        move("eng3", Action.accept)
    for outsider in ("tenant", "finance"):
        with pytest.raises(Forbidden):
            move(outsider, Action.accept)
    move("engineer", Action.accept)
    move("engineer", Action.start)
    with pytest.raises(Invalid) as no_reason:
        move("engineer", Action.hold)
    assert no_reason.value.field == "note"
    move("engineer", Action.finish)
    with pytest.raises(Forbidden):
        move("engineer", Action.verify)
    with pytest.raises(Forbidden):
        move("tenant", Action.reopen, "not fixed")
    with pytest.raises(Invalid):
        move("staff", Action.assign)
    assert service.allowed_actions(actor=shop.actors["staff"], order=order) == [
        Action.verify,
        Action.reopen,
    ]
    assert service.allowed_actions(actor=shop.actors["engineer"], order=order) == []


# --- chargeable work ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "price", "amount"),
    [
        ("3", "12.35", "37.05"),
        ("0.333", "10.00", "3.33"),
        ("2.5", "1.99", "4.98"),
        ("1", "0", "0.00"),
    ],
)
def test_material_amounts_round_half_up_to_the_fen(quantity: str, price: str, amount: str) -> None:
    assert charges.material_amount(Decimal(quantity), Decimal(price)) == Decimal(amount)


@pytest.mark.parametrize(
    ("minutes", "rate", "amount"),
    [(45, "90.00", "67.50"), (50, "80.00", "66.67"), (1, "0.50", "0.01"), (90, "0", "0.00")],
)
def test_labour_amounts_round_half_up_to_the_fen(minutes: int, rate: str, amount: str) -> None:
    assert charges.labour_amount(minutes, Decimal(rate)) == Decimal(amount)


def _work_it(session: Session, shop: Shop, order: WorkOrder) -> None:
    engineer = shop.actors["engineer"]
    for item, quantity, price in (("LED 灯管", "2", "35.50"), ("电线 (m)", "2.5", "4.99")):
        handling.add_material(
            session=session,
            actor=engineer,
            code=order.code,
            data=MaterialCreate(item=item, quantity=Decimal(quantity), unit_price=Decimal(price)),
        )
    handling.add_labour(
        session=session, actor=engineer, code=order.code, data=LabourCreate(minutes=50)
    )
    handling.add_attachment(
        session=session,
        actor=engineer,
        code=order.code,
        kind=AttachmentKind.signature,
        upload=attachments.Upload("sign.png", PNG),
    )


def test_chargeable_work_becomes_a_pending_charge_when_verified(
    session: Session, shop: Shop
) -> None:
    staff = shop.actors["staff"]
    order = report(session, staff, unit="U-101", chargeable=True)
    drive(session, staff, order, [Action.assign, Action.accept, Action.start])
    _work_it(session, shop, order)
    # 2 x 35.50 = 71.00; 2.5 x 4.99 = 12.475 -> 12.48; 50 min at ELEC's 90.00/h = 75.00
    assert [m.amount for m in order.materials] == [Decimal("71.00"), Decimal("12.48")]
    assert [w.amount for w in order.labour] == [Decimal("75.00")]
    drive(session, staff, order, [Action.finish])
    assert charges.list_charges(session=session, actor=staff) == []  # not before verify
    drive(session, staff, order, [Action.verify])
    (charge,) = charges.list_charges(session=session, actor=shop.actors["finance"])
    assert (charge.amount, charge.materials_amount, charge.labour_amount) == (
        Decimal("158.48"),
        Decimal("83.48"),
        Decimal("75.00"),
    )
    assert (charge.status, charge.tenant_id, charge.currency) == (
        ChargeStatus.pending,
        shop.world.tenants["TA"].id,
        "CNY",
    )
    with pytest.raises(Conflict, match="closed"):
        _work_it(session, shop, order)

    # Reopened before billing: the charge is void and the next verify charges the new total.
    drive(session, staff, order, [Action.reopen, Action.accept, Action.start])
    handling.add_labour(
        session=session,
        actor=shop.actors["engineer"],
        code=order.code,
        data=LabourCreate(minutes=30, hourly_rate=Decimal("100.00")),
    )
    drive(session, staff, order, [Action.finish, Action.verify])
    raised = charges.list_charges(session=session, actor=staff)
    assert [(c.amount, c.status) for c in raised] == [
        (Decimal("208.48"), ChargeStatus.pending),
        (Decimal("158.48"), ChargeStatus.void),
    ]
    # Billed, then reopened: the bill stands, and only the extra work is charged next.
    raised[0].status = ChargeStatus.billed
    drive(session, staff, order, [Action.reopen, Action.accept, Action.start])
    handling.add_material(
        session=session,
        actor=shop.actors["engineer"],
        code=order.code,
        data=MaterialCreate(item="开关", quantity=Decimal("1"), unit_price=Decimal("20.00")),
    )
    drive(session, staff, order, [Action.finish, Action.verify])
    pending = charges.list_charges(session=session, actor=staff, status=ChargeStatus.pending)
    assert [c.amount for c in pending] == [Decimal("20.00")]
    mine = charges.list_charges(session=session, actor=shop.actors["tenant"])
    assert len(mine) == 3
    assert charges.list_charges(session=session, actor=shop.actors["tenant_b"]) == []


def test_work_not_marked_chargeable_charges_nothing(session: Session, shop: Shop) -> None:
    staff = shop.actors["staff"]
    order = report(session, shop.actors["tenant"])
    drive(session, staff, order, [Action.assign, Action.accept, Action.start])
    _work_it(session, shop, order)
    drive(session, staff, order, [Action.finish, Action.verify])
    assert session.scalar(select(func.count()).select_from(WorkOrderCharge)) == 0


# --- ratings -----------------------------------------------------------------------------


def test_the_tenant_rates_done_work_once(session: Session, shop: Shop) -> None:
    tenant, staff = shop.actors["tenant"], shop.actors["staff"]
    order = report(session, tenant)
    good = RatingCreate(score=5, comment="快 fast")
    with pytest.raises(Conflict, match="once it is done"):
        service.rate(session=session, actor=tenant, code=order.code, data=good)
    drive(session, staff, order, [Action.assign, Action.accept, Action.start, Action.finish])
    with pytest.raises(Forbidden):
        service.rate(session=session, actor=staff, code=order.code, data=good)
    with pytest.raises(NotFound):
        service.rate(session=session, actor=shop.actors["tenant_b"], code=order.code, data=good)
    service.rate(session=session, actor=tenant, code=order.code, data=good)
    assert (order.rating, order.rating_comment) == (5, "快 fast")
    with pytest.raises(Conflict, match="already rated"):
        service.rate(session=session, actor=tenant, code=order.code, data=RatingCreate(score=1))
    with pytest.raises(ValueError):
        RatingCreate(score=6)


# --- escalations and the report ----------------------------------------------------------


def test_overdue_clocks_escalate_once_to_the_supervisor(session: Session, shop: Shop) -> None:
    staff = shop.actors["staff"]
    late = report(session, shop.actors["tenant"], at=local("2026-03-09 09:00"))  # due 10:00, 17:00
    quick = report(session, shop.actors["tenant"], at=local("2026-03-09 09:00"))
    drive(session, staff, quick, [Action.assign, Action.accept], at=local("2026-03-09 09:30"))
    assert jobs.escalate_overdue(session=session, now=local("2026-03-09 09:59")) == []
    made = jobs.escalate_overdue(session=session, now=local("2026-03-09 10:01"))
    assert [(e.work_order_id, e.clock, e.supervisor_id) for e in made] == [
        (late.id, Clock.response, staff.user_id)
    ]
    assert jobs.escalate_overdue(session=session, now=local("2026-03-09 12:00")) == []
    made = jobs.escalate_overdue(session=session, now=local("2026-03-09 17:01"))
    assert sorted((e.work_order_id, e.clock) for e in made) == [
        (late.id, Clock.resolution),
        (quick.id, Clock.resolution),
    ]
    assert late.events[-1].kind == EventKind.escalated
    listed = reports.list_escalations(
        session=session, actor=shop.actors["admin"], first=date(2026, 3, 9), last=date(2026, 3, 9)
    )
    assert len(listed) == 3 and listed[0].supervisor is not None


def test_the_sla_report_per_category_and_building(session: Session, shop: Shop) -> None:
    staff, tenant = shop.actors["staff"], shop.actors["tenant"]
    day = "2026-03-09"
    on_time = report(session, tenant, at=local(f"{day} 09:00"))
    late = report(session, tenant, at=local(f"{day} 09:00"))
    drive(session, staff, on_time, [Action.assign, Action.accept], at=local(f"{day} 09:30"))
    jobs.escalate_overdue(session=session, now=local(f"{day} 10:01"))  # `late` not accepted
    drive(session, staff, on_time, [Action.start, Action.finish], at=local(f"{day} 15:00"))
    drive(session, staff, late, [Action.assign, Action.accept], at=local(f"{day} 11:00"))
    drive(session, staff, late, [Action.start], at=local(f"{day} 11:00"))
    drive(session, staff, late, [Action.finish], at=local("2026-03-10 12:00"))
    for order, score in ((on_time, 5), (late, 2)):
        service.rate(session=session, actor=tenant, code=order.code, data=RatingCreate(score=score))
    running = report(session, tenant, at=local(f"{day} 17:30"), category="PLUMB")
    lobby = report(session, staff, at=local(f"{day} 10:00"), unit=None, location="lobby")
    report(session, tenant, at=local("2026-03-11 10:00"))  # outside the period
    jobs.escalate_overdue(session=session, now=local(f"{day} 17:59"))
    figures = reports.sla_report(
        session=session,
        actor=shop.actors["finance"],
        first=date(2026, 3, 1),
        last=date(2026, 3, 10),
        now=local(f"{day} 18:00"),
    )
    rows = {(f.category_code, f.building_code): f for f in figures}
    elec = rows[("ELEC", "A")]
    assert elec.orders == 2
    assert elec.response_on_time_pct == Decimal("50.0")  # 09:30 on time, 11:00 late
    assert elec.resolution_on_time_pct == Decimal("50.0")  # 15:00 in time; next day too late
    assert (elec.ratings, elec.mean_rating) == (2, Decimal("3.50"))
    assert elec.escalations == 1  # `late` missed its response
    plumb = rows[("PLUMB", "A")]
    assert (plumb.orders, plumb.response_on_time_pct, plumb.mean_rating) == (1, None, None)
    unplaced = rows[("ELEC", None)]
    assert unplaced.response_on_time_pct == Decimal("0.0")  # past due, nobody accepted
    assert unplaced.resolution_on_time_pct is None and unplaced.escalations == 1
    assert running.id and lobby.id
    with pytest.raises(Invalid):
        reports.sla_report(
            session=session, actor=staff, first=date(2026, 3, 2), last=date(2026, 3, 1)
        )

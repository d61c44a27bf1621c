"""Every work-order service checks the actor's org and role: a tenant sees only its own jobs,
another org sees nothing, and each role does only what it is for."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from cloud.errors import Forbidden, NotFound
from cloud.identity.actor import Actor
from cloud.workorders import attachments, charges, handling, jobs, reports, service
from cloud.workorders.models import AttachmentKind, State, WorkOrder
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

MARCH = {"first": date(2026, 3, 1), "last": date(2026, 3, 31)}

Call = Callable[[Session, Actor, str], Any]

CALLS: dict[str, Call] = {
    "get": lambda s, a, code: service.get_order(session=s, actor=a, code=code),
    "update": lambda s, a, code: service.update_work_order(
        session=s, actor=a, code=code, data=WorkOrderUpdate(title="x")
    ),
    "assign": lambda s, a, code: service.assign(
        session=s, actor=a, code=code, assignee="acme-engineer"
    ),
    "suggest": lambda s, a, code: service.suggest_assignees(session=s, actor=a, code=code),
    "accept": lambda s, a, code: service.transition(
        session=s, actor=a, code=code, action=Action.accept
    ),
    "material": lambda s, a, code: handling.add_material(
        session=s,
        actor=a,
        code=code,
        data=MaterialCreate(item="x", quantity=Decimal(1), unit_price=Decimal(1)),
    ),
    "labour": lambda s, a, code: handling.add_labour(
        session=s, actor=a, code=code, data=LabourCreate(minutes=5)
    ),
    "photo": lambda s, a, code: handling.add_attachment(
        session=s,
        actor=a,
        code=code,
        kind=AttachmentKind.photo,
        upload=attachments.Upload("p", PNG),
    ),
    "signature": lambda s, a, code: handling.add_attachment(
        session=s,
        actor=a,
        code=code,
        kind=AttachmentKind.signature,
        upload=attachments.Upload("s", PNG),
    ),
    "rate": lambda s, a, code: service.rate(
        session=s, actor=a, code=code, data=RatingCreate(score=4)
    ),
}


@pytest.fixture
def assigned(session: Session, shop: Shop) -> WorkOrder:
    """Tenant TA's job on U-101, assigned to acme-engineer."""
    order = report(session, shop.actors["tenant"], at=local("2026-03-10 10:00"))
    return drive(session, shop.actors["staff"], order, [Action.assign])


@pytest.mark.parametrize("outsider", ["other_admin", "other_engineer", "other_tenant", "tenant_b"])
def test_a_job_is_not_found_outside_its_org_and_tenant(
    session: Session, shop: Shop, assigned: WorkOrder, outsider: str
) -> None:
    actor = shop.actors[outsider]
    refused_by_role = _ROLE_REFUSALS[outsider.removeprefix("other_")]
    for call in sorted(CALLS):
        # A role refused outright learns nothing either; any other call finds no such job.
        expected = Forbidden if call in refused_by_role else NotFound
        with pytest.raises(expected):
            CALLS[call](session, actor, assigned.code)


# Per role, the calls refused as Forbidden on a job the actor can see.
_ROLE_REFUSALS: dict[str, set[str]] = {
    "finance": set(CALLS) - {"get"},
    "engineer": {"update", "assign", "suggest", "rate"},
    "tenant": {"update", "assign", "suggest", "accept", "material", "labour", "signature"},
    "tenant_b": {"update", "assign", "suggest", "accept", "material", "labour", "signature"},
    "admin": {"rate"},
    "staff": {"rate"},
}


@pytest.mark.parametrize("role", ["finance", "engineer", "tenant", "admin", "staff"])
def test_each_role_does_only_its_part(
    session: Session, shop: Shop, assigned: WorkOrder, role: str
) -> None:
    actor = shop.actors[role]
    for call in sorted(CALLS):
        if call in _ROLE_REFUSALS[role]:
            with pytest.raises(Forbidden):
                CALLS[call](session, actor, assigned.code)
        elif call != "rate":  # rating needs a done job: test_service covers it
            CALLS[call](session, actor, assigned.code)
        if assigned.state == State.accepted:  # keep `accept` possible for the next role
            drive(session, shop.actors["staff"], assigned, [Action.assign])


def test_lists_reports_and_charges_stay_in_the_org(session: Session, shop: Shop) -> None:
    ours = report(session, shop.actors["tenant"], at=local("2026-03-10 10:00"))
    theirs = report(session, shop.actors["other_tenant"], at=local("2026-03-10 10:00"))
    assert ours.code == theirs.code  # codes are unique per org only
    theirs_b = report(session, shop.actors["tenant_b"], unit="U-102")
    staff, tenant = shop.actors["staff"], shop.actors["tenant"]
    assert [o.id for o in service.list_orders(session=session, actor=staff)] == [
        theirs_b.id,
        ours.id,
    ]
    assert [o.id for o in service.list_orders(session=session, actor=tenant)] == [ours.id]
    assert service.get_order(session=session, actor=staff, code=ours.code).id == ours.id
    other = shop.actors["other_admin"]
    assert [o.id for o in service.list_orders(session=session, actor=other)] == [theirs.id]
    categories = service.list_categories(session=session, actor=other)
    assert {c.org_id for c in categories} == {other.org_id}
    figures = reports.sla_report(session=session, actor=other, **MARCH)
    assert [f.orders for f in figures] == [1]
    assert charges.list_charges(session=session, actor=other) == []
    for refused in ("tenant",):
        with pytest.raises(Forbidden):
            reports.sla_report(session=session, actor=shop.actors[refused], **MARCH)
        with pytest.raises(Forbidden):
            reports.list_escalations(session=session, actor=shop.actors[refused], **MARCH)
    with pytest.raises(Forbidden):
        charges.list_charges(session=session, actor=shop.actors["engineer"])
    with pytest.raises(Forbidden):
        service.create_work_order(
            session=session,
            actor=shop.actors["finance"],
            data=WorkOrderCreate(category_code="ELEC", location="lobby"),
        )


def test_alarms_and_escalations_keep_to_their_org(session: Session, shop: Shop) -> None:
    other_org = shop.actors["other_admin"].org_id
    ours = service.open_for_alarm(
        session=session,
        org_id=shop.world.org.id,
        alarm_key="door-forced:D-1",
        title="door",
        category_code="ELEC",
        at=local("2026-03-10 10:00"),
    )
    theirs = service.open_for_alarm(
        session=session,
        org_id=other_org,
        alarm_key="door-forced:D-1",
        title="door",
        category_code="ELEC",
        at=local("2026-03-10 10:00"),
    )
    assert ours.id != theirs.id and ours.alarm_count == theirs.alarm_count == 1
    made = jobs.escalate_overdue(session=session, now=local("2026-03-11 10:00"), org_id=other_org)
    assert {e.org_id for e in made} == {other_org}
    assert reports.list_escalations(session=session, actor=shop.actors["admin"], **MARCH) == []

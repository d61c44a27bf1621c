"""Visitors with QR codes, credentials kept hashed, permissions in the allow-list, and the
door log raising work orders for forced and held-open doors; both database backends."""

from datetime import datetime, time

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.access import jobs, service
from cloud.access.models import Credential, DoorEvent, Visitor
from cloud.access.schemas import CredentialCreate, DoorCreate, PermissionCreate, PersonCreate
from cloud.alarms.rules import install_default_rules
from cloud.errors import Invalid
from cloud.ingest.models import DeviceEvent
from cloud.parking.lists import current_list
from cloud.workorders.models import Category, Priority, SlaTarget, WorkOrder
from protocols.gate import DOOR_FORCED_OPEN, DOOR_GRANTED, SecretHash
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login
from tests.cloud.parking.conftest import local

API = "/api/v1/access"
VISIT = {
    "name": "李女士",
    "plate": "沪A88888",
    "valid_from": "2026-03-10T09:00:00+08:00",
    "valid_until": "2026-03-10T18:00:00+08:00",
}


async def test_a_tenant_books_a_visitor_and_gets_a_qr_code(
    client: AsyncClient, world: World, session: Session
) -> None:
    tenant, tenant_b = await login(client, "acme-tenant"), await login(client, "acme-tenant_b")
    booked = await client.post(f"{API}/visitors", json=VISIT, headers=tenant)
    assert booked.status_code == 201, booked.text
    visit = booked.json()
    assert visit["qr_svg"].startswith("<svg") and visit["tenant_code"] == "TA"
    assert (visit["plate"], visit["area"]) == ("沪A88888", "LOBBY")
    stored = session.scalar(select(Visitor).where(Visitor.code == visit["code"]))
    assert stored is not None
    # Only the hash is kept, and it is the hash of the code shown.
    assert visit["qr_text"] not in (stored.salt, stored.digest)
    hashed = SecretHash(iterations=stored.iterations, salt=stored.salt, digest=stored.digest)
    assert hashed.matches(visit["qr_text"]) and not hashed.matches(visit["qr_text"] + "x")

    listed = (await client.get(f"{API}/visitors", headers=tenant)).json()
    assert [v["code"] for v in listed] == [visit["code"]] and "qr_text" not in listed[0]
    assert (await client.get(f"{API}/visitors", headers=tenant_b)).json() == []
    other_org = await login(client, "other-staff")
    assert (await client.get(f"{API}/visitors", headers=other_org)).json() == []
    staff = await login(client, "acme-staff")
    assert [v["code"] for v in (await client.get(f"{API}/visitors", headers=staff)).json()] == [
        visit["code"]
    ]
    foreign = await client.post(
        f"{API}/visitors", json={**VISIT, "tenant_code": "TB"}, headers=tenant
    )
    assert foreign.status_code == 403
    backwards = {**VISIT, "valid_until": "2026-03-10T08:00:00+08:00"}
    bad = await client.post(f"{API}/visitors", json=backwards, headers=tenant)
    assert (bad.status_code, bad.json()["field"]) == (422, "valid_until")
    cancel = await client.post(f"{API}/visitors/{visit['code']}/cancellation", headers=tenant_b)
    assert cancel.status_code == 404


def test_credentials_are_hashed_and_listed_per_permitted_area(
    session: Session, world: World
) -> None:
    staff = world.actors["staff"]
    person = service.add_person(
        session=session,
        actor=staff,
        data=PersonCreate(site_code="site1", name="张三", tenant_code="TA"),
    )
    pin = service.issue_credential(
        session=session,
        actor=staff,
        person_id=person.id,
        data=CredentialCreate(kind="pin", secret="482913"),
    )
    card = service.issue_credential(
        session=session,
        actor=staff,
        person_id=person.id,
        data=CredentialCreate(kind="card", identifier="04A1B2C3"),
    )
    with pytest.raises(Invalid, match="secret"):
        service.issue_credential(
            session=session,
            actor=staff,
            person_id=person.id,
            data=CredentialCreate(kind="qr", identifier="plain"),
        )
    row = session.get(Credential, pin.id)
    assert row is not None and row.identifier is None and "482913" not in (row.digest or "")
    for area, hours in (("LOBBY", None), ("F12", (time(8), time(20)))):
        start, end = hours or (None, None)
        service.grant(
            session=session,
            actor=staff,
            person_id=person.id,
            data=PermissionCreate(area=area, days="12345", start=start, end=end),
        )
    allow_list, _ = current_list(session=session, site=world.site, at=local("2026-03-10 08:00"))
    listed = {(c.ref, c.areas[0]): c for c in allow_list.credentials}
    assert set(listed) == {
        (f"credential:{pin.id}", "LOBBY"),
        (f"credential:{pin.id}", "F12"),
        (f"credential:{card.id}", "LOBBY"),
        (f"credential:{card.id}", "F12"),
    }
    pin_f12 = listed[(f"credential:{pin.id}", "F12")]
    assert pin_f12.secret_hash is not None and pin_f12.secret_hash.matches("482913")
    assert [(w.days, w.start, w.end) for w in pin_f12.windows] == [
        ([1, 2, 3, 4, 5], time(8), time(20))
    ]
    assert listed[(f"credential:{card.id}", "LOBBY")].identifier == "04A1B2C3"
    service.revoke_credential(session=session, actor=staff, credential_id=card.id)
    again, _ = current_list(session=session, site=world.site, at=local("2026-03-10 08:00"))
    assert {c.ref for c in again.credentials} == {f"credential:{pin.id}"}


def _door_event(world: World, event: str, at: datetime, **data: object) -> DeviceEvent:
    return DeviceEvent(agent_id=world.agent.id, ts=at, event=event, data=data)


def test_forced_doors_open_one_work_order_and_everything_is_logged(
    session: Session, world: World
) -> None:
    admin = world.actors["admin"]
    service.create_door(
        session=session,
        actor=admin,
        data=DoorCreate(site_code="site1", code="D-A1", name="A座大堂", area="LOBBY"),
    )
    category = Category(org_id=world.org.id, code="ACCESS", name="门禁", labour_rate=80)
    session.add(category)
    install_default_rules(session=session, org_id=world.org.id)
    session.add_all(
        SlaTarget(
            org_id=world.org.id,
            category_id=category.id,
            priority=priority,
            response_minutes=15,
            resolution_minutes=240,
        )
        for priority in (Priority.urgent, Priority.high)
    )
    session.add_all(
        [
            _door_event(
                world,
                DOOR_GRANTED,
                local("2026-03-10 09:00"),
                door="D-A1",
                credential_kind="card",
                credential_ref="credential:1",
            ),
            _door_event(world, DOOR_FORCED_OPEN, local("2026-03-10 22:00"), door="D-A1"),
            _door_event(world, DOOR_FORCED_OPEN, local("2026-03-10 22:05"), door="D-A1"),
        ]
    )
    session.flush()
    assert jobs.take_door_events(session=session) == 3
    assert jobs.take_door_events(session=session) == 0
    log = service.door_log(session=session, actor=world.actors["staff"])
    assert [e.event for e in log] == [DOOR_FORCED_OPEN, DOOR_FORCED_OPEN, DOOR_GRANTED]
    [order] = session.scalars(select(WorkOrder).where(WorkOrder.org_id == world.org.id)).all()
    assert (order.alarm_count, order.priority) == (2, "urgent")
    assert "D-A1" in order.title and "A座大堂" in order.description
    assert {e.work_order_id for e in log if e.event == DOOR_FORCED_OPEN} == {order.id}
    granted = session.scalar(select(DoorEvent).where(DoorEvent.event == DOOR_GRANTED))
    assert granted is not None and granted.credential_ref == "credential:1"

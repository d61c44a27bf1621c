"""Notices reach the tenants of the places they are for, in `/m` and in the bell."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Forbidden, Invalid, NotFound
from cloud.identity.actor import Actor
from cloud.identity.models import User
from cloud.notifications.models import OutboxMessage
from cloud.properties.models import Building
from cloud.tenant_services import notices
from cloud.tenant_services.models import Audience
from cloud.tenant_services.schemas import NoticeCreate
from tests.cloud.factories import World


def _publish(session: Session, world: World, **where: str | Audience) -> int:
    data = NoticeCreate(title="停水通知", body="周六 9:00–12:00 停水。", **where)
    return notices.publish(session=session, actor=world.actors["staff"], data=data).id


def test_a_building_notice_reaches_its_tenants_only(session: Session, world: World) -> None:
    empty = Building(org_id=world.org.id, site_id=world.site.id, code="B", name="B")
    session.add(empty)
    session.flush()
    to_a = _publish(session, world, audience=Audience.building, building_code="A")
    to_b = _publish(session, world, audience=Audience.building, building_code="B")
    tenant = world.actors["tenant"]
    seen = [n.id for n in notices.list_notices(session=session, actor=tenant)]
    assert seen == [to_a]
    told = session.scalars(
        select(OutboxMessage.user_id).where(OutboxMessage.template == "notice.published")
    ).all()
    assert sorted(told) == sorted([tenant.user_id, world.actors["tenant_b"].user_id])
    staff_view = notices.list_notices(session=session, actor=world.actors["engineer"])
    assert {n.id for n in staff_view} == {to_a, to_b}


def test_a_tenant_marks_a_notice_read(session: Session, world: World) -> None:
    notice_id = _publish(session, world)
    tenant = world.actors["tenant"]
    [before] = notices.list_notices(session=session, actor=tenant)
    assert before.read is False
    notices.mark_read(session=session, actor=tenant, notice_id=notice_id)
    notices.mark_read(session=session, actor=tenant, notice_id=notice_id)  # again: harmless
    [after] = notices.list_notices(session=session, actor=tenant)
    assert after.read is True
    assert notices.readers(session=session, actor=world.actors["admin"], notice_id=notice_id) == [
        "Tenant"
    ]


def test_notices_stay_in_their_org(session: Session, world: World) -> None:
    notice_id = _publish(session, world, audience=Audience.site, site_code="site1")
    outsider = session.scalar(select(User).where(User.username == "other-tenant"))
    assert outsider is not None
    other = Actor.of(outsider)
    assert notices.list_notices(session=session, actor=other) == []
    with pytest.raises(NotFound):
        notices.mark_read(session=session, actor=other, notice_id=notice_id)


@pytest.mark.parametrize("key", ["tenant", "engineer", "finance"])
def test_only_staff_publish(session: Session, world: World, key: str) -> None:
    with pytest.raises(Forbidden):
        notices.publish(
            session=session, actor=world.actors[key], data=NoticeCreate(title="x", body="y")
        )


def test_a_building_notice_names_its_building(session: Session, world: World) -> None:
    with pytest.raises(Invalid) as refused:
        _publish(session, world, audience=Audience.building, building_code="ZZ")
    assert refused.value.field == "building_code"

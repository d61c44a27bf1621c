"""Each user sees and marks only their own notices; only staff and admins read the outbox."""

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Forbidden, NotFound
from cloud.identity.actor import Actor
from cloud.identity.models import User
from cloud.notifications import jobs, service
from tests.cloud.factories import PASSWORD, World


def _hello_to(session: Session, world: World, key: str) -> None:
    service.notify(
        session=session,
        org_id=world.org.id,
        recipients=service.users(world.actors[key].user_id),
        template="test.hello",
        params={"name": key},
    )
    jobs.deliver_due(session=session, providers={})


def test_a_user_sees_only_their_own_inbox(session: Session, world: World) -> None:
    _hello_to(session, world, "engineer")
    [item] = service.inbox(session=session, actor=world.actors["engineer"])
    for key in ("staff", "tenant", "admin"):
        assert service.inbox(session=session, actor=world.actors[key]) == []
        with pytest.raises(NotFound):
            service.mark_read(session=session, actor=world.actors[key], item_id=item.id)
    assert service.unread_count(session=session, actor=world.actors["engineer"]) == 1


@pytest.mark.parametrize("key", ["engineer", "finance", "tenant"])
def test_only_staff_and_admins_read_the_outbox(session: Session, world: World, key: str) -> None:
    with pytest.raises(Forbidden):
        service.list_outbox(session=session, actor=world.actors[key])


def test_the_outbox_is_the_orgs_own(session: Session, world: World) -> None:
    _hello_to(session, world, "engineer")
    assert len(service.list_outbox(session=session, actor=world.actors["admin"])) == 1
    outsider = session.scalar(select(User).where(User.username == "other-admin"))
    assert outsider is not None
    assert service.list_outbox(session=session, actor=Actor.of(outsider)) == []


async def _login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_inbox_and_contact_over_rest(
    client: httpx.AsyncClient, session: Session, world: World
) -> None:
    _hello_to(session, world, "engineer")
    session.commit()
    headers = await _login(client, world.username("engineer"))
    inbox = (await client.get("/api/v1/me/inbox", headers=headers)).json()
    assert inbox["unread"] == 1 and inbox["items"][0]["subject"] == "你好 engineer"
    item_id = inbox["items"][0]["id"]
    tenant = await _login(client, world.username("tenant"))
    read = f"/api/v1/me/inbox/{item_id}/read"
    assert (await client.post(read, headers=tenant)).status_code == 404
    assert (await client.post(read, headers=headers)).json() == 1
    put = await client.put(
        "/api/v1/me/contact", headers=headers, json={"language": "en", "email": "e@x.cn"}
    )
    assert put.status_code == 200 and put.json()["language"] == "en"
    bad = await client.put("/api/v1/me/contact", headers=headers, json={"language": "fr"})
    assert bad.status_code == 422
    assert (await client.get("/api/v1/notifications/outbox", headers=tenant)).status_code == 403

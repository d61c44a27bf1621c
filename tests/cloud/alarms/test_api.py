"""Alarms over REST, and who may see and handle them."""

from datetime import UTC, datetime

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.alarms import service
from cloud.alarms.models import Alarm, AlarmRule
from cloud.errors import Forbidden, NotFound
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login

API = "/api/v1"


def _raise(session: Session, rule: AlarmRule, subject: str = "M-PUB") -> Alarm:
    alarm = service.raise_alarm(
        session=session, rule=rule, subject=subject, message="forced", at=datetime.now(UTC)
    )
    session.commit()
    return alarm


async def test_list_acknowledge_and_clear(
    client: AsyncClient, session: Session, world: World, rules: dict[str, AlarmRule]
) -> None:
    alarm = _raise(session, rules["door-gate"])
    engineer, staff = await login(client, "acme-engineer"), await login(client, "acme-staff")
    listed = (await client.get(f"{API}/alarms", headers=staff)).json()
    assert [(a["id"], a["state"], a["rule_code"]) for a in listed] == [
        (alarm.id, "raised", "door-gate")
    ]
    denied = await client.post(f"{API}/alarms/{alarm.id}/acknowledge", json={}, headers=staff)
    assert denied.status_code == 403
    acked = await client.post(
        f"{API}/alarms/{alarm.id}/acknowledge", json={"note": "looking"}, headers=engineer
    )
    assert acked.json()["state"] == "acknowledged" and acked.json()["ack_note"] == "looking"
    again = await client.post(f"{API}/alarms/{alarm.id}/acknowledge", json={}, headers=engineer)
    assert again.status_code == 409
    cleared = await client.post(
        f"{API}/alarms/{alarm.id}/clear", json={"note": "reset"}, headers=engineer
    )
    assert cleared.json()["state"] == "cleared"
    assert (await client.get(f"{API}/alarms", headers=staff)).json() == []
    history = await client.get(f"{API}/alarms", params={"state": "cleared"}, headers=staff)
    assert [a["clear_note"] for a in history.json()] == ["reset"]
    rules_read = (await client.get(f"{API}/alarms/rules", headers=staff)).json()
    assert {r["code"] for r in rules_read} == set(rules)


async def test_tenants_see_no_alarms(
    client: AsyncClient, world: World, rules: dict[str, AlarmRule]
) -> None:
    tenant = await login(client, "acme-tenant")
    assert (await client.get(f"{API}/alarms", headers=tenant)).status_code == 403


def test_an_org_sees_only_its_own_alarms(
    session: Session, world: World, rules: dict[str, AlarmRule]
) -> None:
    theirs_rule = session.scalars(
        select(AlarmRule).where(AlarmRule.code == "door-gate", AlarmRule.org_id != world.org.id)
    ).one()
    theirs = _raise(session, theirs_rule, "M-PUB")
    ours = _raise(session, rules["door-gate"], "M-PUB")
    admin = world.actors["admin"]
    assert [a.id for a in service.list_alarms(session=session, actor=admin)] == [ours.id]
    with pytest.raises(NotFound):
        service.clear(session=session, actor=admin, alarm_id=theirs.id)
    finance = world.actors["finance"]
    with pytest.raises(Forbidden):
        service.list_alarms(session=session, actor=finance)


async def test_admins_tune_rules_with_checked_parameters(
    client: AsyncClient, world: World, rules: dict[str, AlarmRule]
) -> None:
    admin, engineer = await login(client, "acme-admin"), await login(client, "acme-engineer")
    url = f"{API}/alarms/rules/meter-offline"
    changed = await client.patch(
        url, json={"params": {"minutes": 30}, "work_order_category": None}, headers=admin
    )
    assert changed.status_code == 200
    assert (changed.json()["params"], changed.json()["work_order_category"]) == (
        {"minutes": 30},
        None,
    )
    bad = await client.patch(url, json={"params": {"minutes": "soon"}}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "params.minutes"
    off = await client.patch(url, json={"enabled": False}, headers=admin)
    assert off.json()["enabled"] is False and off.json()["params"] == {"minutes": 30}
    assert (await client.patch(url, json={"enabled": True}, headers=engineer)).status_code == 403
    missing = await client.patch(f"{API}/alarms/rules/nope", json={}, headers=admin)
    assert missing.status_code == 404

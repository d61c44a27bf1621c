"""Config drift, meters' last values, and who may see the registry."""

from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.orm import Session

from cloud.devices import service
from cloud.errors import Forbidden, NotFound
from protocols.messages import Status
from tests.cloud.factories import World, add_readings
from tests.cloud.identity.test_api import login

API = "/api/v1/devices"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _birth(session: Session, config_hash: str) -> None:
    status = Status(site="site1", agent="agent1", online=True, boot=3, config_hash=config_hash)
    assert service.record_status(session=session, status=status, received_at=NOW)


def test_drift_is_a_reported_hash_other_than_the_expected(session: Session, world: World) -> None:
    admin = world.actors["admin"]
    _birth(session, "aaa")
    assert not service.get_agent(
        session=session, actor=admin, code="agent1"
    ).drift  # no expectation
    view = service.set_expected_config(
        session=session, actor=admin, code="agent1", config_hash="bbb"
    )
    assert view.drift and [
        v.agent.code for v in service.drifting_agents(session=session, actor=admin)
    ] == ["agent1"]
    _birth(session, "bbb")  # the agent got the new config
    assert not service.get_agent(session=session, actor=admin, code="agent1").drift
    with pytest.raises(Forbidden):
        service.set_expected_config(
            session=session, actor=world.actors["engineer"], code="agent1", config_hash="x"
        )
    with pytest.raises(NotFound):
        service.set_expected_config(session=session, actor=admin, code="agent2", config_hash="x")


def test_meters_carry_their_newest_value_of_every_metric(session: Session, world: World) -> None:
    add_readings(
        session, world.meters["M-101"], [(NOW - timedelta(minutes=m), 100.0 - m) for m in (1, 5, 9)]
    )
    add_readings(
        session, world.meters["M-101"], [(NOW - timedelta(minutes=3), 230.5)], metric="voltage"
    )
    meters = {
        v.meter.code: v for v in service.list_meters(session=session, actor=world.actors["staff"])
    }
    assert set(meters) == {"M-101", "M-102", "M-PUB"}  # only acme's
    assert meters["M-101"].last_values == {
        "energy_import": (NOW - timedelta(minutes=1), 99.0),
        "voltage": (NOW - timedelta(minutes=3), 230.5),
    }
    assert meters["M-102"].last_values == {}


async def test_registry_over_rest(client: AsyncClient, session: Session, world: World) -> None:
    _birth(session, "aaa")
    session.commit()
    admin, tenant = await login(client, "acme-admin"), await login(client, "acme-tenant")
    put = await client.put(
        f"{API}/agents/agent1/expected-config", json={"config_hash": "zzz"}, headers=admin
    )
    assert put.status_code == 200 and put.json()["drift"] is True
    [agent] = (await client.get(f"{API}/agents", headers=admin)).json()
    assert (agent["code"], agent["online"], agent["boot"], agent["config_hash"]) == (
        "agent1",
        True,
        3,
        "aaa",
    )
    meters = (await client.get(f"{API}/meters", headers=admin)).json()
    assert [m["code"] for m in meters] == ["M-101", "M-102", "M-PUB"]
    assert (await client.get(f"{API}/agents", headers=tenant)).status_code == 403

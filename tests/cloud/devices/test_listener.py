"""Births and wills over a real Mosquitto flip an agent online and offline."""

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session, sessionmaker

from cloud.devices import service
from cloud.devices.listener import run_status_listener
from cloud.devices.models import AgentState
from cloud.ingest.models import EdgeAgent
from cloud.settings import Settings
from protocols import topics
from protocols.messages import Status
from protocols.mqtt_url import parse_broker_url
from tests.cloud.factories import World, make_world


@pytest.fixture
def own_world(sessions: sessionmaker[Session], unique_code: str) -> World:
    """An org whose site and agent codes no other test on the shared broker uses."""
    with sessions.begin() as session:
        world = make_world(
            session, org_code=unique_code, site_code=f"s{unique_code}", agent_code=unique_code
        )
        session.expunge_all()
    return world


def _status(world: World, *, online: bool) -> bytes:
    status = Status(
        site=world.site.code,
        agent=world.agent.code,
        online=online,
        boot=7 if online else None,
        versions={"parkops": "0.1.0"},
        config_hash="cafe01" if online else None,
        ts=datetime.now(UTC),
    )
    return status.model_dump_json().encode()


@pytest.fixture
def edge(mosquitto_url: str, own_world: World) -> Iterator[mqtt.Client]:
    """A client that behaves as an agent: its will says offline; the retained status is
    cleared afterwards so nothing is left on the broker."""
    broker = parse_broker_url(mosquitto_url)
    topic = topics.status(own_world.site.code, own_world.agent.code)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"edge-{own_world.agent.code}")
    client.will_set(topic, _status(own_world, online=False), qos=1, retain=True)
    client.connect(broker.host, broker.port)
    client.loop_start()
    yield client
    client.loop_stop()
    cleaner = mqtt.Client(CallbackAPIVersion.VERSION2)
    cleaner.connect(broker.host, broker.port)
    cleaner.loop_start()
    cleaner.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    cleaner.disconnect()
    cleaner.loop_stop()


async def _until(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await asyncio.to_thread(check):
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


def _agent(sessions: sessionmaker[Session], agent_id: int) -> tuple[bool, AgentState | None]:
    with sessions() as session:
        agent = session.get(EdgeAgent, agent_id)
        assert agent is not None
        return agent.online, session.get(AgentState, agent_id)


async def test_birth_then_will_flip_the_agent(
    sessions: sessionmaker[Session], mosquitto_url: str, own_world: World, edge: mqtt.Client
) -> None:
    settings = Settings(mqtt_url=mosquitto_url)
    stop, ready = asyncio.Event(), asyncio.Event()
    listener = asyncio.create_task(
        run_status_listener(settings=settings, sessions=sessions, stop=stop, ready=ready)
    )
    try:
        await asyncio.wait_for(ready.wait(), 10)
        topic = topics.status(own_world.site.code, own_world.agent.code)
        edge.publish(topic, _status(own_world, online=True), qos=1, retain=True)
        await _until(lambda: _agent(sessions, own_world.agent.id)[0])
        online, state = _agent(sessions, own_world.agent.id)
        assert state is not None and state.boot == 7 and state.versions == {"parkops": "0.1.0"}

        link = edge.socket()
        assert link is not None
        link.close()  # gone without DISCONNECT: the broker publishes the will
        await _until(lambda: not _agent(sessions, own_world.agent.id)[0])
    finally:
        stop.set()
        await asyncio.wait_for(listener, 10)
    with sessions() as session:
        [view] = service.list_agents(session=session, actor=own_world.actors["engineer"])
        assert not view.agent.online and view.agent.config_hash == "cafe01"
        assert view.state is not None and view.state.changed_at is not None


def test_a_status_of_an_unknown_agent_is_not_taken(session: Session, world: World) -> None:
    status = Status(site="nowhere", agent="nobody", online=True)
    assert not service.record_status(session=session, status=status, received_at=datetime.now(UTC))

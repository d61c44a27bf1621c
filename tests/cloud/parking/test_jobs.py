"""The parking jobs loop against real Mosquitto: a gate event becomes a session and the site's
allow-list is published retained, then the loop stops on request; a broker restarted without
persistence gets the list again."""

import asyncio
from datetime import UTC, datetime

import aiomqtt
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.identity.models import Org
from cloud.ingest.models import DeviceEvent, EdgeAgent
from cloud.parking.jobs import run_parking
from cloud.parking.models import ParkingSession, SessionState
from cloud.properties.models import Site
from cloud.settings import Settings
from protocols import topics
from protocols.gate import AllowList, GatePassageData
from protocols.mqtt_url import parse_broker_url
from tests.conftest import free_tcp_port
from tests.reliability.test_restarts import Mosquitto


def _site_with_agent(session: Session, code: str) -> tuple[Site, EdgeAgent]:
    org = Org(code=code, name="Lot org")
    session.add(org)
    session.flush()
    site = Site(org_id=org.id, code=code, name="Lot")
    session.add(site)
    session.flush()
    agent = EdgeAgent(org_id=org.id, site_id=site.id, code=f"{code}a")
    session.add(agent)
    session.flush()
    return site, agent


async def test_the_loop_takes_events_and_publishes_lists(
    session: Session,
    sessions: sessionmaker[Session],
    database_url: str,
    mosquitto_url: str,
    unique_code: str,
) -> None:
    site, agent = _site_with_agent(session, unique_code)
    passage = GatePassageData(
        gate="IN-1", direction="entry", plate="京A12345", opened=True, basis="temporary"
    )
    session.add(
        DeviceEvent(
            agent_id=agent.id,
            ts=datetime.now(UTC),
            event="gate_entry",
            data=passage.model_dump(mode="json"),
        )
    )
    session.commit()
    settings = Settings(database_url=database_url, mqtt_url=mosquitto_url)
    broker = parse_broker_url(mosquitto_url)
    topic = topics.lists(unique_code, f"{unique_code}a")
    stop = asyncio.Event()
    async with aiomqtt.Client(broker.host, broker.port) as edge:
        await edge.subscribe(topic, qos=1)
        loop = asyncio.create_task(run_parking(settings=settings, sessions=sessions, stop=stop))
        try:
            async with asyncio.timeout(10):
                message = await anext(edge.messages)
        finally:
            stop.set()
            async with asyncio.timeout(10):
                await loop
        await edge.publish(topic, b"", retain=True)  # leave the broker clean
    received = AllowList.model_validate_json(bytes(message.payload))
    assert (received.site, received.version) == (unique_code, 1)
    with sessions() as check:
        parked = check.scalars(select(ParkingSession).where(ParkingSession.site_id == site.id))
        assert [(p.plate, p.state) for p in parked] == [("京A12345", SessionState.open)]


async def _retained_list(broker_url: str, topic: str) -> AllowList:
    """What a newly connecting agent gets on its `down/lists`: only a retained message."""
    broker = parse_broker_url(broker_url)
    async with aiomqtt.Client(broker.host, broker.port) as edge:
        await edge.subscribe(topic, qos=1)
        async with asyncio.timeout(20):
            message = await anext(edge.messages)
    return AllowList.model_validate_json(bytes(message.payload))


async def test_a_broker_that_restarted_empty_gets_the_lists_again(
    session: Session, sessions: sessionmaker[Session], database_url: str, unique_code: str
) -> None:
    _site_with_agent(session, unique_code)
    session.commit()
    broker = Mosquitto(free_tcp_port())  # no persistence: a restart forgets retained messages
    broker.start()
    await broker.listening()
    topic = topics.lists(unique_code, f"{unique_code}a")
    settings = Settings(database_url=database_url, mqtt_url=broker.url)
    stop = asyncio.Event()
    loop = asyncio.create_task(run_parking(settings=settings, sessions=sessions, stop=stop))
    try:
        assert (await _retained_list(broker.url, topic)).version == 1
        broker.kill()
        broker.start()
        await broker.listening()
        # Not a new version: nothing changed but the broker.
        assert (await _retained_list(broker.url, topic)).version == 1
    finally:
        stop.set()
        async with asyncio.timeout(15):
            await loop
        broker.kill()

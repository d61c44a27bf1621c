"""The ingest worker against a real broker (Mosquitto) and PostgreSQL."""

import asyncio
import logging
from collections.abc import Callable, Iterator

import aiomqtt
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.engine import make_sessionmaker
from cloud.energy.models import Reading
from cloud.ingest.consumer import run_ingest
from cloud.ingest.models import DeadLetter
from cloud.settings import Settings
from protocols import topics
from protocols.messages import Ack
from protocols.mqtt_url import parse_broker_url
from tests.cloud.conftest import empty_tables
from tests.cloud.factories import make_world
from tests.cloud.ingest.batches import batch
from tests.conftest import free_tcp_port


@pytest.fixture
def pg_sessions(
    migrated_postgresql: str, engine_for: Callable[[str], Engine]
) -> Iterator[sessionmaker[Session]]:
    engine = engine_for(migrated_postgresql)
    yield make_sessionmaker(engine)
    empty_tables(engine)


def _dead_letters(sessions: sessionmaker[Session], site: str) -> list[bytes]:
    with sessions() as session:
        topic = topics.data(site, f"{site}-a")
        return list(session.scalars(select(DeadLetter.payload).where(DeadLetter.topic == topic)))


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_the_ack_comes_after_the_rows_are_committed(
    pg_sessions: sessionmaker[Session],
    migrated_postgresql: str,
    mosquitto_url: str,
    unique_code: str,
    protocol: str,
) -> None:
    site, agent = unique_code, f"{unique_code}-a"
    with pg_sessions.begin() as session:
        make_world(session, org_code=unique_code, site_code=site, agent_code=agent)
    settings = Settings(
        database_url=migrated_postgresql, mqtt_url=mosquitto_url, mqtt_protocol=protocol
    )
    stop, ready = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(
        run_ingest(settings=settings, sessions=pg_sessions, stop=stop, ready=ready)
    )
    try:
        await asyncio.wait_for(ready.wait(), 10)
        broker = parse_broker_url(mosquitto_url)
        async with aiomqtt.Client(
            broker.host, broker.port, identifier=f"{unique_code}-edge"
        ) as edge:
            await edge.subscribe(topics.ack(site, agent), qos=1)
            await edge.publish(topics.data(site, agent), b"{broken", qos=1)  # no ack for it
            payload = batch(range(1, 4), site=site, agent=agent).model_dump_json()
            await edge.publish(topics.data(site, agent), payload.encode(), qos=1)
            async with asyncio.timeout(10):
                message = await anext(edge.messages)
            rows = await asyncio.to_thread(_count, pg_sessions, Reading)
        assert message.topic.value == topics.ack(site, agent)
        assert isinstance(message.payload, bytes)
        assert Ack.model_validate_json(message.payload) == Ack(boot=1, seq=3)
        assert rows == 6  # committed by the time the ack arrived
        # others' retained status messages on the shared broker land here too: skip them
        assert await asyncio.to_thread(_dead_letters, pg_sessions, site) == [b"{broken"]
    finally:
        stop.set()
        await asyncio.wait_for(worker, 10)


async def test_without_a_broker_it_retries_quietly_and_stops_on_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(mqtt_url=f"mqtt://127.0.0.1:{free_tcp_port()}")
    stop, ready = asyncio.Event(), asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="cloud.ingest.consumer"):
        worker = asyncio.create_task(
            run_ingest(settings=settings, sessions=sessionmaker(), stop=stop, ready=ready)
        )
        await asyncio.sleep(1.2)  # two attempts: at once, and 0.5 s later
        stop.set()
        await asyncio.wait_for(worker, 5)
    assert not ready.is_set()
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 1


FAIL_AT_COMMIT = """
CREATE FUNCTION parkops_test_refuse() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
CREATE CONSTRAINT TRIGGER parkops_test_refuse_at_commit AFTER INSERT ON readings
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION parkops_test_refuse();
"""
ALLOW_COMMIT = """
DROP TRIGGER IF EXISTS parkops_test_refuse_at_commit ON readings;
DROP FUNCTION IF EXISTS parkops_test_refuse();
"""


async def test_a_batch_whose_commit_fails_is_not_acked_and_its_resend_is(
    pg_sessions: sessionmaker[Session],
    migrated_postgresql: str,
    mosquitto_url: str,
    unique_code: str,
) -> None:
    """Every write succeeds but COMMIT itself fails (a deferred trigger): an ack published
    before the commit would make the agent delete records the database never kept."""
    site, agent = unique_code, f"{unique_code}-a"
    with pg_sessions.begin() as session:
        make_world(session, org_code=unique_code, site_code=site, agent_code=agent)
    settings = Settings(database_url=migrated_postgresql, mqtt_url=mosquitto_url)
    engine = pg_sessions.kw["bind"]
    stop, ready = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(
        run_ingest(settings=settings, sessions=pg_sessions, stop=stop, ready=ready)
    )
    payload = batch(range(1, 4), site=site, agent=agent).model_dump_json().encode()
    try:
        await asyncio.wait_for(ready.wait(), 10)
        broker = parse_broker_url(mosquitto_url)
        async with aiomqtt.Client(broker.host, broker.port, identifier=f"{site}-edge") as edge:
            await edge.subscribe(topics.ack(site, agent), qos=1)
            with engine.begin() as conn:
                conn.exec_driver_sql(FAIL_AT_COMMIT)
            try:
                await edge.publish(topics.data(site, agent), payload, qos=1)
                with pytest.raises(TimeoutError):
                    async with asyncio.timeout(2):
                        await anext(edge.messages)
            finally:
                with engine.begin() as conn:
                    conn.exec_driver_sql(ALLOW_COMMIT)
            assert await asyncio.to_thread(_count, pg_sessions, Reading) == 0
            await edge.publish(topics.data(site, agent), payload, qos=1)  # the agent resends
            async with asyncio.timeout(10):
                message = await anext(edge.messages)
        assert isinstance(message.payload, bytes)
        assert Ack.model_validate_json(message.payload) == Ack(boot=1, seq=3)
        assert await asyncio.to_thread(_count, pg_sessions, Reading) == 6
    finally:
        stop.set()
        await asyncio.wait_for(worker, 10)

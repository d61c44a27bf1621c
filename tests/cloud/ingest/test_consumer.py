"""The ingest worker against a real broker (Mosquitto, and amqtt as in the demo) and PostgreSQL
or SQLite."""

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiomqtt
import psycopg
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.engine import make_engine, make_sessionmaker
from cloud.db.migrate import upgrade
from cloud.energy.models import Reading
from cloud.ingest.checks import Uplink, check_uplink
from cloud.ingest.consumer import Batching, _next_batch, run_ingest, subscription
from cloud.ingest.models import DeadLetter
from cloud.settings import Settings
from parkops.broker import embedded_broker
from protocols import topics
from protocols.messages import Ack
from protocols.mqtt_url import parse_broker_url
from tests.cloud.conftest import empty_tables
from tests.cloud.factories import World, make_world
from tests.cloud.ingest.batches import batch, recently
from tests.cloud.ingest.streams import (
    StreamingAgent,
    assert_stored_exactly_once,
    private_mosquitto,
)
from tests.conftest import free_tcp_port
from tests.support import eventually

DATA = topics.data("site1", "agent1")
NOW = datetime.now(UTC)


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


def _dead_letters_on(sessions: sessionmaker[Session], topic: str) -> list[DeadLetter]:
    with sessions() as session:
        return list(session.scalars(select(DeadLetter).where(DeadLetter.topic == topic)))


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
            payload = batch(range(1, 4), site=site, agent=agent, t0=recently()).model_dump_json()
            await edge.publish(topics.data(site, agent), payload.encode(), qos=1)
            async with asyncio.timeout(10):
                message = await anext(edge.messages)
            rows = await asyncio.to_thread(_count, pg_sessions, Reading)
        assert message.topic.value == topics.ack(site, agent)
        assert isinstance(message.payload, bytes)
        assert Ack.model_validate_json(message.payload) == Ack(boot=1, seq=3)
        assert rows == 6  # committed by the time the ack arrived
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
    payload = batch(range(1, 4), site=site, agent=agent, t0=recently()).model_dump_json().encode()
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
            # Refused for no fault of the input, it is kept, and the agent still holds it.
            [letter] = await asyncio.to_thread(
                _dead_letters_on, pg_sessions, topics.data(site, agent)
            )
            assert (letter.cause, letter.payload) == ("refused", payload)
            assert "refused at commit" in letter.reason
            await edge.publish(topics.data(site, agent), payload, qos=1)  # the agent resends
            async with asyncio.timeout(10):
                message = await anext(edge.messages)
        assert isinstance(message.payload, bytes)
        assert Ack.model_validate_json(message.payload) == Ack(boot=1, seq=3)
        assert await asyncio.to_thread(_count, pg_sessions, Reading) == 6
    finally:
        stop.set()
        await asyncio.wait_for(worker, 10)


def test_a_lone_worker_subscribes_plainly_and_several_share() -> None:
    # Data only: status is the device registry's, on a plain subscription of its own.
    assert subscription(shared=False) == "parkops/v1/+/+/up/data"
    assert subscription(shared=True) == "$share/ingest/parkops/v1/+/+/up/data"
    with pytest.raises(ValueError, match="share group"):
        topics.shared_uplink_filter("a/b")


class CountingSessions(sessionmaker[Session]):
    """Sessions of one worker, counting the transactions it began and the messages it wrote."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, expire_on_commit=False)
        self.transactions = 0
        self.messages = 0

    def begin(self) -> Any:
        self.transactions += 1
        return super().begin()


@pytest.fixture
def counting_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every write of a worker with CountingSessions counts its messages."""
    from cloud.ingest import consumer

    write = consumer._write

    def counted(sessions: sessionmaker[Session], uplinks: Sequence[Uplink]) -> list[Any]:
        outcomes = write(sessions, uplinks)
        if isinstance(sessions, CountingSessions):
            sessions.messages += len(uplinks)
        return outcomes

    monkeypatch.setattr(consumer, "_write", counted)


@pytest.fixture
def private_mosquitto_url() -> Iterator[str]:
    with private_mosquitto() as broker:
        yield broker.url


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
@pytest.mark.usefixtures("counting_writes")
async def test_two_workers_split_a_stream_and_store_each_record_once(
    pg_sessions: sessionmaker[Session],
    migrated_postgresql: str,
    private_mosquitto_url: str,
    unique_code: str,
    protocol: str,
) -> None:
    """On a broker of the test's own: a `$share/ingest` group shared with another test run's
    workers would lose messages to them."""
    agents = [f"{unique_code}-{n}" for n in range(3)]
    with pg_sessions.begin() as session:
        for n, agent in enumerate(agents):
            make_world(session, org_code=agent, site_code=f"{unique_code}-s{n}", agent_code=agent)
    settings = Settings(
        database_url=migrated_postgresql, mqtt_url=private_mosquitto_url, mqtt_protocol=protocol
    )
    engine = pg_sessions.kw["bind"]
    workers = [CountingSessions(engine), CountingSessions(engine)]
    streams = [
        StreamingAgent(
            broker_url=private_mosquitto_url,
            site=f"{unique_code}-s{n}",
            agent=agent,
            total=600,
            batch_size=25,
            protocol=protocol,
        )
        for n, agent in enumerate(agents)
    ]
    stop = asyncio.Event()
    readies = [asyncio.Event(), asyncio.Event()]
    running = [
        asyncio.create_task(
            run_ingest(settings=settings, sessions=w, stop=stop, ready=r, shared=True)
        )
        for w, r in zip(workers, readies, strict=True)
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 10)
        await asyncio.gather(*(stream.run(timeout_s=30) for stream in streams))
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*running), 10)
    for stream in streams:
        assert_stored_exactly_once(pg_sessions, stream)
    # Each message went to one worker, and each worker had a share of them.
    assert sum(w.messages for w in workers) == sum(stream.published for stream in streams)
    assert all(w.messages > 0 for w in workers), "one worker took the whole stream"


async def test_on_the_embedded_broker_and_sqlite_a_lone_worker_takes_messages_one_by_one(
    tmp_path: Path, unique_code: str
) -> None:
    """The demo's parts: amqtt (no `$share`, MQTT 3.1.1) and SQLite, a transaction a message."""
    url = f"sqlite:///{tmp_path / 'cloud.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = CountingSessions(engine)
    with sessions.begin() as session:
        make_world(session, org_code=unique_code, site_code=unique_code, agent_code="agent1")
    sessions.transactions = 0
    async with embedded_broker(port=free_tcp_port()) as broker_url:
        settings = Settings(database_url=url, mqtt_url=broker_url, mqtt_protocol="3.1.1")
        stream = StreamingAgent(
            broker_url=broker_url,
            site=unique_code,
            agent="agent1",
            total=200,
            batch_size=20,
            protocol="3.1.1",
        )
        stop, ready = asyncio.Event(), asyncio.Event()
        worker = asyncio.create_task(
            run_ingest(settings=settings, sessions=sessions, stop=stop, ready=ready)
        )
        try:
            await asyncio.wait_for(ready.wait(), 10)
            await stream.run(timeout_s=30)
        finally:
            stop.set()
            await asyncio.wait_for(worker, 10)
    assert_stored_exactly_once(sessions, stream)
    assert sessions.transactions >= stream.published  # one (or more, on retry) per message
    engine.dispose()


def _received(records: int) -> Any:
    """A stand-in for a checked message of `records` records."""
    return SimpleNamespace(records=records)


async def test_a_batch_closes_at_its_records_its_messages_its_wait_or_a_pause() -> None:
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    limits = Batching(max_messages=3, max_records=5_000, max_wait_s=0.3, max_gap_s=0.05)
    for records in (3000, 1500, 600, 1):
        inbox.put_nowait(_received(records))
    batch = await _next_batch(inbox, limits)
    assert [r.records for r in batch] == [3000, 1500, 600]  # past 5,000 records
    started = loop.time()
    batch = await _next_batch(inbox, limits)
    assert [r.records for r in batch] == [1] and loop.time() - started < 0.25  # a pause
    for _ in range(5):
        inbox.put_nowait(_received(1))
    assert len(await _next_batch(inbox, limits)) == 3  # the message count

    async def trickle() -> None:  # a message every 20 ms: never a pause
        for _ in range(40):
            inbox.put_nowait(_received(1))
            await asyncio.sleep(0.02)

    feeding = asyncio.create_task(trickle())
    limits = Batching(max_messages=100, max_records=5_000, max_wait_s=0.3, max_gap_s=0.1)
    started = loop.time()
    batch = await _next_batch(inbox, limits)
    waited = loop.time() - started
    feeding.cancel()
    await asyncio.gather(feeding, return_exceptions=True)
    assert 0.25 < waited < 0.6 and 5 < len(batch) < 30  # the wait ran out


async def test_a_database_outage_is_waited_out_and_a_refused_batch_split(
    sessions: sessionmaker[Session], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Transient failures are retried with the same batch; a batch the database refuses is
    written message by message, and the message it still refuses becomes a dead letter."""
    from cloud.ingest import consumer

    good = check_uplink(DATA, batch([1], t0=recently()).model_dump_json().encode(), NOW)
    poison = check_uplink(DATA, batch([2], t0=recently()).model_dump_json().encode(), NOW)
    write = consumer._write
    calls: list[int] = []

    def flaky(sessions: sessionmaker[Session], uplinks: Sequence[Uplink]) -> list[Any]:
        calls.append(len(uplinks))
        if len(calls) == 1:
            raise sa_exc.OperationalError("COMMIT", {}, psycopg.OperationalError("server closed"))
        if poison in uplinks:
            raise sa_exc.DataError("INSERT", {}, psycopg.DataError("value out of range"))
        return write(sessions, uplinks)

    monkeypatch.setattr(consumer, "_write", flaky)
    monkeypatch.setattr(consumer, "BACKOFF_MIN_S", 0.01)
    outcomes = await consumer._Writer(sessions)._commit([good, poison])
    assert calls == [2, 2, 1, 1]  # outage, refused, then one by one
    assert [o.kind for o in outcomes] == ["data", "dead_letter"]
    with sessions() as session:
        letter = session.scalars(select(DeadLetter)).one()
    assert (letter.cause, letter.payload) == ("refused", poison.payload)
    assert "value out of range" in letter.reason


class RecordingClient:
    """Stands in for the aiomqtt client: records PUBACKs and publications, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self._client = SimpleNamespace(ack=lambda mid, qos: self.events.append(("puback", mid)))

    async def publish(self, topic: str, payload: bytes, qos: int) -> None:
        self.events.append(("ack", Ack.model_validate_json(payload)))


async def test_messages_are_acked_to_the_broker_and_the_agent_only_after_commit(
    sessions: sessionmaker[Session], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PUBACK is withheld until commit: that is what makes the broker's in-flight window
    the back-pressure, and what keeps an unwritten message the broker's to deliver again."""
    from cloud.ingest import consumer

    release = threading.Event()
    write = consumer._write

    def slow(sessions: sessionmaker[Session], uplinks: Sequence[Uplink]) -> list[Any]:
        release.wait(10)
        return write(sessions, uplinks)

    monkeypatch.setattr(consumer, "_write", slow)
    client = RecordingClient()
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    for mid, seqs in ((7, [1, 2]), (8, [3])):
        payload = batch(seqs, t0=recently()).model_dump_json().encode()
        message = aiomqtt.Message(DATA, payload, qos=1, retain=False, mid=mid, properties=None)
        inbox.put_nowait(consumer._Received(message, consumer._check(message)))
    writer = consumer._Writer(sessions)
    draining = asyncio.create_task(writer.drain(client, inbox))  # type: ignore[arg-type]
    try:
        await asyncio.sleep(0.5)
        assert client.events == []  # written, maybe, but not committed: nothing acked
        release.set()
        last = ("ack", Ack(boot=1, seq=3))
        await eventually(lambda: last in client.events, what="acks after the commit")
    finally:
        draining.cancel()
        await asyncio.gather(draining, return_exceptions=True)
    assert sorted(mid for kind, mid in client.events if kind == "puback") == [7, 8]
    assert client.events[0] == ("puback", 7)  # the broker first, then the agent

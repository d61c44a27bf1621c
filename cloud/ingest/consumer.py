"""The ingest worker: subscribe to every agent's uplink, take each message in inside its own
transaction, and publish the acks only after that transaction has committed."""

import asyncio
import logging
import ssl
import uuid
from datetime import UTC, datetime

import aiomqtt
from sqlalchemy.orm import Session, sessionmaker

from cloud.ingest.service import IngestOutcome, ingest_message
from cloud.settings import Settings
from protocols import topics
from protocols.mqtt_url import parse_broker_url

log = logging.getLogger(__name__)

_PROTOCOLS = {"5": aiomqtt.ProtocolVersion.V5, "3.1.1": aiomqtt.ProtocolVersion.V311}
BACKOFF_MIN_S, BACKOFF_MAX_S = 0.5, 30.0


class _Trouble:
    """Logs a failing thing once when it starts failing and once when it recovers."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.failing = False

    def failed(self, exc: BaseException) -> None:
        if not self.failing:
            trace = not isinstance(exc, aiomqtt.MqttError)
            log.warning("%s failed: %s", self.what, exc, exc_info=trace)
        self.failing = True

    def ok(self) -> None:
        if self.failing:
            log.info("%s recovered", self.what)
        self.failing = False


async def run_ingest(
    *,
    settings: Settings,
    sessions: sessionmaker[Session],
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    """Consume uplink messages until `stop` is set (or forever); `ready` is set once subscribed."""
    consume = asyncio.create_task(_consume(settings, sessions, ready), name="parkops-ingest")
    if stop is None:
        await consume
        return
    stopped = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({consume, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (consume, stopped):
            task.cancel()
        await asyncio.gather(consume, stopped, return_exceptions=True)
    if consume in done:
        consume.result()  # it only ends by failing: raise that


async def _consume(
    settings: Settings, sessions: sessionmaker[Session], ready: asyncio.Event | None
) -> None:
    broker = parse_broker_url(settings.mqtt_url)
    link, database = _Trouble(f"MQTT link to {broker}"), _Trouble("ingest database write")
    delay = BACKOFF_MIN_S
    while True:
        try:
            async with _client(settings) as client:
                await client.subscribe(topics.UPLINK_FILTER, qos=1)
                link.ok()
                delay = BACKOFF_MIN_S
                log.info("ingest subscribed to %s on %s", topics.UPLINK_FILTER, broker)
                if ready is not None:
                    ready.set()
                async for message in client.messages:
                    await _handle(client, sessions, message, database)
        except aiomqtt.MqttError as exc:
            link.failed(exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)


def _client(settings: Settings) -> aiomqtt.Client:
    broker = parse_broker_url(settings.mqtt_url)
    return aiomqtt.Client(
        broker.host,
        broker.port,
        identifier=f"parkops-ingest-{uuid.uuid4().hex[:12]}",
        protocol=_PROTOCOLS[settings.mqtt_protocol],
        username=settings.mqtt_username,
        password=settings.mqtt_password,
        tls_context=ssl.create_default_context() if broker.tls else None,
        keepalive=30,
    )


async def _handle(
    client: aiomqtt.Client,
    sessions: sessionmaker[Session],
    message: aiomqtt.Message,
    database: _Trouble,
) -> None:
    payload = message.payload
    if not isinstance(payload, bytes | bytearray):
        payload = str(payload).encode() if payload is not None else b""
    try:
        outcome = await asyncio.to_thread(
            _ingest_committed, sessions, message.topic.value, bytes(payload), datetime.now(UTC)
        )
    except Exception as exc:  # noqa: BLE001 - not acked: the agent resends, nothing is lost
        database.failed(exc)
        return
    database.ok()
    if outcome.reason is not None:  # the message, or some of its records, went to dead letters
        log.warning("dead letter from %s: %s", message.topic.value, outcome.reason)
    for ack in outcome.acks:
        await client.publish(ack.topic, ack.ack.model_dump_json().encode(), qos=1)


def _ingest_committed(
    sessions: sessionmaker[Session], topic: str, payload: bytes, received_at: datetime
) -> IngestOutcome:
    with sessions.begin() as session:
        return ingest_message(
            session=session, topic=topic, payload=payload, received_at=received_at
        )

"""An ingest worker: one MQTT client that takes in every agent's uplink, in batches on
PostgreSQL and message by message on SQLite, and acks a message — to the broker (PUBACK) and to
its agent (`down/ack`) — only once the transaction holding it has committed.

Back-pressure is the broker's in-flight window: PUBACKs are withheld until commit, so a broker
sends a worker at most `IN_FLIGHT_WINDOW` unacknowledged messages (the Receive Maximum this
client announces under MQTT 5; Mosquitto's `max_inflight_messages`, 20 by default, under 3.1.1)
and keeps the rest, or lets the agents' outboxes keep them.
"""

import asyncio
import logging
import sqlite3
import ssl
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import aiomqtt
import psycopg
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from cloud.ingest.checks import Cause, DataUplink, Uplink, check_uplink
from cloud.ingest.service import AckToSend, IngestOutcome, dead_letter_whole, ingest_batch
from cloud.settings import Settings
from protocols import topics
from protocols.mqtt_url import parse_broker_url

if TYPE_CHECKING:
    from cloud.metrics import IngestMetrics

log = logging.getLogger(__name__)

_PROTOCOLS = {"5": aiomqtt.ProtocolVersion.V5, "3.1.1": aiomqtt.ProtocolVersion.V311}
BACKOFF_MIN_S, BACKOFF_MAX_S = 0.5, 30.0
DATABASE_BACKOFF_MAX_S: Final = 5.0
"""A batch waits out a database outage holding its messages; it retries at least this often."""
IN_FLIGHT_WINDOW: Final = 20
SHARE_GROUP: Final = "ingest"
MAX_BATCH_RECORDS: Final = 5_000
MAX_BATCH_WAIT_S: Final = 0.2
MAX_BATCH_GAP_S: Final = 0.02
"""A batch also closes when the stream pauses this long: a flowing stream fills batches, a
trickle is not held back for the whole wait (its agents' acks would lag for nothing)."""
QOS0_BACKLOG: Final = IN_FLIGHT_WINDOW
"""QoS 0 messages are outside the window; past this many waiting, they are dropped."""
HARD_BACKLOG: Final = 10 * IN_FLIGHT_WINDOW
"""Reached only with a broker that ignores the window (amqtt); the agents resend the excess."""


@dataclass(frozen=True)
class Batching:
    """When a batch is complete: whichever limit comes first."""

    max_messages: int
    max_records: int = MAX_BATCH_RECORDS
    max_wait_s: float = MAX_BATCH_WAIT_S
    max_gap_s: float = MAX_BATCH_GAP_S


PER_MESSAGE = Batching(max_messages=1)
"""SQLite: one message a transaction, as the demo always ran."""
BATCHED = Batching(max_messages=IN_FLIGHT_WINDOW // 2)
"""PostgreSQL: half the window, so the next batch streams in while this one is written."""


class _Trouble:
    """Logs a failing thing once when it starts failing and once when it recovers."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.failing = False

    def failed(self, exc: BaseException) -> None:
        if not self.failing:
            trace = not isinstance(exc, aiomqtt.MqttError | sa_exc.DBAPIError)
            log.warning("%s failed: %s", self.what, _first_line(exc), exc_info=trace)
        self.failing = True

    def ok(self) -> None:
        if self.failing:
            log.info("%s recovered", self.what)
        self.failing = False


DATA_FILTER: Final = f"{topics.PREFIX}/+/+/up/data"
"""Data only: agents' retained `up/status` goes to the one plain subscription of
`cloud.devices.listener` (brokers do not reliably deliver retained messages to `$share`)."""


def subscription(*, shared: bool) -> str:
    """The data filter, shared among the `ingest` group when several workers split the work.

    A lone worker subscribes without `$share`: the demo's embedded broker (amqtt 0.12) grants a
    `$share/...` subscription but never delivers anything to it, so a shared filter there would
    take in nothing, silently."""
    return f"$share/{SHARE_GROUP}/{DATA_FILTER}" if shared else DATA_FILTER


async def run_ingest(
    *,
    settings: Settings,
    sessions: sessionmaker[Session],
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    shared: bool = False,
    metrics: "IngestMetrics | None" = None,
) -> None:
    """Consume uplink messages until `stop` is set (or forever); `ready` is set once subscribed.

    With `shared`, this worker is one of several splitting the stream by a `$share`
    subscription; that needs a broker with shared subscriptions (Mosquitto 2, EMQX)."""
    consume = asyncio.create_task(
        _consume(settings, sessions, ready, shared=shared, metrics=metrics), name="parkops-ingest"
    )
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
    settings: Settings,
    sessions: sessionmaker[Session],
    ready: asyncio.Event | None,
    *,
    shared: bool,
    metrics: "IngestMetrics | None" = None,
) -> None:
    broker = parse_broker_url(settings.mqtt_url)
    link = _Trouble(f"MQTT link to {broker}")
    writer = _Writer(sessions, metrics)
    topic_filter = subscription(shared=shared)
    delay = BACKOFF_MIN_S
    while True:
        try:
            async with _client(settings) as client:
                await client.subscribe(topic_filter, qos=1)
                link.ok()
                delay = BACKOFF_MIN_S
                log.info("ingest subscribed to %s on %s", topic_filter, broker)
                if ready is not None:
                    ready.set()
                inbox: asyncio.Queue[_Received] = asyncio.Queue()
                await _first_of(_receive(client, inbox), writer.drain(client, inbox))
        except aiomqtt.MqttError as exc:
            link.failed(exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)


def _client(settings: Settings) -> aiomqtt.Client:
    broker = parse_broker_url(settings.mqtt_url)
    protocol = _PROTOCOLS[settings.mqtt_protocol]
    properties = None
    if protocol is aiomqtt.ProtocolVersion.V5:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.ReceiveMaximum = IN_FLIGHT_WINDOW
    client = aiomqtt.Client(
        broker.host,
        broker.port,
        identifier=f"parkops-ingest-{uuid.uuid4().hex[:12]}",
        protocol=protocol,
        username=settings.mqtt_username,
        password=settings.mqtt_password,
        tls_context=ssl.create_default_context() if broker.tls else None,
        keepalive=30,
        properties=properties,
    )
    # aiomqtt 2.5 does not expose paho's manual acknowledgement; the PUBACK after commit is
    # what makes the broker's in-flight window our back-pressure.
    client._client.manual_ack_set(True)
    return client


def _puback(client: aiomqtt.Client, message: aiomqtt.Message) -> None:
    if message.qos > 0:
        client._client.ack(message.mid, message.qos)


@dataclass(frozen=True)
class _Received:
    message: aiomqtt.Message
    uplink: Uplink

    @property
    def records(self) -> int:
        return len(self.uplink.batch.records) if isinstance(self.uplink, DataUplink) else 1


async def _receive(client: aiomqtt.Client, inbox: asyncio.Queue[_Received]) -> None:
    """Check each message as it arrives (parsing overlaps the writing of the previous batch)."""
    dropped = 0
    async for message in client.messages:
        if inbox.qsize() >= (QOS0_BACKLOG if message.qos == 0 else HARD_BACKLOG):
            dropped += 1
            if dropped in (1, 10, 100) or dropped % 1000 == 0:
                log.warning("ingest is behind: dropped %d messages (the agents resend)", dropped)
            continue
        inbox.put_nowait(_Received(message, _check(message)))


def _check(message: aiomqtt.Message) -> Uplink:
    payload = message.payload
    if not isinstance(payload, bytes | bytearray):
        payload = str(payload).encode() if payload is not None else b""
    return check_uplink(message.topic.value, bytes(payload), datetime.now(UTC))


async def _next_batch(inbox: asyncio.Queue[_Received], batching: Batching) -> list[_Received]:
    """The first message waiting, and whatever follows within the batch's limits."""
    loop = asyncio.get_running_loop()
    batch = [await inbox.get()]
    records = batch[0].records
    deadline = loop.time() + batching.max_wait_s
    while len(batch) < batching.max_messages and records < batching.max_records:
        try:
            # Awaited in this task, not wrapped in another: a timeout never loses a message.
            async with asyncio.timeout_at(min(deadline, loop.time() + batching.max_gap_s)):
                batch.append(await inbox.get())
        except TimeoutError:
            break
        records += batch[-1].records
    return batch


class _Writer:
    """Writes batches, retrying through database outages, then acks them."""

    def __init__(
        self, sessions: sessionmaker[Session], metrics: "IngestMetrics | None" = None
    ) -> None:
        self.sessions = sessions
        self.metrics = metrics
        self.batching = BATCHED if _dialect(sessions) == "postgresql" else PER_MESSAGE
        self.database = _Trouble("ingest database write")

    async def drain(self, client: aiomqtt.Client, inbox: asyncio.Queue[_Received]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await _next_batch(inbox, self.batching)
            started = loop.time()
            outcomes = await self._commit([r.uplink for r in batch])
            committed = loop.time()
            for received in batch:
                _puback(client, received.message)
            await _publish_acks(client, outcomes)
            _log_dead_letters(outcomes)
            if self.metrics is not None:
                self.metrics.observe([r.uplink for r in batch], outcomes)
            log.debug(
                "batch of %d messages (%d records) committed in %.0f ms, acked in %.0f ms; "
                "%d waiting",
                len(batch),
                sum(r.records for r in batch),
                (committed - started) * 1000,
                (loop.time() - committed) * 1000,
                inbox.qsize(),
            )

    async def _commit(self, uplinks: list[Uplink]) -> list[IngestOutcome]:
        """Write `uplinks` in one transaction, waiting out transient failures. What the database
        refuses for another reason is written message by message, and a message it still
        refuses becomes a dead letter, so no input can stop ingest."""
        delay = BACKOFF_MIN_S
        while True:
            try:
                outcomes = await asyncio.to_thread(_write, self.sessions, uplinks)
            except Exception as exc:  # noqa: BLE001 - sorted below; nothing is acked
                if not _transient(exc):
                    return await self._split(uplinks, exc)
                self.database.failed(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, DATABASE_BACKOFF_MAX_S)
                continue
            self.database.ok()
            return outcomes

    async def _split(self, uplinks: list[Uplink], exc: Exception) -> list[IngestOutcome]:
        if len(uplinks) > 1:
            log.warning(
                "a batch of %d messages was refused (%s); writing them one by one",
                len(uplinks),
                _first_line(exc),
            )
            return [outcome for u in uplinks for outcome in await self._commit([u])]
        [uplink] = uplinks
        reason = f"the database refused it: {_first_line(exc)}"
        await self._dead_letter(uplink, reason)
        return [IngestOutcome(kind="dead_letter", reason=reason)]

    async def _dead_letter(self, uplink: Uplink, reason: str) -> None:
        delay = BACKOFF_MIN_S
        while True:
            try:
                await asyncio.to_thread(_write_dead_letter, self.sessions, uplink, reason)
                return
            except Exception as exc:  # noqa: BLE001 - nothing is acked until it is kept
                self.database.failed(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, DATABASE_BACKOFF_MAX_S)


def _dialect(sessions: sessionmaker[Session]) -> str | None:
    bind = sessions.kw.get("bind")
    return bind.dialect.name if bind is not None else None


def _write(sessions: sessionmaker[Session], uplinks: Sequence[Uplink]) -> list[IngestOutcome]:
    with sessions.begin() as session:
        outcomes = ingest_batch(session=session, uplinks=uplinks)
        _raise_alarms(session, uplinks)
        return outcomes


def _raise_alarms(session: Session, uplinks: Sequence[Uplink]) -> None:
    """Event-driven alarm rules, in the batch's transaction (a failing rule costs nothing)."""
    from cloud.alarms.evaluate import evaluate_uplinks_safely  # alarms import ingest's checks

    evaluate_uplinks_safely(session=session, uplinks=uplinks)


def _write_dead_letter(sessions: sessionmaker[Session], uplink: Uplink, reason: str) -> None:
    with sessions.begin() as session:
        dead_letter_whole(session=session, uplink=uplink, cause=Cause.REFUSED, reason=reason)


_TRANSIENT = (psycopg.OperationalError, psycopg.InterfaceError, sqlite3.OperationalError, OSError)


def _transient(exc: BaseException) -> bool:
    """A failure of the database, not of what was written: retrying the same write may work."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return True
    cause = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    # Lost connections, shutdowns, deadlocks and serialization failures, a locked SQLite file.
    return isinstance(cause, _TRANSIENT)


def _first_line(exc: BaseException) -> str:
    """What went wrong, without the SQL and parameters SQLAlchemy appends."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        exc = exc.orig
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


async def _publish_acks(client: aiomqtt.Client, outcomes: list[IngestOutcome]) -> None:
    """One `down/ack` per agent and boot: the highest seq acked in this batch."""
    latest: dict[tuple[str, int], AckToSend] = {}
    for outcome in outcomes:
        for ack in outcome.acks:
            key = (ack.topic, ack.ack.boot)
            if key not in latest or latest[key].ack.seq < ack.ack.seq:
                latest[key] = ack
    await asyncio.gather(
        *(
            client.publish(ack.topic, ack.ack.model_dump_json().encode(), qos=1)
            for ack in latest.values()
        )
    )


def _log_dead_letters(outcomes: list[IngestOutcome]) -> None:
    reasons = [o.reason for o in outcomes if o.reason is not None]
    if reasons:
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        log.warning("dead letters: %s%s", reasons[0], more)


async def _first_of(*jobs: Coroutine[Any, Any, None]) -> None:
    """Run `jobs` until the first ends; cancel the rest; raise what the first raised."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        failure = None if task.cancelled() else task.exception()
        if failure is not None:
            raise failure

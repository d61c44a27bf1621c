"""Agents' births and wills, taken from one plain subscription to `up/status`.

Not through the ingest workers' `$share` group: brokers do not reliably deliver retained
messages to shared subscriptions, and only one process needs them. Run exactly one of these
(`parkops cloud ingest` runs it beside its first worker; the demo runs it too)."""

import asyncio
import contextlib
import logging
import ssl
import uuid
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

import aiomqtt
from sqlalchemy.orm import Session, sessionmaker

from cloud.devices.service import record_status
from cloud.ingest.checks import StatusUplink, check_uplink
from cloud.settings import Settings
from protocols import topics
from protocols.mqtt_url import parse_broker_url

log = logging.getLogger(__name__)

STATUS_FILTER = f"{topics.PREFIX}/+/+/up/status"
RETRY_S = 2.0


def take_status(sessions: sessionmaker[Session], topic: str, payload: bytes) -> bool:
    """Record one status message in its own transaction; False when it is not one we take
    (malformed, or of an unknown agent: ingest keeps those as dead letters)."""
    uplink = check_uplink(topic, payload, datetime.now(UTC))
    if not isinstance(uplink, StatusUplink):
        return False
    with sessions.begin() as session:
        return record_status(session=session, status=uplink.status, received_at=uplink.received_at)


async def run_status_listener(
    *,
    settings: Settings,
    sessions: sessionmaker[Session],
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
) -> None:
    """Record births and wills until `stop` is set, reconnecting after a lost link."""
    broker = parse_broker_url(settings.mqtt_url)
    while not stop.is_set():
        try:
            async with _client(settings) as client:
                await client.subscribe(STATUS_FILTER, qos=1)
                log.info("status listener subscribed to %s on %s", STATUS_FILTER, broker)
                if ready is not None:
                    ready.set()
                await _until_stopped(_listen(client, sessions), stop)
        except aiomqtt.MqttError as exc:
            log.warning("status listener lost %s: %s", broker, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=RETRY_S)


async def _listen(client: aiomqtt.Client, sessions: sessionmaker[Session]) -> None:
    async for message in client.messages:
        payload = message.payload
        if not isinstance(payload, bytes | bytearray) or not payload:
            continue  # a cleared retained status
        try:
            await asyncio.to_thread(take_status, sessions, message.topic.value, bytes(payload))
        except Exception:  # the next birth or will puts it right; keep listening
            log.exception("could not record status from %s", message.topic.value)


async def _until_stopped(job: Coroutine[Any, Any, None], stop: asyncio.Event) -> None:
    task = asyncio.create_task(job)
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, stopped):
            pending.cancel()
        await asyncio.gather(task, stopped, return_exceptions=True)
    failure = task.exception() if task.done() and not task.cancelled() else None
    if failure is not None:
        raise failure


def _client(settings: Settings) -> aiomqtt.Client:
    broker = parse_broker_url(settings.mqtt_url)
    return aiomqtt.Client(
        broker.host,
        broker.port,
        identifier=f"parkops-status-{uuid.uuid4().hex[:12]}",
        username=settings.mqtt_username,
        password=settings.mqtt_password,
        tls_context=ssl.create_default_context() if broker.tls else None,
        keepalive=30,
    )

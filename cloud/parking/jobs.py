"""Parking's background work: publishing each site's allow-list (retained on `down/lists`
of every agent of the site) when it changes, answering exit questions over MQTT, and turning
gate events into sessions."""

import asyncio
import contextlib
import logging
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiomqtt
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.access.jobs import take_door_events
from cloud.db.base import utcnow
from cloud.ingest.models import EdgeAgent
from cloud.parking.exits import answer_exit, take_gate_events
from cloud.parking.lists import current_list
from cloud.parking.models import AllowListVersion
from cloud.properties.models import Site
from cloud.settings import Settings
from protocols import topics
from protocols.gate import AllowList, ExitQuery
from protocols.mqtt_url import parse_broker_url

log = logging.getLogger(__name__)

QUERY_FILTER = f"{topics.PREFIX}/+/+/up/query"
ROUND_EVERY_S = 5.0


@dataclass(frozen=True)
class Published:
    site: str
    version: int
    agents: tuple[str, ...]


def _pending(
    sessions: sessionmaker[Session], at: datetime, force: bool, site_ids: Sequence[int] | None
) -> list[tuple[int, str, list[str], bytes]]:
    """Per site with agents: its list (a new version committed if it changed), when it still
    has to reach the broker."""
    out = []
    with sessions.begin() as session:
        stmt = select(Site).order_by(Site.id)
        if site_ids is not None:
            stmt = stmt.where(Site.id.in_(site_ids))
        for site in session.scalars(stmt):
            agents = list(
                session.scalars(
                    select(EdgeAgent.code)
                    .where(EdgeAgent.site_id == site.id)
                    .order_by(EdgeAgent.code)
                )
            )
            if not agents:
                continue
            allow_list, version = current_list(session=session, site=site, at=at)
            if force or version.published_at is None:
                out.append((version.id, site.code, agents, allow_list.model_dump_json().encode()))
    return out


def _mark_published(sessions: sessionmaker[Session], version_id: int, at: datetime) -> None:
    with sessions.begin() as session:
        row = session.get(AllowListVersion, version_id)
        if row is not None:
            row.published_at = at


async def publish_allow_lists(
    *,
    sessions: sessionmaker[Session],
    client: aiomqtt.Client,
    at: datetime | None = None,
    force: bool = False,
    site_ids: Sequence[int] | None = None,
) -> list[Published]:
    """Publish every site's allow-list that changed (or was never delivered), retained, QoS 1,
    to each agent of the site. A version is marked delivered only after the broker took it."""
    at = at or utcnow()
    done = []
    for version_id, site, agents, payload in await asyncio.to_thread(
        _pending, sessions, at, force, site_ids
    ):
        for agent in agents:
            await client.publish(topics.lists(site, agent), payload, qos=1, retain=True)
        await asyncio.to_thread(_mark_published, sessions, version_id, at)
        done.append(Published(site, _version(payload), tuple(agents)))
    return done


def _version(payload: bytes) -> int:
    return AllowList.model_validate_json(payload).version


async def answer_exit_queries(*, sessions: sessionmaker[Session], client: aiomqtt.Client) -> None:
    """Answer every `up/query` exit question on the agent's `down/answer`, until cancelled.
    The client must be connected; this subscribes it."""
    await client.subscribe(QUERY_FILTER, qos=1)
    async for message in client.messages:
        try:
            parsed = topics.parse(str(message.topic))
            query = ExitQuery.model_validate_json(bytes(message.payload))
        except (ValueError, ValidationError) as exc:
            log.warning("unreadable exit query on %s: %s", message.topic, exc)
            continue
        answer = await asyncio.to_thread(_answer, sessions, query)
        topic = topics.answer(parsed.site, parsed.agent)
        await client.publish(topic, answer, qos=1)


def _answer(sessions: sessionmaker[Session], query: ExitQuery) -> bytes:
    with sessions() as session:
        return answer_exit(session=session, query=query).model_dump_json().encode()


def take_events_once(sessions: sessionmaker[Session]) -> int:
    """Gate events to sessions, door events to the door log, each in its own transaction."""
    with sessions.begin() as session:
        gates = take_gate_events(session=session)
    with sessions.begin() as session:
        doors = take_door_events(session=session)
    return gates + doors


def mqtt_client(settings: Settings, name: str) -> aiomqtt.Client:
    broker = parse_broker_url(settings.mqtt_url)
    return aiomqtt.Client(
        broker.host,
        broker.port,
        identifier=f"parkops-{name}-{uuid.uuid4().hex[:12]}",
        username=settings.mqtt_username,
        password=settings.mqtt_password,
        tls_context=ssl.create_default_context() if broker.tls else None,
        keepalive=30,
    )


async def run_parking(
    *, settings: Settings, sessions: sessionmaker[Session], stop: asyncio.Event
) -> None:
    """Until `stop`: take gate and door events every few seconds, publish allow-lists that
    changed (all of them once on every connection), and answer exit questions; a lost broker
    is retried with a growing pause."""
    delay = 1.0
    while not stop.is_set():
        try:
            async with mqtt_client(settings, "parking") as client:
                delay = 1.0
                responder = asyncio.create_task(
                    answer_exit_queries(sessions=sessions, client=client)
                )
                try:
                    await _rounds(sessions, client, stop, responder)
                finally:
                    responder.cancel()
        except aiomqtt.MqttError as exc:
            log.warning("parking jobs: broker unreachable (%s); retrying in %.0f s", exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, 60.0)


async def _rounds(
    sessions: sessionmaker[Session],
    client: aiomqtt.Client,
    stop: asyncio.Event,
    responder: asyncio.Task[None],
) -> None:
    # The first round on a connection publishes every list again: a broker restarted without
    # persistence has forgotten the retained ones, and an agent that reconnects would get none.
    republish = True
    while not stop.is_set():
        if responder.done():
            responder.result()  # re-raise what ended it (a lost broker): reconnect
        try:
            taken = await asyncio.to_thread(take_events_once, sessions)
            published = await publish_allow_lists(sessions=sessions, client=client, force=republish)
        except aiomqtt.MqttError:
            raise
        except Exception:  # the next round retries; one bad row must not stop the gates
            log.exception("parking jobs round failed")
        else:
            republish = True
            for item in published:
                log.info("allow-list v%d published to site %s", item.version, item.site)
            if taken:
                log.info("took %d gate and door events", taken)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=ROUND_EVERY_S)

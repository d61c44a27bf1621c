"""Parking's background work: publishing each site's allow-list (retained on `down/lists`
of every agent of the site) when it changes, answering exit questions over MQTT, and turning
gate events into sessions."""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiomqtt
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.base import utcnow
from cloud.ingest.models import EdgeAgent
from cloud.parking.exits import answer_exit, take_gate_events
from cloud.parking.lists import current_list
from cloud.parking.models import AllowListVersion
from cloud.properties.models import Site
from protocols import topics
from protocols.gate import AllowList, ExitQuery

log = logging.getLogger(__name__)

QUERY_FILTER = f"{topics.PREFIX}/+/+/up/query"


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


def take_gate_events_once(sessions: sessionmaker[Session]) -> int:
    """One run of `take_gate_events` in its own transaction."""
    with sessions.begin() as session:
        return take_gate_events(session=session)

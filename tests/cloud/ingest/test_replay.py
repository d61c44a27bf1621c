"""Dead letters replayed after a fix go through the same checks and are marked, not deleted."""

from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.energy.models import Meter, Reading
from cloud.errors import Forbidden, NotFound
from cloud.identity.actor import Actor
from cloud.ingest import replay
from cloud.ingest.models import DeadLetter, EdgeAgent
from cloud.ingest.service import ingest_message
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login
from tests.cloud.ingest.batches import batch

API = "/api/v1/dead-letters"


def _send(session: Session, *, device: str = "M-101", agent: str = "agent1") -> None:
    data = batch(range(1, 4), agent=agent, device=device, t0=datetime.now(UTC) - timedelta(hours=1))
    topic = f"parkops/v1/site1/{agent}/up/data"
    ingest_message(
        session=session,
        topic=topic,
        payload=data.model_dump_json().encode(),
        received_at=datetime.now(UTC),
    )
    session.commit()


def _readings(session: Session, code: str) -> int:
    meter = session.scalar(select(Meter).where(Meter.code == code))
    assert meter is not None
    return session.scalar(select(func.count()).where(Reading.device_id == meter.id)) or 0


def _register_meter(session: Session, world: World, code: str, agent_id: int) -> None:
    session.add(
        Meter(
            org_id=world.org.id,
            site_id=world.site.id,
            agent_id=agent_id,
            code=code,
            profile="chint-ddsu666",
        )
    )
    session.commit()


def test_records_of_an_unknown_device_are_taken_once_it_is_registered(
    session: Session, world: World
) -> None:
    _send(session, device="M-NEW")
    letters = list(session.scalars(select(DeadLetter).order_by(DeadLetter.id)))
    assert [d.cause for d in letters] == ["unknown_device"] * 3
    admin = world.actors["admin"]
    first = replay.replay(session=session, actor=admin, dead_letter_id=letters[0].id)
    assert (first.outcome, first.written) == ("data", 0)  # still unknown: a new dead letter
    assert session.scalar(select(func.count()).select_from(DeadLetter)) == 4

    _register_meter(session, world, "M-NEW", world.agent.id)
    marks = [replay.replay(session=session, actor=admin, dead_letter_id=d.id) for d in letters]
    session.commit()
    assert [(m.outcome, m.written) for m in marks] == [("data", 1)] * 3
    assert _readings(session, "M-NEW") == 6  # 3 records of energy and voltage
    [view] = [
        v
        for v in replay.list_dead_letters(session=session, actor=admin)
        if v.letter.id == letters[0].id
    ]
    assert [r.written for r in view.replays] == [0, 1]  # kept, with both attempts


def test_a_message_of_an_unknown_agent_is_taken_once_it_is_registered(
    session: Session, world: World
) -> None:
    _send(session, agent="agent9")
    [letter] = session.scalars(select(DeadLetter))
    assert letter.cause == "unknown_agent"
    agent = EdgeAgent(org_id=world.org.id, site_id=world.site.id, code="agent9")
    session.add(agent)
    session.commit()
    mark = replay.replay(session=session, actor=None, dead_letter_id=letter.id)
    assert mark.outcome == "data" and mark.replayed_by == "operator"
    assert "unknown device(s) M-101" in (mark.reason or "")  # agent known now; device not yet


def test_only_admins_of_the_sites_org_see_and_replay(session: Session, world: World) -> None:
    _send(session, device="M-NEW")
    letter = session.scalars(select(DeadLetter)).first()
    assert letter is not None
    with pytest.raises(Forbidden):
        replay.list_dead_letters(session=session, actor=world.actors["staff"])
    other_admin = Actor(
        user_id=0,
        org_id=world.org.id + 1000,
        role=world.actors["admin"].role,
        tenant_id=None,
        username="x",
        display_name="x",
    )
    assert replay.list_dead_letters(session=session, actor=other_admin) == []
    with pytest.raises(NotFound):
        replay.replay(session=session, actor=other_admin, dead_letter_id=letter.id)


async def test_replay_over_rest(client: AsyncClient, session: Session, world: World) -> None:
    _send(session, device="M-NEW")
    _register_meter(session, world, "M-NEW", world.agent.id)
    admin = await login(client, "acme-admin")
    letters = (await client.get(API, headers=admin)).json()
    assert len(letters) == 3 and all(letter["replays"] == [] for letter in letters)
    done = await client.post(f"{API}/{letters[0]['id']}/replay", headers=admin)
    assert done.status_code == 200 and done.json()["written"] == 1
    again = (await client.get(API, headers=admin)).json()
    assert [len(letter["replays"]) for letter in again] == [1, 0, 0]

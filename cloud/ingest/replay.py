"""Dead letters looked at and submitted again after a fix (the agent or device got
registered): through the same checks and the same ingest path, as if just received. A
replayed letter is marked, never deleted; if it fails again, that is a new dead letter."""

from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloud.alarms.evaluate import evaluate_uplinks_safely
from cloud.db.base import utcnow
from cloud.devices.service import find_agent
from cloud.errors import NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.ingest.checks import check_uplink
from cloud.ingest.models import DeadLetter, DeadLetterReplay, IngestReceipt
from cloud.ingest.service import ingest_batch
from cloud.properties.models import Site
from protocols import topics
from protocols.messages import DataBatch, EventRecord, ReadingRecord, Record

_RECORD: TypeAdapter[ReadingRecord | EventRecord] = TypeAdapter(Record)


@dataclass(frozen=True)
class LetterView:
    letter: DeadLetter
    replays: list[DeadLetterReplay]


def _site_code(topic: str) -> str | None:
    try:
        return topics.parse(topic).site
    except ValueError:
        return None


def _visible(session: Session, actor: Actor | None, letter: DeadLetter) -> bool:
    """Dead letters carry no org: an org sees those on topics of its sites. Without an actor
    (the command line of the operator) every letter is visible."""
    if actor is None:
        return True
    site = _site_code(letter.topic)
    owner = session.scalar(select(Site.org_id).where(Site.code == site)) if site else None
    return owner == actor.org_id


def list_dead_letters(
    *, session: Session, actor: Actor | None, limit: int = 100
) -> list[LetterView]:
    """The newest dead letters the actor may see (admins), each with its replays."""
    if actor is not None:
        require_role(actor, Role.admin)
    letters = session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit * 4))
    views = [
        LetterView(letter, _replays(session, letter.id))
        for letter in letters
        if _visible(session, actor, letter)
    ]
    return views[:limit]


def _replays(session: Session, letter_id: int) -> list[DeadLetterReplay]:
    query = select(DeadLetterReplay).where(DeadLetterReplay.dead_letter_id == letter_id)
    return list(session.scalars(query.order_by(DeadLetterReplay.id)))


def _as_message(session: Session, letter: DeadLetter) -> bytes:
    """The letter as an uplink message. A single record (kept apart from its batch) becomes
    a batch of one again, and its receipt is released: it was claimed when the record was
    refused, and would make the record look like a duplicate."""
    try:
        record = _RECORD.validate_json(letter.payload)
    except ValidationError:
        return letter.payload  # a whole message
    topic = topics.parse(letter.topic)
    agent = find_agent(session, topic.site, topic.agent)
    if agent is not None:
        session.execute(
            delete(IngestReceipt).where(
                IngestReceipt.agent_id == agent.id,
                IngestReceipt.boot == record.boot,
                IngestReceipt.seq == record.seq,
            )
        )
    return (
        DataBatch(site=topic.site, agent=topic.agent, records=[record]).model_dump_json().encode()
    )


def replay(
    *, session: Session, actor: Actor | None, dead_letter_id: int, at: datetime | None = None
) -> DeadLetterReplay:
    """Submit the dead letter again and mark it with what became of it. Flushes, never
    commits; the agent is not sent an ack (it had one when the letter was kept)."""
    if actor is not None:
        require_role(actor, Role.admin)
    letter = session.get(DeadLetter, dead_letter_id)
    if letter is None or not _visible(session, actor, letter):
        raise NotFound(f"no dead letter {dead_letter_id}")
    at = at or utcnow()
    uplink = check_uplink(letter.topic, _as_message(session, letter), at)
    [outcome] = ingest_batch(session=session, uplinks=[uplink])
    evaluate_uplinks_safely(session=session, uplinks=[uplink])
    mark = DeadLetterReplay(
        dead_letter_id=letter.id,
        replayed_at=at,
        replayed_by=actor.username if actor else "operator",
        outcome=outcome.kind,
        written=outcome.written,
        reason=outcome.reason,
    )
    session.add(mark)
    session.flush()
    return mark

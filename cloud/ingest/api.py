"""Dead letters over REST: look at them, and replay them after a fix (admins)."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from cloud.deps import CurrentActor, SessionDep
from cloud.ingest import replay as replay_service
from cloud.ingest.models import DeadLetterReplay

router = APIRouter(prefix="/dead-letters", tags=["ingest"])


class ReplayRead(BaseModel):
    dead_letter_id: int
    replayed_at: datetime
    replayed_by: str
    outcome: str
    written: int
    reason: str | None

    @classmethod
    def of(cls, mark: DeadLetterReplay) -> "ReplayRead":
        return cls(
            dead_letter_id=mark.dead_letter_id,
            replayed_at=mark.replayed_at,
            replayed_by=mark.replayed_by,
            outcome=mark.outcome,
            written=mark.written,
            reason=mark.reason,
        )


class DeadLetterRead(BaseModel):
    id: int
    received_at: datetime
    topic: str
    cause: str
    reason: str
    payload_size: int
    replays: list[ReplayRead]


@router.get("", response_model=list[DeadLetterRead])
def list_dead_letters(
    session: SessionDep, actor: CurrentActor, limit: int = 100
) -> list[DeadLetterRead]:
    views = replay_service.list_dead_letters(session=session, actor=actor, limit=min(limit, 1000))
    return [
        DeadLetterRead(
            id=v.letter.id,
            received_at=v.letter.received_at,
            topic=v.letter.topic,
            cause=v.letter.cause,
            reason=v.letter.reason,
            payload_size=v.letter.payload_size,
            replays=[ReplayRead.of(r) for r in v.replays],
        )
        for v in views
    ]


@router.post("/{dead_letter_id}/replay", response_model=ReplayRead)
def replay_dead_letter(dead_letter_id: int, session: SessionDep, actor: CurrentActor) -> ReplayRead:
    mark = replay_service.replay(session=session, actor=actor, dead_letter_id=dead_letter_id)
    return ReplayRead.of(mark)

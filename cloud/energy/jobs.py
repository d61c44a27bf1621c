"""The time-series jobs: readings' partitions made ahead (PostgreSQL without TimescaleDB), and
the energy rollups brought up to date with what ingest put on their backlog."""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from cloud.db.base import utcnow
from cloud.energy import partitions, rollups

log = logging.getLogger(__name__)

EVERY_S = 60.0
"""Rollups lag ingest by at most this much; each run takes only what changed since the last."""
MONTHS_AHEAD = 3


@dataclass(frozen=True)
class Upkeep:
    partitions_made: list[str]
    backlog_taken: int


def keep_up(*, session: Session, now: datetime | None = None) -> Upkeep:
    """One run: partitions ahead (and for any month found in the default partition), then the
    rollups' backlog. Flushes, never commits."""
    made: list[str] = []
    if session.get_bind().dialect.name == "postgresql":
        months = partitions.maintain(session.connection(), now=now or utcnow(), ahead=MONTHS_AHEAD)
        made = [partitions.partition_name(m) for m in months]
    return Upkeep(partitions_made=made, backlog_taken=rollups.refresh(session=session))


async def keep_up_every(
    *, sessions: sessionmaker[Session], stop: asyncio.Event, every_s: float = EVERY_S
) -> None:
    """Run `keep_up` every `every_s` seconds, each run in its own transaction."""

    def run_once() -> Upkeep:
        with sessions.begin() as session:
            return keep_up(session=session)

    while not stop.is_set():
        try:
            done = await asyncio.to_thread(run_once)
        except Exception:  # the job goes on; the next run retries what this one left
            log.exception("energy upkeep run failed")
        else:
            if done.partitions_made:
                log.info("made readings partitions %s", ", ".join(done.partitions_made))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)

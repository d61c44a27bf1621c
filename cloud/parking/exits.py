"""The answer to an exit gate's question "is this plate's session paid?", and the gate events
the agents report, turned into sessions."""

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cloud.energy.models import Meter
from cloud.ingest.models import DeviceEvent, EdgeAgent
from cloud.parking import sessions
from cloud.parking.models import EventCursor
from cloud.properties.models import Site
from protocols.gate import GATE_ENTRY, GATE_EXIT, ExitAnswer, ExitQuery, GatePassageData

CURSOR = "parking-gates"


def site_of_agent(session: Session, site_code: str, agent_code: str) -> Site | None:
    """The site an agent's topic names (agent codes are unique across orgs on a broker)."""
    stmt = (
        select(Site)
        .join(EdgeAgent, EdgeAgent.site_id == Site.id)
        .where(Site.code == site_code, EdgeAgent.code == agent_code)
    )
    return session.scalar(stmt)


def answer_exit(*, session: Session, query: ExitQuery) -> ExitAnswer:
    """Whether the plate's open session is paid at `query.ts`, or what it owes."""
    site = site_of_agent(session, query.site, query.agent)
    parked = sessions.find_open(session, site.id, query.plate) if site else None
    if parked is None:
        detail = "unknown site or agent" if site is None else "no open session for this plate"
        return ExitAnswer(id=query.id, plate=query.plate, paid=False, detail=detail)
    quote = sessions.quote_for(session, parked, query.ts)
    return ExitAnswer(
        id=query.id,
        plate=parked.plate,
        paid=quote.amount_due == 0,
        amount_due=quote.amount_due,
        session_id=str(parked.id),
        leave_by=quote.leave_by,
        detail=f"{parked.kind}",
    )


def move_cursor(
    session: Session, name: str, stmt: Select[DeviceEvent], limit: int
) -> list[DeviceEvent]:
    """The next events `stmt` selects after the cursor `name`, which moves past them (the
    caller's transaction keeps the two together; the row lock keeps runs apart)."""
    cursor = session.get(EventCursor, name, with_for_update=True)
    if cursor is None:
        cursor = EventCursor(name=name, last_event_id=0)
        session.add(cursor)
        session.flush()
    stmt = stmt.where(DeviceEvent.id > cursor.last_event_id).order_by(DeviceEvent.id).limit(limit)
    events = list(session.scalars(stmt))
    if events:
        cursor.last_event_id = events[-1].id
    return events


def event_site(session: Session, event: DeviceEvent) -> Site | None:
    """The site of the agent or device that reported `event`."""
    if event.agent_id is not None:
        agent = session.get(EdgeAgent, event.agent_id)
        return session.get(Site, agent.site_id) if agent else None
    meter = session.get(Meter, event.device_id) if event.device_id else None
    return session.get(Site, meter.site_id) if meter else None


def take_gate_events(*, session: Session, limit: int = 1000) -> int:
    """Open and close sessions from the gate events ingest stored since the last run; only
    passages where the barrier opened move a car. Returns how many events were read."""
    stmt = select(DeviceEvent).where(DeviceEvent.event.in_((GATE_ENTRY, GATE_EXIT)))
    events = move_cursor(session, CURSOR, stmt, limit)
    for event in events:
        site = event_site(session, event)
        passage = _passage(event.data)
        if site is not None and passage is not None and passage.opened and passage.plate:
            _record(session, site, passage, event.ts)
    session.flush()
    return len(events)


def _passage(data: dict[str, Any]) -> GatePassageData | None:
    try:
        return GatePassageData.model_validate(data)
    except ValidationError:
        return None  # ingest checked the envelope; a payload we cannot read moves no car


def _record(session: Session, site: Site, passage: GatePassageData, at: datetime) -> None:
    record = sessions.record_entry if passage.direction == "entry" else sessions.record_exit
    record(session=session, site=site, plate=passage.plate, at=at, gate_code=passage.gate)

"""The door log from the door events ingest stored, linked to the alarms in it: a door forced
or held open raises the door alarm, whose rule opens one work order while it is open."""

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.access.models import Door, DoorEvent
from cloud.alarms import rules as alarm_rules
from cloud.alarms import service as alarms_service
from cloud.ingest.models import DeviceEvent
from cloud.parking.exits import event_site, move_cursor
from cloud.properties.models import Site
from protocols.gate import DOOR_EVENTS, DoorEventData

log = logging.getLogger(__name__)

CURSOR = "access-doors"
ALARMS = frozenset(alarm_rules.DOOR_AND_GATE_EVENTS)


def take_door_events(*, session: Session, limit: int = 1000) -> int:
    """Log the door events stored since the last run, raising alarms; returns how many."""
    stmt = select(DeviceEvent).where(DeviceEvent.event.in_(DOOR_EVENTS))
    events = move_cursor(session, CURSOR, stmt, limit)
    for event in events:
        site = event_site(session, event)
        data = _data(event.data)
        if site is None or data is None:
            continue
        row = DoorEvent(
            org_id=site.org_id,
            site_id=site.id,
            event_id=event.id,
            door=data.door,
            event=event.event,
            ts=event.ts,
            person=data.person,
            credential_kind=data.credential_kind,
            credential_ref=data.credential_ref,
            reason=data.reason,
        )
        if event.event in ALARMS:
            row.work_order_id = _alarm(session, site, data.door, event)
        session.add(row)
    session.flush()
    return len(events)


def _data(data: dict[str, Any]) -> DoorEventData | None:
    try:
        return DoorEventData.model_validate(data)
    except ValidationError:
        return None


def _alarm(session: Session, site: Site, door_code: str, event: DeviceEvent) -> int | None:
    """The work order of the door's alarm. Ingest raised the alarm when the event arrived;
    raising it again for the same event counts nothing (it is no newer than the alarm's last),
    so events stored by other paths are alarmed too. Without the rule, no work order."""
    rule = alarm_rules.find_rule(session, site.org_id, alarm_rules.DOOR_GATE_RULE)
    if rule is None:
        log.warning("door %s: %s, but the org has no door alarm rule", door_code, event.event)
        return None
    door = session.scalar(select(Door).where(Door.site_id == site.id, Door.code == door_code))
    name = door.name if door else door_code
    message = f"{door_code}: {event.event} ({site.name} {name})"
    alarm = alarms_service.raise_alarm(
        session=session, rule=rule, subject=door_code, message=message, at=event.ts
    )
    return alarm.work_order_id

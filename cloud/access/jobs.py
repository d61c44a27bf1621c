"""The door log from the door events ingest stored, and the alarms in it: a door forced or
held open opens a work order (one per door and kind while it is open; repeats join it)."""

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.access.models import Door, DoorEvent
from cloud.errors import Invalid
from cloud.ingest.models import DeviceEvent
from cloud.parking.exits import event_site, move_cursor
from cloud.properties.models import Site
from cloud.workorders import service as workorders_service
from cloud.workorders.models import Priority
from protocols.gate import DOOR_EVENTS, DOOR_FORCED_OPEN, DOOR_HELD_OPEN, DoorEventData

log = logging.getLogger(__name__)

CURSOR = "access-doors"
ALARM_CATEGORY = "ACCESS"
"""The work-order category door alarms are opened in (the demo seeds it: 门禁道闸)."""
ALARMS = {DOOR_FORCED_OPEN: "forced open", DOOR_HELD_OPEN: "held open"}


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
    door = session.scalar(select(Door).where(Door.site_id == site.id, Door.code == door_code))
    name = door.name if door else door_code
    what = ALARMS[event.event]
    try:
        order = workorders_service.open_for_alarm(
            session=session,
            org_id=site.org_id,
            alarm_key=f"{event.event}:{site.code}:{door_code}",
            title=f"门 {name} {what} / door {what}",
            category_code=ALARM_CATEGORY,
            priority=Priority.urgent if event.event == DOOR_FORCED_OPEN else Priority.high,
            location=f"{site.name} {name}",
            at=event.ts,
        )
    except Invalid as exc:  # the org has no ACCESS category: the log still has the event
        log.warning("door alarm %s at %s without a work order: %s", what, door_code, exc)
        return None
    return order.id

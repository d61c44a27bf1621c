"""Rules evaluated as data arrives: device and agent events, reverse energy. Called by ingest
in the transaction that stores the batch, so an alarm exists exactly when its data does."""

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.alarms import rules as alarm_rules
from cloud.alarms.models import AlarmRule, RuleKind
from cloud.alarms.service import raise_alarm
from cloud.devices.service import find_agent
from cloud.energy.models import Meter
from cloud.ingest.checks import DataUplink, Uplink
from cloud.ingest.models import EdgeAgent
from protocols.gate import EQUIPMENT_EVENTS
from protocols.messages import EventRecord, ReadingRecord

log = logging.getLogger(__name__)

ACTIVE_POWER = "active_power"


def evaluate_uplinks_safely(*, session: Session, uplinks: Sequence[Uplink]) -> int:
    """`evaluate_uplinks` in a savepoint: a failing rule is logged and never costs ingest its
    batch. Returns the number of alarms raised or counted."""
    try:
        with session.begin_nested():
            return evaluate_uplinks(session=session, uplinks=uplinks)
    except Exception:
        log.exception("alarm rules failed on an ingest batch; the batch is stored without them")
        return 0


def evaluate_uplinks(*, session: Session, uplinks: Sequence[Uplink]) -> int:
    """Raise the alarms the records of `uplinks` call for. Flushes, never commits.

    Rules are matched in memory first; the database is asked about devices only for records
    that trip a rule, so ordinary readings cost one lookup of agent and rules per batch."""
    raised = 0
    seen: dict[tuple[str, str], tuple[EdgeAgent, list[AlarmRule]] | None] = {}
    for uplink in uplinks:
        if not isinstance(uplink, DataUplink):
            continue
        key = (uplink.topic.site, uplink.topic.agent)
        if key not in seen:
            agent = find_agent(session, *key)
            seen[key] = (agent, _rules(session, agent.org_id)) if agent is not None else None
        found = seen[key]
        if found is not None and found[1]:
            raised += _evaluate(session, *found, uplink)
    return raised


def _rules(session: Session, org_id: int) -> list[AlarmRule]:
    kinds = (RuleKind.event, RuleKind.reverse_energy)
    return list(
        session.scalars(
            select(AlarmRule).where(
                AlarmRule.org_id == org_id, AlarmRule.enabled, AlarmRule.kind.in_(kinds)
            )
        )
    )


def _evaluate(
    session: Session, agent: EdgeAgent, rules: list[AlarmRule], uplink: DataUplink
) -> int:
    tripped = [
        (record, rule, message)
        for i, record in enumerate(uplink.batch.records)
        if i not in uplink.refused  # a dead letter, not data
        for rule in rules
        if (message := _message(rule, record)) is not None
    ]
    if not tripped:
        return 0
    codes = {record.device for record, _, _ in tripped}
    known = set(
        session.scalars(select(Meter.code).where(Meter.agent_id == agent.id, Meter.code.in_(codes)))
    )
    known.add(agent.code)  # an agent reports events about itself under its own code
    raised = 0
    for record, rule, message in tripped:
        # else an unknown device's record: a dead letter
        if record.device in known or _of_equipment(record):
            raise_alarm(
                session=session, rule=rule, subject=record.device, message=message, at=record.ts
            )
            raised += 1
    return raised


def _of_equipment(record: ReadingRecord | EventRecord) -> bool:
    """A gate's, door's or lock's event: ingest keeps it as the agent's (see ingest.service)."""
    return isinstance(record, EventRecord) and record.event in EQUIPMENT_EVENTS


def _message(rule: AlarmRule, record: ReadingRecord | EventRecord) -> str | None:
    """What is wrong, if `record` trips `rule`."""
    if isinstance(record, EventRecord):
        if rule.kind == RuleKind.event and record.event in alarm_rules.events(rule):
            return f"{record.device}: {record.event}"
        return None
    if rule.kind == RuleKind.reverse_energy and isinstance(record, ReadingRecord):
        power = record.values.get(ACTIVE_POWER)
        below = alarm_rules.number(rule, "below_kw")
        if power is not None and power < below:
            return f"{record.device}: active power {power:g} kW (energy flowing back)"
    return None

"""Rules evaluated on ingest: door and gate events, the agent's outbox, reverse energy; the
work order a rule opens and the notices."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.alarms import notify, service
from cloud.alarms.evaluate import evaluate_uplinks
from cloud.alarms.models import Alarm, AlarmRule, AlarmState
from cloud.ingest import consumer
from cloud.ingest.checks import check_uplink
from cloud.workorders.models import WorkOrder
from protocols.gate import DOOR_FORCED_OPEN, DOOR_HELD_OPEN
from protocols.messages import DataBatch, EventRecord, ReadingRecord
from tests.cloud.alarms.conftest import minutes_ago
from tests.cloud.factories import World

_seq = iter(range(1, 1_000_000))


def _event(name: str, at: datetime, *, device: str = "M-PUB") -> EventRecord:
    return EventRecord(agent="agent1", boot=1, seq=next(_seq), device=device, ts=at, event=name)


def _power(kw: float, at: datetime, *, device: str = "M-101") -> ReadingRecord:
    values = {"active_power": kw, "energy_import": 100.0}
    return ReadingRecord(
        agent="agent1", boot=1, seq=next(_seq), device=device, ts=at, values=values
    )


def _send(sessions: sessionmaker[Session], *records: EventRecord | ReadingRecord) -> None:
    """Take the records in as the ingest worker does: one transaction, alarms included."""
    payload = DataBatch(site="site1", agent="agent1", records=list(records)).model_dump_json()
    topic = "parkops/v1/site1/agent1/up/data"
    consumer._write(sessions, [check_uplink(topic, payload.encode(), datetime.now(UTC))])


def _alarms(session: Session, rule: AlarmRule) -> list[Alarm]:
    session.expire_all()
    return list(session.scalars(select(Alarm).where(Alarm.rule_id == rule.id).order_by(Alarm.id)))


def _orders(session: Session) -> list[WorkOrder]:
    return list(session.scalars(select(WorkOrder).where(WorkOrder.alarm_key.is_not(None))))


@pytest.fixture
def notices() -> Iterator[list[notify.AlarmNotice]]:
    heard: list[notify.AlarmNotice] = []
    remove = notify.add_notifier(heard.append)
    yield heard
    remove()


def test_a_door_alarm_is_raised_counted_and_cleared(
    session: Session,
    sessions: sessionmaker[Session],
    world: World,
    rules: dict[str, AlarmRule],
    notices: list[notify.AlarmNotice],
) -> None:
    first = minutes_ago(10)
    _send(sessions, _event(DOOR_FORCED_OPEN, first))
    _send(sessions, _event(DOOR_FORCED_OPEN, first + timedelta(minutes=1)))
    [alarm] = _alarms(session, rules["door-gate"])
    assert (alarm.state, alarm.count, alarm.subject) == (AlarmState.raised, 2, "M-PUB")
    [order] = _orders(session)
    assert alarm.work_order_id == order.id and order.alarm_count == 2
    assert [(n.change, n.subject) for n in notices] == [("raised", "M-PUB")]

    engineer = world.actors["engineer"]
    service.acknowledge(session=session, actor=engineer, alarm_id=alarm.id, note="on my way")
    session.commit()
    _send(sessions, _event(DOOR_HELD_OPEN, first + timedelta(minutes=2)))
    [alarm] = _alarms(session, rules["door-gate"])
    assert (alarm.state, alarm.count, alarm.ack_note) == (AlarmState.acknowledged, 3, "on my way")

    service.clear(session=session, actor=engineer, alarm_id=alarm.id, note="door fixed")
    session.commit()
    assert notices[-1].change == "cleared"
    _send(sessions, _event(DOOR_HELD_OPEN, first + timedelta(minutes=3)))
    cleared, again = _alarms(session, rules["door-gate"])
    assert (cleared.state, cleared.clear_note, cleared.open_key) == (
        AlarmState.cleared,
        "door fixed",
        None,
    )
    assert (again.state, again.count) == (AlarmState.raised, 1)


def test_a_record_sent_again_is_not_counted_again(
    session: Session, world: World, rules: dict[str, AlarmRule]
) -> None:
    at = minutes_ago(5)
    payload = DataBatch(site="site1", agent="agent1", records=[_event(DOOR_FORCED_OPEN, at)])
    uplink = check_uplink(
        "parkops/v1/site1/agent1/up/data", payload.model_dump_json().encode(), datetime.now(UTC)
    )
    evaluate_uplinks(session=session, uplinks=[uplink])
    evaluate_uplinks(session=session, uplinks=[uplink])
    [alarm] = _alarms(session, rules["door-gate"])
    assert alarm.count == 1


def test_an_alarm_storm_opens_one_work_order(
    session: Session, sessions: sessionmaker[Session], world: World, rules: dict[str, AlarmRule]
) -> None:
    start = minutes_ago(30)
    storm = [_event(DOOR_FORCED_OPEN, start + timedelta(seconds=s)) for s in range(40)]
    _send(sessions, *storm[:20])
    _send(sessions, *storm[20:])
    [alarm] = _alarms(session, rules["door-gate"])
    assert alarm.count == 40
    [order] = _orders(session)
    assert order.alarm_count == 40 and order.category.code == "ACCESS"


def test_outbox_nearly_full_is_an_alarm_of_the_agent(
    session: Session, sessions: sessionmaker[Session], world: World, rules: dict[str, AlarmRule]
) -> None:
    _send(sessions, _event("outbox_nearly_full", minutes_ago(1), device="agent1"))
    [alarm] = _alarms(session, rules["outbox-full"])
    assert alarm.subject == "agent1" and alarm.rule.severity == "critical"
    assert alarm.work_order_id is None and _orders(session) == []


def test_reverse_energy_raises_on_negative_power_only(
    session: Session, sessions: sessionmaker[Session], world: World, rules: dict[str, AlarmRule]
) -> None:
    _send(sessions, _power(1.5, minutes_ago(3)), _event("cover_open", minutes_ago(3)))
    assert _alarms(session, rules["reverse-energy"]) == []
    _send(sessions, _power(-0.8, minutes_ago(2)))
    _send(sessions, _power(-0.9, minutes_ago(1)))
    [alarm] = _alarms(session, rules["reverse-energy"])
    assert alarm.subject == "M-101" and "-0.9" in alarm.message and alarm.count == 2
    assert alarm.work_order_id is not None  # the rule opens ELEC jobs
    service.clear(session=session, actor=world.actors["admin"], alarm_id=alarm.id, note="CT fixed")
    session.commit()
    _send(sessions, _power(1.2, minutes_ago(0.5)))
    [alarm] = _alarms(session, rules["reverse-energy"])
    assert alarm.state == AlarmState.cleared


def test_a_disabled_rule_and_an_unknown_device_raise_nothing(
    session: Session, sessions: sessionmaker[Session], world: World, rules: dict[str, AlarmRule]
) -> None:
    _send(sessions, _event("outbox_nearly_full", minutes_ago(2), device="NOT-A-METER"))
    assert _alarms(session, rules["outbox-full"]) == []  # neither the agent nor a device of it
    rule = session.get(AlarmRule, rules["door-gate"].id)
    assert rule is not None
    rule.enabled = False
    session.commit()
    _send(sessions, _event(DOOR_FORCED_OPEN, minutes_ago(1)))
    assert _alarms(session, rules["door-gate"]) == []

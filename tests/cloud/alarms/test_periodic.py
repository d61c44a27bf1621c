"""Rules evaluated on a clock: a meter gone silent, consumption far above its baseline."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.alarms.jobs import evaluate_periodic
from cloud.alarms.models import Alarm, AlarmRule, AlarmState
from tests.cloud.factories import World, add_readings

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _alarms(session: Session, rule: AlarmRule) -> list[Alarm]:
    return list(session.scalars(select(Alarm).where(Alarm.rule_id == rule.id).order_by(Alarm.id)))


def test_a_silent_meter_raises_once_and_clears_when_it_reports(
    session: Session, world: World, rules: dict[str, AlarmRule]
) -> None:
    meter = world.meters["M-102"]
    add_readings(session, meter, [(NOW - timedelta(minutes=40), 10.0)])
    add_readings(session, world.meters["M-101"], [(NOW - timedelta(minutes=5), 10.0)])
    evaluate_periodic(session=session, now=NOW)
    evaluate_periodic(session=session, now=NOW + timedelta(minutes=1))
    [alarm] = _alarms(session, rules["meter-offline"])  # M-101 reports; M-PUB never did
    assert (alarm.subject, alarm.count, alarm.state) == ("M-102", 1, AlarmState.raised)
    assert "no reading for 40 minutes" in alarm.message
    assert alarm.work_order_id is not None  # the rule opens ELEC jobs

    add_readings(session, meter, [(NOW + timedelta(minutes=2), 11.0)])
    evaluate_periodic(session=session, now=NOW + timedelta(minutes=3))
    [alarm] = _alarms(session, rules["meter-offline"])
    assert alarm.state == AlarmState.cleared and alarm.cleared_by_id is None


def _hour(session: Session, world: World, end: datetime, kwh: float) -> None:
    """Register readings an hour apart on M-102 (CT ratio 1): `kwh` used in the hour."""
    add_readings(
        session, world.meters["M-102"], [(end - timedelta(hours=1), 1000.0), (end, 1000.0 + kwh)]
    )


def test_consumption_far_above_its_hour_of_week_baseline(
    session: Session, world: World, rules: dict[str, AlarmRule]
) -> None:
    for week in (1, 2, 3):
        _hour(session, world, NOW - timedelta(weeks=week), 4.0)
    _hour(session, world, NOW, 20.0)  # 5 times the baseline; the rule's factor is 3
    evaluate_periodic(session=session, now=NOW)
    [alarm] = _alarms(session, rules["consumption-high"])
    assert alarm.subject == "M-102" and "20.0 kWh" in alarm.message and "4.0 kWh" in alarm.message

    later = NOW + timedelta(hours=2)
    _hour(session, world, later - timedelta(weeks=1), 4.0)
    _hour(session, world, later, 5.0)  # normal again
    evaluate_periodic(session=session, now=later)
    [alarm] = _alarms(session, rules["consumption-high"])
    assert alarm.state == AlarmState.cleared


def test_no_baseline_no_alarm(session: Session, world: World, rules: dict[str, AlarmRule]) -> None:
    _hour(session, world, NOW, 50.0)
    evaluate_periodic(session=session, now=NOW)
    assert _alarms(session, rules["consumption-high"]) == []

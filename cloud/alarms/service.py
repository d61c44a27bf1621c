"""The alarm lifecycle: raised (once per rule and subject; repeats count), acknowledged,
cleared; the work order a rule asks for, and the notices."""

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.alarms import notices, rules
from cloud.alarms.models import Alarm, AlarmRule, AlarmState, Severity
from cloud.alarms.notify import AlarmNotice, notify
from cloud.db.base import utcnow
from cloud.errors import Conflict, NotFound, ParkopsError
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.workorders import service as workorders_service
from cloud.workorders.models import Priority

log = logging.getLogger(__name__)

VIEWERS = (Role.admin, Role.staff, Role.engineer)
HANDLERS = (Role.admin, Role.engineer)
PRIORITY = {Severity.critical: Priority.urgent, Severity.major: Priority.high}
"""The priority of the work order an alarm opens, by the rule's severity (else normal)."""
OPEN = (AlarmState.raised, AlarmState.acknowledged)


def _open_key(rule: AlarmRule, subject: str) -> str:
    return f"{rule.code}:{subject}"


notices.install()  # every process that raises alarms imports this module


def find_open(session: Session, rule: AlarmRule, subject: str) -> Alarm | None:
    return session.scalar(
        select(Alarm).where(Alarm.org_id == rule.org_id, Alarm.open_key == _open_key(rule, subject))
    )


def raise_alarm(
    *,
    session: Session,
    rule: AlarmRule,
    subject: str,
    message: str,
    at: datetime | None = None,
    repeat: bool = True,
) -> Alarm:
    """The open alarm of `rule` for `subject`, raised now if there is none (system side).

    A repeat while it is open counts on it (`repeat`; a standing condition seen again by the
    periodic job is not a repeat), unless it is no newer than the last one counted: a record
    the edge sent again. Flushes, never commits."""
    at = at or utcnow()
    alarm = find_open(session, rule, subject)
    if alarm is not None:
        if repeat and at > alarm.last_at:
            alarm.count += 1
            alarm.last_at = at
            alarm.message = message
            _open_work_order(session, rule, alarm, subject, at)
        session.flush()
        return alarm
    alarm = Alarm(
        org_id=rule.org_id,
        rule_id=rule.id,
        subject=subject,
        open_key=_open_key(rule, subject),
        state=AlarmState.raised,
        message=message,
        count=1,
        raised_at=at,
        last_at=at,
        ack_note="",
        clear_note="",
    )
    try:
        with session.begin_nested():  # another ingest worker may raise the same alarm
            session.add(alarm)
    except IntegrityError:
        found = find_open(session, rule, subject)
        assert found is not None
        return raise_alarm(session=session, rule=rule, subject=subject, message=message, at=at)
    alarm.rule = rule
    _open_work_order(session, rule, alarm, subject, at)
    _notify(session, alarm, "raised")
    session.flush()
    return alarm


def _open_work_order(
    session: Session, rule: AlarmRule, alarm: Alarm, subject: str, at: datetime
) -> None:
    """Open (or count on) the rule's work order; an org without the category gets none."""
    if rule.work_order_category is None:
        return
    try:
        with session.begin_nested():
            order = workorders_service.open_for_alarm(
                session=session,
                org_id=rule.org_id,
                alarm_key=f"alarm:{_open_key(rule, subject)}",
                title=f"{rule.name}: {subject}",
                category_code=rule.work_order_category,
                priority=PRIORITY.get(rule.severity, Priority.normal),
                description=alarm.message,
                location=subject,
                at=at,
            )
    except ParkopsError as exc:
        log.warning("alarm %s opened no work order: %s", alarm.open_key, exc)
        return
    alarm.work_order_id = order.id


def _notify(session: Session, alarm: Alarm, change: str) -> None:
    notify(
        AlarmNotice(
            org_id=alarm.org_id,
            alarm_id=alarm.id,
            rule_code=alarm.rule.code,
            subject=alarm.subject,
            severity=alarm.rule.severity,
            message=alarm.message,
            change="raised" if change == "raised" else "cleared",
            session=session,
        )
    )


def _close(session: Session, alarm: Alarm, *, at: datetime, by_id: int | None, note: str) -> None:
    alarm.state = AlarmState.cleared
    alarm.open_key = None
    alarm.cleared_at = at
    alarm.cleared_by_id = by_id
    alarm.clear_note = note
    _notify(session, alarm, "cleared")


def clear_condition(
    *, session: Session, rule: AlarmRule, subject: str, note: str, at: datetime | None = None
) -> Alarm | None:
    """Clear the open alarm of `rule` for `subject` because its condition is gone (system)."""
    alarm = find_open(session, rule, subject)
    if alarm is not None:
        _close(session, alarm, at=at or utcnow(), by_id=None, note=note)
        session.flush()
    return alarm


def list_alarms(
    *, session: Session, actor: Actor, states: Sequence[AlarmState] = OPEN, limit: int = 500
) -> list[Alarm]:
    """The org's alarms in `states`, newest first."""
    require_role(actor, *VIEWERS)
    query = select(Alarm).where(Alarm.org_id == actor.org_id)
    if states:
        query = query.where(Alarm.state.in_(states))
    return list(session.scalars(query.order_by(Alarm.last_at.desc(), Alarm.id.desc()).limit(limit)))


def get_alarm(*, session: Session, actor: Actor, alarm_id: int) -> Alarm:
    require_role(actor, *VIEWERS)
    alarm = session.get(Alarm, alarm_id)
    if alarm is None or alarm.org_id != actor.org_id:
        raise NotFound(f"no alarm {alarm_id}")
    return alarm


def acknowledge(*, session: Session, actor: Actor, alarm_id: int, note: str = "") -> Alarm:
    """Someone is on it: the alarm stays open (repeats still count) until cleared."""
    require_role(actor, *HANDLERS)
    alarm = get_alarm(session=session, actor=actor, alarm_id=alarm_id)
    if alarm.state != AlarmState.raised:
        raise Conflict(f"alarm {alarm_id} is {alarm.state}, not raised")
    alarm.state = AlarmState.acknowledged
    alarm.acknowledged_at = utcnow()
    alarm.acknowledged_by_id = actor.user_id
    alarm.ack_note = note
    session.flush()
    return alarm


def clear(*, session: Session, actor: Actor, alarm_id: int, note: str = "") -> Alarm:
    """Close the alarm by hand; the next occurrence raises a new one."""
    require_role(actor, *HANDLERS)
    alarm = get_alarm(session=session, actor=actor, alarm_id=alarm_id)
    if alarm.state == AlarmState.cleared:
        raise Conflict(f"alarm {alarm_id} is already cleared")
    _close(session, alarm, at=utcnow(), by_id=actor.user_id, note=note)
    session.flush()
    return alarm


def list_rules(*, session: Session, actor: Actor) -> list[AlarmRule]:
    require_role(actor, *VIEWERS)
    query = select(AlarmRule).where(AlarmRule.org_id == actor.org_id).order_by(AlarmRule.code)
    return list(session.scalars(query))


def update_rule(
    *,
    session: Session,
    actor: Actor,
    code: str,
    enabled: bool | None = None,
    params: dict[str, Any] | None = None,
    severity: Severity | None = None,
    work_order_category: str | None = None,
    clear_work_order_category: bool = False,
) -> AlarmRule:
    """Change a rule of the org (admins): switch it, tune its parameters, its severity, the
    work-order category it opens jobs in (or none). Flushes, never commits."""
    require_role(actor, Role.admin)
    rule = session.scalar(
        select(AlarmRule).where(AlarmRule.org_id == actor.org_id, AlarmRule.code == code)
    )
    if rule is None:
        raise NotFound(f"no alarm rule {code}")
    if params is not None:
        rules.check_params(rule.kind, params)
        rule.params = dict(params)
    if enabled is not None:
        rule.enabled = enabled
    if severity is not None:
        rule.severity = severity
    if clear_work_order_category:
        rule.work_order_category = None
    elif work_order_category is not None:
        rule.work_order_category = work_order_category
    session.flush()
    return rule


def count_open(session: Session) -> dict[str, int]:
    """Open alarms by severity, all orgs (for metrics)."""
    rows = session.execute(
        select(AlarmRule.severity, func.count())
        .join(Alarm, Alarm.rule_id == AlarmRule.id)
        .where(Alarm.state.in_(OPEN))
        .group_by(AlarmRule.severity)
    )
    return {str(severity): n for severity, n in rows}

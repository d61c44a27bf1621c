"""Alarms over REST: list (open by default), acknowledge, clear; the rules."""

from typing import Annotated

from fastapi import APIRouter, Query

from cloud.alarms import service
from cloud.alarms.models import AlarmState
from cloud.alarms.schemas import AlarmNote, AlarmRead, RuleRead, RuleUpdate
from cloud.deps import CurrentActor, SessionDep

router = APIRouter(prefix="/alarms", tags=["alarms"])


@router.get("", response_model=list[AlarmRead])
def list_alarms(
    session: SessionDep,
    actor: CurrentActor,
    state: Annotated[list[AlarmState] | None, Query()] = None,
) -> list[AlarmRead]:
    """Open alarms (raised or acknowledged) unless `state` says which."""
    alarms = service.list_alarms(session=session, actor=actor, states=state or service.OPEN)
    return [AlarmRead.of(alarm) for alarm in alarms]


@router.get("/rules", response_model=list[RuleRead])
def list_alarm_rules(session: SessionDep, actor: CurrentActor) -> list[RuleRead]:
    return [RuleRead.of(rule) for rule in service.list_rules(session=session, actor=actor)]


@router.patch("/rules/{code}", response_model=RuleRead)
def update_alarm_rule(
    code: str, body: RuleUpdate, session: SessionDep, actor: CurrentActor
) -> RuleRead:
    given = body.model_dump(exclude_unset=True)
    rule = service.update_rule(
        session=session,
        actor=actor,
        code=code,
        enabled=body.enabled,
        params=body.params,
        severity=body.severity,
        work_order_category=body.work_order_category,
        clear_work_order_category="work_order_category" in given
        and body.work_order_category is None,
    )
    return RuleRead.of(rule)


@router.get("/{alarm_id}", response_model=AlarmRead)
def get_alarm(alarm_id: int, session: SessionDep, actor: CurrentActor) -> AlarmRead:
    return AlarmRead.of(service.get_alarm(session=session, actor=actor, alarm_id=alarm_id))


@router.post("/{alarm_id}/acknowledge", response_model=AlarmRead)
def acknowledge_alarm(
    alarm_id: int, body: AlarmNote, session: SessionDep, actor: CurrentActor
) -> AlarmRead:
    alarm = service.acknowledge(session=session, actor=actor, alarm_id=alarm_id, note=body.note)
    return AlarmRead.of(alarm)


@router.post("/{alarm_id}/clear", response_model=AlarmRead)
def clear_alarm(
    alarm_id: int, body: AlarmNote, session: SessionDep, actor: CurrentActor
) -> AlarmRead:
    alarm = service.clear(session=session, actor=actor, alarm_id=alarm_id, note=body.note)
    return AlarmRead.of(alarm)

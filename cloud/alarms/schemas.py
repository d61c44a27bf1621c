"""What the alarm API reads and writes."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from cloud.alarms.models import Alarm, AlarmRule, AlarmState, RuleKind, Severity


class AlarmRead(BaseModel):
    id: int
    rule_code: str
    rule_name: str
    severity: Severity
    subject: str
    state: AlarmState
    message: str
    count: int
    raised_at: datetime
    last_at: datetime
    acknowledged_at: datetime | None
    ack_note: str
    cleared_at: datetime | None
    clear_note: str
    work_order_id: int | None

    @classmethod
    def of(cls, alarm: Alarm) -> "AlarmRead":
        return cls(
            id=alarm.id,
            rule_code=alarm.rule.code,
            rule_name=alarm.rule.name,
            severity=alarm.rule.severity,
            subject=alarm.subject,
            state=alarm.state,
            message=alarm.message,
            count=alarm.count,
            raised_at=alarm.raised_at,
            last_at=alarm.last_at,
            acknowledged_at=alarm.acknowledged_at,
            ack_note=alarm.ack_note,
            cleared_at=alarm.cleared_at,
            clear_note=alarm.clear_note,
            work_order_id=alarm.work_order_id,
        )


class AlarmNote(BaseModel):
    note: str = Field(default="", max_length=2000)


class RuleRead(BaseModel):
    code: str
    name: str
    kind: RuleKind
    params: dict[str, Any]
    severity: Severity
    work_order_category: str | None
    enabled: bool

    @classmethod
    def of(cls, rule: AlarmRule) -> "RuleRead":
        return cls(
            code=rule.code,
            name=rule.name,
            kind=rule.kind,
            params=rule.params,
            severity=rule.severity,
            work_order_category=rule.work_order_category,
            enabled=rule.enabled,
        )


class RuleUpdate(BaseModel):
    """Only the fields given change; `work_order_category: null` stops the rule opening jobs."""

    enabled: bool | None = None
    params: dict[str, Any] | None = None
    severity: Severity | None = None
    work_order_category: str | None = Field(default=None, max_length=64)

"""The rules every org starts with, and how a rule's parameters are read."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.alarms.models import AlarmRule, RuleKind, Severity
from cloud.errors import Invalid
from protocols.gate import DOOR_FORCED_OPEN, DOOR_HELD_OPEN

OUTBOX_NEARLY_FULL = "outbox_nearly_full"
"""The event an edge agent sends about itself when its outbox fills (`edge.outbox`)."""
DOOR_AND_GATE_EVENTS = (DOOR_FORCED_OPEN, DOOR_HELD_OPEN)
DOOR_GATE_RULE = "door-gate"

# code, name, kind, params, severity, work-order category (None: no job)
DEFAULT_RULES: tuple[tuple[str, str, RuleKind, dict[str, Any], Severity, str | None], ...] = (
    (
        "meter-offline",
        "电表离线 Meter offline",
        RuleKind.meter_offline,
        {"minutes": 15},
        Severity.major,
        "ELEC",
    ),
    (
        "consumption-high",
        "用电高于基线 Consumption above baseline",
        RuleKind.consumption_baseline,
        {"factor": 3.0, "weeks": 4, "min_kwh": 1.0},
        Severity.minor,
        None,
    ),
    (
        "reverse-energy",
        "反向电能 Reverse energy",
        RuleKind.reverse_energy,
        {"below_kw": -0.05},
        Severity.major,
        "ELEC",
    ),
    (
        "outbox-full",
        "边缘缓存将满 Edge outbox nearly full",
        RuleKind.event,
        {"events": [OUTBOX_NEARLY_FULL]},
        Severity.critical,
        None,
    ),
    (
        DOOR_GATE_RULE,
        "门禁道闸告警 Door or gate alarm",
        RuleKind.event,
        {"events": list(DOOR_AND_GATE_EVENTS)},
        Severity.critical,
        "ACCESS",
    ),
)


def install_default_rules(*, session: Session, org_id: int) -> list[AlarmRule]:
    """Add the default rules the org lacks (by code); idempotent. Flushes, never commits."""
    have = set(session.scalars(select(AlarmRule.code).where(AlarmRule.org_id == org_id)))
    added = [
        AlarmRule(
            org_id=org_id,
            code=code,
            name=name,
            kind=kind,
            params=dict(params),
            severity=severity,
            work_order_category=category,
            enabled=True,
        )
        for code, name, kind, params, severity, category in DEFAULT_RULES
        if code not in have
    ]
    session.add_all(added)
    session.flush()
    return added


def find_rule(session: Session, org_id: int, code: str) -> AlarmRule | None:
    """The org's enabled rule `code`, if it has one."""
    return session.scalar(
        select(AlarmRule).where(
            AlarmRule.org_id == org_id, AlarmRule.code == code, AlarmRule.enabled
        )
    )


def number(rule: AlarmRule, name: str) -> float:
    """A numeric parameter of `rule`, or Invalid naming it."""
    value = rule.params.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"rule {rule.code} needs a number {name}", field=f"params.{name}")
    return float(value)


def events(rule: AlarmRule) -> frozenset[str]:
    value = rule.params.get("events", [])
    return (
        frozenset(e for e in value if isinstance(e, str))
        if isinstance(value, list)
        else frozenset()
    )


REQUIRED_NUMBERS: dict[RuleKind, tuple[str, ...]] = {
    RuleKind.meter_offline: ("minutes",),
    RuleKind.consumption_baseline: ("factor", "weeks", "min_kwh"),
    RuleKind.reverse_energy: ("below_kw",),
    RuleKind.event: (),
}


def check_params(kind: RuleKind, params: dict[str, Any]) -> None:
    """Invalid unless `params` holds what a rule of `kind` reads."""
    probe = AlarmRule(code=kind.value, kind=kind, params=params)
    for name in REQUIRED_NUMBERS[kind]:
        if number(probe, name) <= 0 and name != "below_kw":
            raise Invalid(f"{name} must be above zero", field=f"params.{name}")
    if kind == RuleKind.event and not events(probe):
        raise Invalid("an event rule needs a list of event names", field="params.events")

"""Rules evaluated on a clock: meters gone silent, consumption far above its baseline.
`parkops cloud alarms` runs them once or every N seconds; the demo runs them every minute."""

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.alarms import rules as alarm_rules
from cloud.alarms.models import AlarmRule, RuleKind
from cloud.alarms.service import clear_condition, raise_alarm
from cloud.db.base import utcnow
from cloud.energy.models import Meter, Reading
from protocols.profiles import ENERGY_IMPORT

log = logging.getLogger(__name__)

EVALUATE_EVERY_S = 60.0
HOUR = timedelta(hours=1)
WEEK = timedelta(weeks=1)
REGISTER_TOLERANCE = timedelta(minutes=15)
"""A register reading this close before an hour boundary stands for the boundary."""


def evaluate_periodic(*, session: Session, now: datetime | None = None) -> int:
    """Evaluate every enabled clock rule of every org; raise or clear. Returns alarms open
    under those rules afterwards. Flushes, never commits; harmless to run often."""
    now = now or utcnow()
    open_count = 0
    periodic = (RuleKind.meter_offline, RuleKind.consumption_baseline)
    rules = session.scalars(
        select(AlarmRule)
        .where(AlarmRule.enabled, AlarmRule.kind.in_(periodic))
        .order_by(AlarmRule.id)
    )
    for rule in list(rules):
        meters = list(session.scalars(select(Meter).where(Meter.org_id == rule.org_id)))
        check = _offline if rule.kind == RuleKind.meter_offline else _above_baseline
        for meter in meters:
            problem = check(session, rule, meter, now)
            if problem is not None:
                raise_alarm(
                    session=session,
                    rule=rule,
                    subject=meter.code,
                    message=problem,
                    at=now,
                    repeat=False,
                )
                open_count += 1
            else:
                clear_condition(session=session, rule=rule, subject=meter.code, note="ok", at=now)
    session.flush()
    return open_count


def _offline(session: Session, rule: AlarmRule, meter: Meter, now: datetime) -> str | None:
    """A meter that has reported before but nothing for `minutes` (one never heard from is
    not yet installed, not offline)."""
    minutes = alarm_rules.number(rule, "minutes")
    last = session.scalar(select(func.max(Reading.ts)).where(Reading.device_id == meter.id))
    if last is None or now - last <= timedelta(minutes=minutes):
        return None
    silent = int((now - last).total_seconds() // 60)
    return f"{meter.code}: no reading for {silent} minutes (since {last.isoformat()})"


def _register(session: Session, meter_id: int, at: datetime) -> float | None:
    """The import register at `at`: its last reading at or shortly before."""
    return session.scalar(
        select(Reading.value)
        .where(
            Reading.device_id == meter_id,
            Reading.metric == ENERGY_IMPORT,
            Reading.ts <= at,
            Reading.ts > at - REGISTER_TOLERANCE,
        )
        .order_by(Reading.ts.desc())
        .limit(1)
    )


def _energy(session: Session, meter: Meter, end: datetime) -> float | None:
    """kWh imported in the hour before `end` (register difference), if both ends are known."""
    after, before = _register(session, meter.id, end), _register(session, meter.id, end - HOUR)
    if after is None or before is None or after < before:
        return None  # a gap, or a replaced meter: no figure rather than a wrong one
    return (after - before) * float(meter.ct_ratio)


def _above_baseline(session: Session, rule: AlarmRule, meter: Meter, now: datetime) -> str | None:
    """The last hour's energy against the mean of the same hour of the week in past weeks."""
    factor = alarm_rules.number(rule, "factor")
    weeks = int(alarm_rules.number(rule, "weeks"))
    floor = alarm_rules.number(rule, "min_kwh")
    current = _energy(session, meter, now)
    if current is None or current < floor:
        return None
    past = [
        e for k in range(1, weeks + 1) if (e := _energy(session, meter, now - k * WEEK)) is not None
    ]
    if not past:
        return None  # no baseline yet
    baseline = sum(past) / len(past)
    if current <= factor * baseline:
        return None
    return (
        f"{meter.code}: {current:.1f} kWh in the last hour, {factor:g}× over its baseline of "
        f"{baseline:.1f} kWh for this hour of the week"
    )


async def watch_alarms(
    *, sessions: sessionmaker[Session], stop: asyncio.Event, every_s: float = EVALUATE_EVERY_S
) -> None:
    """Run `evaluate_periodic` every `every_s` seconds, each run in its own transaction."""

    def run_once() -> int:
        with sessions.begin() as session:
            return evaluate_periodic(session=session)

    while not stop.is_set():
        try:
            count = await asyncio.to_thread(run_once)
        except Exception:  # the watch goes on; the next run retries
            log.exception("alarm evaluation failed")
        else:
            log.debug("%d clock alarms open", count)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)

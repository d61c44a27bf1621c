"""The mechanics of a unit's dated histories (status, rent status): append a change, end one.

Periods are half-open [from_date, until_date); changes only append after the newest period's
start, so a history never gets an overlap or, for the unit status, a gap. The callers check who
may change what; these helpers keep the dates straight.
"""

from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloud.errors import Conflict
from cloud.properties.models import (
    RentStatus,
    RentStatusPeriod,
    Unit,
    UnitStatus,
    UnitStatusPeriod,
)

P = TypeVar("P", UnitStatusPeriod, RentStatusPeriod)


def periods(session: Session, model: type[P], unit: Unit) -> list[P]:
    """Every period of the unit, oldest first."""
    stmt = select(model).where(model.org_id == unit.org_id, model.unit_id == unit.id)
    return list(session.scalars(stmt.order_by(model.from_date)))


def covering(session: Session, model: type[P], unit: Unit, day: date) -> P | None:
    """The period holding on `day`, if any."""
    return session.scalar(
        select(model).where(
            model.org_id == unit.org_id,
            model.unit_id == unit.id,
            model.from_date <= day,
            or_(model.until_date.is_(None), model.until_date > day),
        )
    )


def latest(session: Session, model: type[P], unit: Unit) -> P | None:
    stmt = select(model).where(model.org_id == unit.org_id, model.unit_id == unit.id)
    return session.scalar(stmt.order_by(model.from_date.desc()).limit(1))


def start(session: Session, unit: Unit, on: date) -> UnitStatusPeriod:
    """A new unit's history: vacant from `on`."""
    period = UnitStatusPeriod(
        org_id=unit.org_id, unit_id=unit.id, status=UnitStatus.vacant, from_date=on
    )
    session.add(period)
    return period


def change(
    session: Session, model: type[P], unit: Unit, status: UnitStatus | RentStatus | None, on: date
) -> None:
    """From `on`, `status` holds (None: none does); the open period, if any, ends on `on`.

    Setting the status that already holds is a no-op. Conflict when `on` is not after the
    start of the newest period (history is appended to, not rewritten) or the unit is retired.
    """
    if unit.retired_on is not None:
        raise Conflict(f"unit {unit.code} was retired on {unit.retired_on}")
    newest = latest(session, model, unit)
    open_period = newest if newest is not None and newest.until_date is None else None
    if status == (open_period.status if open_period else None):
        return
    if newest is not None and on <= newest.from_date:
        raise Conflict(
            f"from_date {on} must be after {newest.from_date}, when the unit's "
            f"{_what(model)} {newest.status} began"
        )
    if newest is not None and newest.until_date is not None and on < newest.until_date:
        raise Conflict(f"from_date {on} must not be before {newest.until_date}")
    if open_period is not None:
        open_period.until_date = on
    if status is not None:
        session.add(model(org_id=unit.org_id, unit_id=unit.id, status=status, from_date=on))
    session.flush()


def end(session: Session, model: type[P], unit: Unit, on: date) -> None:
    """Close the unit's history on `on` (it is being retired); Conflict if anything starts later."""
    newest = latest(session, model, unit)
    if newest is None or (newest.until_date is not None and newest.until_date <= on):
        return
    if newest.from_date >= on:
        raise Conflict(
            f"unit {unit.code} has a {_what(model)} from {newest.from_date}; choose a date after it"
        )
    newest.until_date = on


def days_in(period: UnitStatusPeriod | RentStatusPeriod, first: date, last: date) -> int:
    """How many days of [first, last] (both included) the period covers."""
    begin = max(period.from_date, first)
    stop = min(period.until_date or date.max, last + timedelta(days=1))
    return max((stop - begin).days, 0)


def _what(model: type[P]) -> str:
    return "rent status" if model is RentStatusPeriod else "status"

"""Unit status and rent status over time: set from a date, read on any day, vacancy days and
occupancy by area and by count.

A unit counts as let from `leased` to `moving_out`; `vacant` and `reserved` are not let, so
their days are vacancy days. A unit counts only on the days it exists (it has a status then).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from cloud.errors import Invalid
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.properties import history
from cloud.properties import service as properties_service
from cloud.properties.models import (
    LET_STATUSES,
    Building,
    RentStatusPeriod,
    Unit,
    UnitStatus,
    UnitStatusPeriod,
)
from cloud.properties.schemas import (
    OccupancyRead,
    RentStatusChange,
    SiteOccupancyRead,
    StatusChange,
    StatusOnRead,
    VacancyDaysRead,
)

RATIO = Decimal("0.0001")


def status_history(*, session: Session, actor: Actor, unit_code: str) -> list[UnitStatusPeriod]:
    """A visible unit's status periods, oldest first."""
    unit = properties_service.get_unit(session=session, actor=actor, code=unit_code)
    return history.periods(session, UnitStatusPeriod, unit)


def set_unit_status(
    *, session: Session, actor: Actor, unit_code: str, data: StatusChange
) -> list[UnitStatusPeriod]:
    """`data.status` holds from `data.from_date`; the period before ends that day."""
    require_role(actor, *properties_service.WRITE_ROLES)
    unit = properties_service.get_unit(session=session, actor=actor, code=unit_code)
    history.change(session, UnitStatusPeriod, unit, data.status, data.from_date)
    return history.periods(session, UnitStatusPeriod, unit)


def rent_status_history(
    *, session: Session, actor: Actor, unit_code: str
) -> list[RentStatusPeriod]:
    """A visible unit's rent status periods, oldest first (gaps: no rent status)."""
    unit = properties_service.get_unit(session=session, actor=actor, code=unit_code)
    return history.periods(session, RentStatusPeriod, unit)


def set_rent_status(
    *, session: Session, actor: Actor, unit_code: str, data: RentStatusChange
) -> list[RentStatusPeriod]:
    """`data.status` holds from `data.from_date` (None: no rent status from then on)."""
    require_role(actor, *properties_service.WRITE_ROLES)
    unit = properties_service.get_unit(session=session, actor=actor, code=unit_code)
    history.change(session, RentStatusPeriod, unit, data.status, data.from_date)
    return history.periods(session, RentStatusPeriod, unit)


def status_on(
    *, session: Session, actor: Actor, unit_code: str, on: date | None = None
) -> StatusOnRead:
    """A visible unit's status and rent status on `on` (default the org's today)."""
    on = on or identity_service.org_today(session=session, actor=actor)
    unit = properties_service.get_unit(session=session, actor=actor, code=unit_code)
    status = history.covering(session, UnitStatusPeriod, unit, on)
    rent = history.covering(session, RentStatusPeriod, unit, on)
    return StatusOnRead(
        unit_code=unit.code,
        on=on,
        status=status.status if status else None,
        rent_status=rent.status if rent else None,
    )


def vacancy_days(
    *, session: Session, actor: Actor, unit_code: str, first: date, last: date
) -> VacancyDaysRead:
    """Days from `first` to `last` (both included) the unit existed and was not let."""
    if last < first:
        raise Invalid(f"last {last} is before first {first}", field="last")
    unit = properties_service.get_unit(session=session, actor=actor, code=unit_code)
    days = sum(
        history.days_in(period, first, last)
        for period in history.periods(session, UnitStatusPeriod, unit)
        if period.status not in LET_STATUSES
    )
    return VacancyDaysRead(unit_code=unit.code, first=first, last=last, vacant_days=days)


def occupancy(
    *,
    session: Session,
    actor: Actor,
    site_code: str,
    building_code: str | None = None,
    on: date | None = None,
) -> SiteOccupancyRead:
    """Occupancy of a site, or one of its buildings, on `on` (default the org's today)."""
    require_role(actor, *properties_service.READ_ROLES)
    on = on or identity_service.org_today(session=session, actor=actor)
    site = properties_service.get_site(session=session, actor=actor, code=site_code)
    stmt = (
        select(Unit.rentable_area_m2, UnitStatusPeriod.status)
        .join(Building, Building.id == Unit.building_id)
        .join(UnitStatusPeriod, UnitStatusPeriod.unit_id == Unit.id)
        .where(Unit.org_id == actor.org_id, Building.site_id == site.id, *covers(on))
    )
    if building_code is not None:
        building = properties_service.get_building(
            session=session, actor=actor, site_code=site_code, code=building_code
        )
        stmt = stmt.where(Unit.building_id == building.id)
    figures = occupancy_of((area, status) for area, status in session.execute(stmt))
    return SiteOccupancyRead(
        site_code=site.code, building_code=building_code, on=on, **figures.model_dump()
    )


def covers(on: date) -> tuple[ColumnElement[bool], ...]:
    """Conditions on UnitStatusPeriod for the period holding on `on`."""
    return (
        UnitStatusPeriod.from_date <= on,
        or_(UnitStatusPeriod.until_date.is_(None), UnitStatusPeriod.until_date > on),
    )


def occupancy_of(units: Iterable[tuple[Decimal, UnitStatus]]) -> OccupancyRead:
    """Let against all, by count and by area, from (rentable area, status) of each unit."""
    count = let_count = 0
    area = let_area = Decimal("0.00")
    for unit_area, status in units:
        count += 1
        area += unit_area
        if status in LET_STATUSES:
            let_count += 1
            let_area += unit_area
    return OccupancyRead(
        units=count,
        let_units=let_count,
        area_m2=area,
        let_area_m2=let_area,
        by_count=_ratio(Decimal(let_count), Decimal(count)),
        by_area=_ratio(let_area, area),
    )


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole).quantize(RATIO, rounding=ROUND_HALF_UP) if whole else None


# --- statuses that follow a unit's contract --------------------------------------------------


@dataclass(frozen=True)
class LeaseStatuses:
    """Which status a unit takes at each step of its contract (`cloud.leasing.contracts`)."""

    signed_before_start: UnitStatus = UnitStatus.reserved  # signed, the lease not begun yet
    lease_started: UnitStatus = UnitStatus.leased
    active: UnitStatus = UnitStatus.in_operation  # fitting_out, where tenants fit out first
    terminated: UnitStatus = UnitStatus.moving_out  # ended early, until its last day
    ended: UnitStatus = UnitStatus.vacant  # from the day after the last day


LEASE_STATUSES = LeaseStatuses()
"""The statuses every org's contracts drive (one policy for now; see DESIGN's leasing note)."""


def follow_contract(
    *, session: Session, unit: Unit, status: UnitStatus, on: date, when_let: bool = True
) -> None:
    """`status` holds from `on` because the unit's contract moved; the caller has checked who
    may move it. History is only appended to: a step dated on or before the newest period's
    start takes effect on that start instead (e.g. signed and activated on one day: the later
    status stands). A retired unit is left alone; with `when_let` false, a unit let on `on`
    (by an earlier tenant moving out) keeps its status."""
    if unit.retired_on is not None:
        return
    current = history.covering(session, UnitStatusPeriod, unit, on)
    if not when_let and current is not None and current.status in LET_STATUSES:
        return
    newest = history.latest(session, UnitStatusPeriod, unit)
    if newest is not None and newest.until_date is None and on <= newest.from_date:
        if newest.status != status:
            newest.status = status
            session.flush()
        return
    history.change(session, UnitStatusPeriod, unit, status, on)

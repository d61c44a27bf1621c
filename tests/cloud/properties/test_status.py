"""Unit status and rent status over time: no overlap, no gap; any past day; vacancy days;
occupancy by area and by count."""

import contextlib
import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, NotFound
from cloud.identity.actor import Actor
from cloud.properties import service, status
from cloud.properties.models import LET_STATUSES, RentStatus, Unit, UnitStatus
from cloud.properties.schemas import (
    BuildingCreate,
    FloorCreate,
    RentStatusChange,
    StatusChange,
    UnitPart,
    UnitSplit,
)
from tests.cloud.factories import World
from tests.cloud.properties.conftest import new_unit

# U-900 (50 m², from 2026-01-01): vacant, reserved, leased, fitting out, operating, moving out,
# vacant again.
STORY = (
    (UnitStatus.reserved, date(2026, 2, 1)),
    (UnitStatus.leased, date(2026, 3, 1)),
    (UnitStatus.fitting_out, date(2026, 3, 15)),
    (UnitStatus.in_operation, date(2026, 5, 1)),
    (UnitStatus.moving_out, date(2026, 11, 1)),
    (UnitStatus.vacant, date(2026, 12, 1)),
)


def set_status(session: Session, actor: Actor, code: str, to: UnitStatus, on: date) -> None:
    data = StatusChange(status=to, from_date=on)
    status.set_unit_status(session=session, actor=actor, unit_code=code, data=data)


@pytest.fixture
def told(session: Session, staff: Actor, world: World) -> Unit:
    unit = new_unit(session, staff, "U-900", "50.00")
    for to, on in STORY:
        set_status(session, staff, "U-900", to, on)
    return unit


def test_each_change_closes_the_period_before_it(
    session: Session, staff: Actor, told: Unit
) -> None:
    periods = status.status_history(session=session, actor=staff, unit_code="U-900")
    assert [(p.status, p.from_date, p.until_date) for p in periods] == [
        (UnitStatus.vacant, date(2026, 1, 1), date(2026, 2, 1)),
        (UnitStatus.reserved, date(2026, 2, 1), date(2026, 3, 1)),
        (UnitStatus.leased, date(2026, 3, 1), date(2026, 3, 15)),
        (UnitStatus.fitting_out, date(2026, 3, 15), date(2026, 5, 1)),
        (UnitStatus.in_operation, date(2026, 5, 1), date(2026, 11, 1)),
        (UnitStatus.moving_out, date(2026, 11, 1), date(2026, 12, 1)),
        (UnitStatus.vacant, date(2026, 12, 1), None),
    ]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2025, 12, 31), None),  # before the unit existed
        (date(2026, 1, 1), UnitStatus.vacant),
        (date(2026, 2, 28), UnitStatus.reserved),
        (date(2026, 3, 1), UnitStatus.leased),
        (date(2026, 3, 14), UnitStatus.leased),
        (date(2026, 3, 15), UnitStatus.fitting_out),
        (date(2026, 10, 31), UnitStatus.in_operation),
        (date(2026, 11, 30), UnitStatus.moving_out),
        (date(2031, 1, 1), UnitStatus.vacant),
    ],
)
def test_status_on_any_day(
    session: Session, staff: Actor, told: Unit, on: date, expected: UnitStatus | None
) -> None:
    seen = status.status_on(session=session, actor=staff, unit_code="U-900", on=on)
    assert (seen.status, seen.rent_status) == (expected, None)


@pytest.mark.parametrize(
    ("first", "last", "days"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), 31 + 28 + 31),  # vacant, reserved, vacant again
        (date(2025, 12, 1), date(2026, 1, 10), 10),  # days before it existed do not count
        (date(2026, 2, 20), date(2026, 3, 5), 9),  # reserved counts; leased does not
        (date(2026, 6, 1), date(2026, 6, 30), 0),
        (date(2026, 12, 31), date(2026, 12, 31), 1),
    ],
)
def test_vacancy_days_in_a_period(
    session: Session, staff: Actor, told: Unit, first: date, last: date, days: int
) -> None:
    counted = status.vacancy_days(
        session=session, actor=staff, unit_code="U-900", first=first, last=last
    )
    assert counted.vacant_days == days


def test_history_is_appended_to_never_rewritten(session: Session, staff: Actor, told: Unit) -> None:
    with pytest.raises(Conflict, match="must be after 2026-12-01"):
        set_status(session, staff, "U-900", UnitStatus.reserved, date(2026, 11, 15))
    set_status(session, staff, "U-900", UnitStatus.vacant, date(2027, 1, 1))  # already so
    assert len(status.status_history(session=session, actor=staff, unit_code="U-900")) == 7


def test_only_staff_set_a_status_and_a_tenant_reads_its_own(
    session: Session, world: World, told: Unit
) -> None:
    for reader in ("finance", "engineer", "tenant"):
        with pytest.raises(Forbidden):
            set_status(
                session, world.actors[reader], "U-101", UnitStatus.moving_out, date(2027, 1, 1)
            )
    tenant = world.actors["tenant"]
    own = status.status_on(session=session, actor=tenant, unit_code="U-101", on=date(2026, 6, 1))
    assert own.status == UnitStatus.leased
    with pytest.raises(NotFound):
        status.status_history(session=session, actor=tenant, unit_code="U-900")


def test_a_retired_units_history_is_closed(session: Session, staff: Actor, world: World) -> None:
    new_unit(session, staff, "U-901", "80.00")
    split = UnitSplit(
        on=date(2026, 4, 1),
        parts=[
            UnitPart(code="U-901A", rentable_area_m2=Decimal("40.00")),
            UnitPart(code="U-901B", rentable_area_m2=Decimal("40.00")),
        ],
    )
    service.split_unit(session=session, actor=staff, code="U-901", data=split)
    with pytest.raises(Conflict, match="retired on 2026-04-01"):
        set_status(session, staff, "U-901", UnitStatus.reserved, date(2026, 5, 1))
    gone = status.status_on(session=session, actor=staff, unit_code="U-901", on=date(2026, 4, 1))
    assert gone.status is None


def test_rent_status_is_dated_separately(session: Session, staff: Actor, told: Unit) -> None:
    for to, on in (
        (RentStatus.free_rent, date(2026, 3, 1)),
        (RentStatus.billing, date(2026, 5, 1)),
        (RentStatus.suspended, date(2026, 8, 1)),
        (RentStatus.billing, date(2026, 9, 1)),
        (None, date(2026, 12, 1)),  # moved out: no rent status
    ):
        status.set_rent_status(
            session=session,
            actor=staff,
            unit_code="U-900",
            data=RentStatusChange(status=to, from_date=on),
        )
    periods = status.rent_status_history(session=session, actor=staff, unit_code="U-900")
    assert [(p.status, p.from_date, p.until_date) for p in periods] == [
        (RentStatus.free_rent, date(2026, 3, 1), date(2026, 5, 1)),
        (RentStatus.billing, date(2026, 5, 1), date(2026, 8, 1)),
        (RentStatus.suspended, date(2026, 8, 1), date(2026, 9, 1)),
        (RentStatus.billing, date(2026, 9, 1), date(2026, 12, 1)),
    ]
    seen = status.status_on(session=session, actor=staff, unit_code="U-900", on=date(2026, 8, 15))
    assert (seen.status, seen.rent_status) == (UnitStatus.in_operation, RentStatus.suspended)
    with pytest.raises(Conflict, match="must not be before 2026-12-01"):
        status.set_rent_status(
            session=session,
            actor=staff,
            unit_code="U-900",
            data=RentStatusChange(status=RentStatus.billing, from_date=date(2026, 11, 20)),
        )


@pytest.fixture
def tower_b(session: Session, staff: Actor, told: Unit) -> None:
    """Building B beside A: B-101 (200 m²) vacant from 2026-01-01, leased from 2026-07-01."""
    service.create_building(
        session=session, actor=staff, site_code="site1", data=BuildingCreate(code="B", name="B")
    )
    service.create_floor(
        session=session,
        actor=staff,
        site_code="site1",
        building_code="B",
        data=FloorCreate(level=1),
    )
    new_unit(session, staff, "B-101", "200.00", building_code="B")
    set_status(session, staff, "B-101", UnitStatus.leased, date(2026, 7, 1))


@pytest.mark.parametrize(
    ("on", "building", "figures"),
    [
        # U-101..103 (100 m² each) leased all year; U-900 (50 m²) reserved; B-101 (200 m²) vacant
        (date(2026, 2, 15), None, (5, 3, "550.00", "300.00", "0.6000", "0.5455")),
        (date(2026, 2, 15), "A", (4, 3, "350.00", "300.00", "0.7500", "0.8571")),
        (date(2026, 2, 15), "B", (1, 0, "200.00", "0.00", "0.0000", "0.0000")),
        # U-900 operating, B-101 leased: everything is let
        (date(2026, 7, 1), None, (5, 5, "550.00", "550.00", "1.0000", "1.0000")),
        # before anything existed
        (date(2025, 6, 1), None, (0, 0, "0.00", "0.00", None, None)),
    ],
)
def test_occupancy_by_area_and_by_count(
    session: Session,
    staff: Actor,
    tower_b: None,
    on: date,
    building: str | None,
    figures: tuple[int, int, str, str, str | None, str | None],
) -> None:
    seen = status.occupancy(
        session=session, actor=staff, site_code="site1", building_code=building, on=on
    )
    units, let, area, let_area, by_count, by_area = figures
    assert (seen.units, seen.let_units, seen.area_m2, seen.let_area_m2) == (
        units,
        let,
        Decimal(area),
        Decimal(let_area),
    )
    assert (seen.by_count, seen.by_area) == (
        Decimal(by_count) if by_count else None,
        Decimal(by_area) if by_area else None,
    )


def test_occupancy_is_of_the_actors_org_and_not_for_tenants(
    session: Session, world: World, outsider: Actor, tower_b: None
) -> None:
    with pytest.raises(NotFound):
        status.occupancy(session=session, actor=outsider, site_code="site1")
    theirs = status.occupancy(
        session=session, actor=outsider, site_code="site2", on=date(2026, 7, 1)
    )
    assert (theirs.units, theirs.let_units, theirs.area_m2) == (3, 3, Decimal("300.00"))
    with pytest.raises(Forbidden):
        status.occupancy(session=session, actor=world.actors["tenant"], site_code="site1")


STATUSES = st.sampled_from(list(UnitStatus))
_codes = itertools.count()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(st.tuples(STATUSES, st.integers(min_value=-3, max_value=40)), max_size=8))
def test_any_story_leaves_no_gap_and_no_overlap(
    session: Session, staff: Actor, world: World, changes: list[tuple[UnitStatus, int]]
) -> None:
    """Whatever changes are tried (some refused), the periods tile the unit's existence, and its
    vacancy days and let days add up to the days it existed."""
    code = f"P-{next(_codes)}"
    new_unit(session, staff, code, "10.00")
    day = date(2026, 1, 1)
    for to, step in changes:
        day += timedelta(days=step)
        with contextlib.suppress(Conflict):  # a day not after the newest start: refused
            set_status(session, staff, code, to, day)
    periods = status.status_history(session=session, actor=staff, unit_code=code)
    assert periods[0].from_date == date(2026, 1, 1) and periods[-1].until_date is None
    for before, after in itertools.pairwise(periods):
        assert before.until_date == after.from_date and before.status != after.status
    first, last = date(2025, 12, 1), date(2027, 12, 31)
    vacant = status.vacancy_days(
        session=session, actor=staff, unit_code=code, first=first, last=last
    ).vacant_days
    let = sum(
        ((p.until_date or last + timedelta(days=1)) - p.from_date).days
        for p in periods
        if p.status in LET_STATUSES
    )
    assert vacant + let == (last - date(2026, 1, 1)).days + 1

"""The vacancy board's figures: floors top first, each unit's status, tenant, lease end and rent
per m² to the fen, and occupancy of each floor and of the building."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from cloud.errors import Forbidden, NotFound
from cloud.identity.actor import Actor
from cloud.leasing.models import Lease
from cloud.properties import board, service, status
from cloud.properties.models import RentStatus, UnitStatus
from cloud.properties.schemas import FloorCreate, RentStatusChange, StatusChange
from tests.cloud.factories import World
from tests.cloud.properties.conftest import new_unit


@pytest.fixture
def tower(session: Session, staff: Actor, world: World) -> World:
    """Building A gets floors 2 (U-201, 30 m², leased from 2026-06-01 to tenant TB, whose lease
    starts 2026-07-01 at ¥20,000 a month) and 3 (empty); U-101 is billing rent."""
    for level in (2, 3):
        service.create_floor(
            session=session,
            actor=staff,
            site_code="site1",
            building_code="A",
            data=FloorCreate(level=level),
        )
    unit = new_unit(session, staff, "U-201", "30.00", level=2)
    status.set_unit_status(
        session=session,
        actor=staff,
        unit_code="U-201",
        data=StatusChange(status=UnitStatus.leased, from_date=date(2026, 6, 1)),
    )
    session.add(
        Lease(
            org_id=world.org.id,
            code="HT-2026-0009",
            unit_id=unit.id,
            tenant_id=world.tenants["TB"].id,
            start_date=date(2026, 7, 1),
            end_date=date(2027, 6, 30),
            monthly_rent=Decimal("20000.00"),
            electricity_tariff=Decimal("1.2000"),
        )
    )
    status.set_rent_status(
        session=session,
        actor=staff,
        unit_code="U-101",
        data=RentStatusChange(status=RentStatus.billing, from_date=date(2026, 1, 1)),
    )
    return world


def test_the_board_of_a_building(session: Session, staff: Actor, tower: World) -> None:
    shown = board.vacancy_board(
        session=session, actor=staff, site_code="site1", building_code="A", on=date(2026, 6, 15)
    )
    assert [(f.name, f.area_m2) for f in shown.floors] == [
        ("3F", Decimal("0.00")),
        ("2F", Decimal("30.00")),
        ("1F", Decimal("300.00")),
    ]
    top, second, first = shown.floors
    assert top.cells == [] and top.occupancy.by_area is None
    [u201] = second.cells
    assert (u201.unit_code, u201.status, u201.rent_status) == ("U-201", UnitStatus.leased, None)
    # Not in force yet, so the next lease signed shows: 20,000 / 30 = 666.666… -> 666.67
    assert (u201.lease_code, u201.tenant_name, u201.lease_end, u201.rent_per_m2) == (
        "HT-2026-0009",
        "TB Ltd",
        date(2027, 6, 30),
        Decimal("666.67"),
    )
    u101 = first.cells[0]
    assert (u101.unit_code, u101.status, u101.rent_status) == (
        "U-101",
        UnitStatus.leased,
        RentStatus.billing,
    )
    assert (u101.tenant_name, u101.lease_end, u101.rent_per_m2) == (
        "TA Ltd",
        date(2099, 12, 31),
        Decimal("150.00"),
    )
    assert [c.unit_code for c in first.cells] == ["U-101", "U-102", "U-103"]
    figures = shown.occupancy
    assert (figures.units, figures.let_units, figures.area_m2, figures.let_area_m2) == (
        4,
        4,
        Decimal("330.00"),
        Decimal("330.00"),
    )


def test_the_board_on_a_past_day(session: Session, staff: Actor, tower: World) -> None:
    shown = board.vacancy_board(
        session=session, actor=staff, site_code="site1", building_code="A", on=date(2026, 5, 1)
    )
    [u201] = shown.floors[1].cells
    assert (u201.status, u201.tenant_name) == (UnitStatus.vacant, "TB Ltd")
    assert (shown.occupancy.by_count, shown.occupancy.by_area) == (
        Decimal("0.7500"),
        Decimal("0.9091"),  # 300 / 330
    )
    before = board.vacancy_board(
        session=session, actor=staff, site_code="site1", building_code="A", on=date(2025, 12, 31)
    )
    assert [cell for floor in before.floors for cell in floor.cells] == []


def test_rent_per_m2_is_rounded_half_up_to_the_fen() -> None:
    assert board.rent_per_m2(Decimal("10000.00"), Decimal("30.00")) == Decimal("333.33")
    assert board.rent_per_m2(Decimal("0.25"), Decimal("10.00")) == Decimal("0.03")  # 0.025
    assert board.rent_per_m2(Decimal("27975.00"), Decimal("186.50")) == Decimal("150.00")


def test_the_board_is_for_staff_of_the_org(
    session: Session, world: World, outsider: Actor, tower: World
) -> None:
    for reader in ("finance", "engineer", "admin"):
        shown = board.vacancy_board(
            session=session, actor=world.actors[reader], site_code="site1", building_code="A"
        )
        assert shown.building_code == "A"
    with pytest.raises(Forbidden):
        board.vacancy_board(
            session=session, actor=world.actors["tenant"], site_code="site1", building_code="A"
        )
    with pytest.raises(NotFound):
        board.vacancy_board(session=session, actor=outsider, site_code="site1", building_code="A")
    theirs = board.vacancy_board(
        session=session, actor=outsider, site_code="site2", building_code="A", on=date(2026, 6, 15)
    )
    assert [f.name for f in theirs.floors] == ["1F"]  # not acme's new floors
    assert {c.tenant_name for c in theirs.floors[0].cells} == {"TA Ltd", "TB Ltd"}

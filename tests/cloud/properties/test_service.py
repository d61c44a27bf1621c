"""Sites to units: the hierarchy, who may see and change it, shop details, splits and merges."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.identity.actor import Actor
from cloud.properties import history, service
from cloud.properties.models import SiteKind, Unit, UnitStatus, UnitStatusPeriod
from cloud.properties.schemas import (
    BuildingCreate,
    FloorCreate,
    ShopDetailsData,
    SiteCreate,
    UnitMerge,
    UnitPart,
    UnitSplit,
    UnitUpdate,
)
from tests.cloud.factories import World
from tests.cloud.properties.conftest import SHOP, new_unit


def codes(rows: list[Unit]) -> list[str]:
    return [row.code for row in rows]


def periods(session: Session, unit: Unit) -> list[tuple[UnitStatus, date, date | None]]:
    return [
        (p.status, p.from_date, p.until_date)
        for p in history.periods(session, UnitStatusPeriod, unit)
    ]


def test_units_are_scoped_to_org_and_tenant(session: Session, world: World) -> None:
    staff = service.list_units(session=session, actor=world.actors["engineer"])
    assert codes(staff) == ["U-101", "U-102", "U-103"]
    assert {u.org_id for u in staff} == {world.org.id}
    tenant = service.list_units(session=session, actor=world.actors["tenant"])
    assert codes(tenant) == ["U-101", "U-103"]


def test_the_hierarchy_from_site_to_unit(session: Session, staff: Actor, street: Unit) -> None:
    sites = service.list_sites(session=session, actor=staff)
    assert [(s.code, s.kind) for s in sites] == [("river", SiteKind.street), ("site1", "park")]
    assert codes(service.list_units(session=session, actor=staff, site_code="river")) == ["S1-101"]
    floors = service.list_floors(
        session=session, actor=staff, site_code="river", building_code="S1"
    )
    assert [(f.level, f.name) for f in floors] == [(1, "1F"), (2, "2F")]
    basement = service.create_floor(
        session=session,
        actor=staff,
        site_code="river",
        building_code="S1",
        data=FloorCreate(level=-1),
    )
    assert basement.name == "B1"
    assert (street.building.code, street.floor.level, street.building.site.code) == (
        "S1",
        1,
        "river",
    )
    areas = (street.rentable_area_m2, street.gross_area_m2, street.net_area_m2)
    assert areas == (Decimal("85.00"), Decimal("92.30"), Decimal("80.10"))
    assert ShopDetailsData.model_validate(street.shop) == SHOP
    assert periods(session, street) == [(UnitStatus.vacant, date(2026, 1, 1), None)]


def test_codes_are_unique_where_people_use_them(
    session: Session, staff: Actor, street: Unit
) -> None:
    with pytest.raises(Conflict, match="site code river"):
        service.create_site(
            session=session, actor=staff, data=SiteCreate(code="river", name="again")
        )
    with pytest.raises(Conflict, match="building code S1"):
        service.create_building(
            session=session,
            actor=staff,
            site_code="river",
            data=BuildingCreate(code="S1", name="again"),
        )
    with pytest.raises(Conflict, match="already has floor 2"):
        service.create_floor(
            session=session,
            actor=staff,
            site_code="river",
            building_code="S1",
            data=FloorCreate(level=2),
        )
    with pytest.raises(Conflict, match="unit code U-101"):
        new_unit(session, staff, "U-101", "10.00")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"site_code": "nowhere"}, "site_code"),
        ({"building_code": "Z"}, "building_code"),
        ({"level": 9}, "floor"),
        ({"shop": SHOP.model_dump()}, "shop"),  # an office has no shop details
    ],
)
def test_a_unit_needs_a_place_that_exists(
    session: Session, staff: Actor, world: World, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as raised:
        new_unit(session, staff, "U-900", "50.00", **fields)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_only_staff_and_admins_change_properties(
    session: Session, world: World, street: Unit
) -> None:
    site = SiteCreate(code="new", name="New park")
    for reader in ("finance", "engineer", "tenant"):
        with pytest.raises(Forbidden):
            service.create_site(session=session, actor=world.actors[reader], data=site)
        with pytest.raises(Forbidden):
            service.update_unit(
                session=session,
                actor=world.actors[reader],
                code="U-101",
                data=UnitUpdate(net_area_m2=Decimal("80.00")),
            )
    assert service.create_site(session=session, actor=world.actors["admin"], data=site).code == (
        "new"
    )
    for reader in ("finance", "engineer"):
        assert codes(service.list_units(session=session, actor=world.actors[reader])) == [
            "S1-101",
            "U-101",
            "U-102",
            "U-103",
        ]
    with pytest.raises(Forbidden):  # tenants see their units, not the estate
        service.list_sites(session=session, actor=world.actors["tenant"])


def test_another_org_never_sees_or_changes_them(
    session: Session, outsider: Actor, street: Unit
) -> None:
    assert codes(service.list_units(session=session, actor=outsider)) == ["U-101", "U-102", "U-103"]
    assert all(
        u.org_id == outsider.org_id for u in service.list_units(session=session, actor=outsider)
    )
    with pytest.raises(NotFound):
        service.get_unit(session=session, actor=outsider, code="S1-101")
    with pytest.raises(NotFound):
        service.get_site(session=session, actor=outsider, code="river")
    with pytest.raises(NotFound):
        service.update_unit(
            session=session,
            actor=outsider,
            code="S1-101",
            data=UnitUpdate(rentable_area_m2=Decimal("1.00")),
        )
    with pytest.raises(NotFound):
        service.split_unit(
            session=session,
            actor=outsider,
            code="S1-101",
            data=UnitSplit(
                on=date(2026, 6, 1),
                parts=[
                    UnitPart(code="X-1", rentable_area_m2=Decimal("40.00")),
                    UnitPart(code="X-2", rentable_area_m2=Decimal("45.00")),
                ],
            ),
        )


def test_a_tenant_sees_only_the_units_it_leases(session: Session, world: World) -> None:
    tenant = world.actors["tenant"]
    assert service.get_unit(session=session, actor=tenant, code="U-101").code == "U-101"
    with pytest.raises(NotFound):
        service.get_unit(session=session, actor=tenant, code="U-102")


def test_update_changes_only_what_is_sent(session: Session, staff: Actor, street: Unit) -> None:
    service.update_unit(
        session=session,
        actor=staff,
        code="S1-101",
        data=UnitUpdate(rentable_area_m2=Decimal("86.00")),
    )
    assert (street.rentable_area_m2, street.net_area_m2) == (Decimal("86.00"), Decimal("80.10"))
    with pytest.raises(Invalid) as raised:
        service.update_unit(
            session=session,
            actor=staff,
            code="S1-101",
            data=UnitUpdate(net_area_m2=Decimal("99.00")),
        )
    assert raised.value.field == "net_area_m2"
    service.update_unit(
        session=session,
        actor=staff,
        code="S1-101",
        data=UnitUpdate.model_validate({"shop": {"door_number": "18-1A", "gas": False}}),
    )
    assert street.shop is not None
    assert (street.shop.door_number, street.shop.gas, street.shop.water) == ("18-1A", False, False)
    service.update_unit(
        session=session, actor=staff, code="S1-101", data=UnitUpdate.model_validate({"shop": None})
    )
    assert street.shop is None


def _split(session: Session, actor: Actor, code: str, on: date) -> list[Unit]:
    data = UnitSplit(
        on=on,
        parts=[
            UnitPart(code=f"{code}A", rentable_area_m2=Decimal("50.00")),
            UnitPart(code=f"{code}B", rentable_area_m2=Decimal("35.00")),
        ],
    )
    return service.split_unit(session=session, actor=actor, code=code, data=data)


def test_a_split_retires_the_unit_and_keeps_it(
    session: Session, staff: Actor, street: Unit
) -> None:
    before = session.scalar(select(func.count()).select_from(Unit))
    parts = _split(session, staff, "S1-101", date(2026, 6, 1))
    assert codes(parts) == ["S1-101A", "S1-101B"]
    assert session.scalar(select(func.count()).select_from(Unit)) == (before or 0) + 2
    assert street.retired_on == date(2026, 6, 1)
    assert periods(session, street) == [(UnitStatus.vacant, date(2026, 1, 1), date(2026, 6, 1))]
    for part in parts:
        assert [origin.code for origin in part.origins] == ["S1-101"]
        assert (part.floor.level, part.building.code, part.kind) == (1, "S1", "shop")
        assert periods(session, part) == [(UnitStatus.vacant, date(2026, 6, 1), None)]
    listed = codes(service.list_units(session=session, actor=staff, today=date(2026, 6, 1)))
    assert "S1-101" not in listed and "S1-101A" in listed
    still = service.list_units(
        session=session, actor=staff, today=date(2026, 5, 31), include_retired=True
    )
    assert "S1-101" in codes(still)
    with pytest.raises(Conflict, match="retired"):
        _split(session, staff, "S1-101", date(2026, 7, 1))


def test_merge_makes_one_unit_of_several(session: Session, staff: Actor, street: Unit) -> None:
    parts = _split(session, staff, "S1-101", date(2026, 3, 1))
    new_unit(session, staff, "S1-201", "120.00", site_code="river", building_code="S1", level=2)
    merged = service.merge_units(
        session=session,
        actor=staff,
        data=UnitMerge(
            unit_codes=["S1-101A", "S1-101B"],
            on=date(2026, 9, 1),
            into=UnitPart(code="S1-101M", rentable_area_m2=Decimal("85.00")),
        ),
    )
    assert [origin.code for origin in merged.origins] == ["S1-101A", "S1-101B"]
    assert all(part.retired_on == date(2026, 9, 1) for part in parts)
    assert periods(session, merged) == [(UnitStatus.vacant, date(2026, 9, 1), None)]
    assert merged.floor.level == 1
    with pytest.raises(Invalid) as raised:  # across buildings
        service.merge_units(
            session=session,
            actor=staff,
            data=UnitMerge(
                unit_codes=["S1-101M", "U-101"],
                on=date(2026, 10, 1),
                into=UnitPart(code="X", rentable_area_m2=Decimal("1.00")),
            ),
        )
    assert raised.value.field == "unit_codes"


def test_a_leased_unit_cannot_be_split(session: Session, staff: Actor, world: World) -> None:
    with pytest.raises(Conflict, match="leased until 2099-12-31"):
        _split(session, staff, "U-101", date(2026, 6, 1))
    unit = world.units["U-101"]
    assert unit.retired_on is None
    assert periods(session, unit) == [(UnitStatus.leased, date(2026, 1, 1), None)]


def test_a_split_must_come_after_the_units_current_status_began(
    session: Session, staff: Actor, street: Unit
) -> None:
    with pytest.raises(Conflict, match="choose a date after it"):
        _split(session, staff, "S1-101", date(2026, 1, 1))
    assert street.retired_on is None

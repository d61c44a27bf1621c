"""Actors and a street zone for the properties tests, on top of the two-org world."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.identity.models import User
from cloud.properties import service
from cloud.properties.models import SiteKind, Unit, UnitKind
from cloud.properties.schemas import (
    BuildingCreate,
    FloorCreate,
    ShopDetailsData,
    SiteCreate,
    UnitCreate,
)
from tests.cloud.factories import World

SHOP = ShopDetailsData(
    street_address="滨河路 18 号",
    door_number="18-1",
    latitude=Decimal("31.230412"),
    longitude=Decimal("121.473701"),
    frontage_m=Decimal("6.50"),
    floor_height_m=Decimal("4.50"),
    water=True,
    power_kw=Decimal("40.00"),
    gas=True,
    exhaust=True,
    drainage=True,
    catering_allowed=True,
    loading_access=True,
    ownership_certificate="沪(2024)浦东新区不动产权第 0012345 号",
)


@pytest.fixture
def staff(world: World) -> Actor:
    return world.actors["staff"]


@pytest.fixture
def outsider(session: Session, world: World) -> Actor:
    """The admin of the other org, whose codes are the same as acme's."""
    user = session.scalars(select(User).where(User.username == "other-admin")).one()
    return Actor.of(user)


def new_unit(
    session: Session,
    actor: Actor,
    code: str,
    area: str,
    *,
    active_from: date = date(2026, 1, 1),
    level: int = 1,
    site_code: str = "site1",
    building_code: str = "A",
    **fields: object,
) -> Unit:
    data = UnitCreate.model_validate(
        {
            "code": code,
            "site_code": site_code,
            "building_code": building_code,
            "floor": level,
            "rentable_area_m2": area,
            "active_from": active_from,
            **fields,
        }
    )
    return service.create_unit(session=session, actor=actor, data=data)


@pytest.fixture
def street(session: Session, staff: Actor) -> Unit:
    """Street zone `river` with row S1 on two floors and shop S1-101 (vacant since 2026-01-01)."""
    site = SiteCreate(code="river", name="滨河商业街", kind=SiteKind.street, address="滨河路")
    service.create_site(session=session, actor=staff, data=site)
    row = BuildingCreate(code="S1", name="沿街一段")
    service.create_building(session=session, actor=staff, site_code="river", data=row)
    for level in (1, 2):
        service.create_floor(
            session=session,
            actor=staff,
            site_code="river",
            building_code="S1",
            data=FloorCreate(level=level),
        )
    return new_unit(
        session,
        staff,
        "S1-101",
        "85.00",
        site_code="river",
        building_code="S1",
        kind=UnitKind.shop,
        gross_area_m2="92.30",
        net_area_m2="80.10",
        shop=SHOP.model_dump(),
    )

"""March 2026 in org `acme` (Asia/Shanghai, so March runs 2026-02-28T16:00Z to 03-31T16:00Z):
boundary readings on both billing meters, and a shared meter over the three let units and a
vacant fourth one."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from cloud.billing.models import SharedMeter, SharedMeterUnit
from cloud.leasing.contracts.models import Contract, ContractStatus
from cloud.properties.models import Unit
from tests.cloud.factories import World, add_readings

MARCH: dict[str, Any] = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


def active_contract(session: Session, world: World, tenant: str, code: str = "HT-LF") -> Contract:
    """An active contract of `tenant` for 2026, for what hangs on a contract (late fees)."""
    contract = Contract(
        org_id=world.org.id,
        code=code,
        tenant_id=world.tenants[tenant].id,
        status=ContractStatus.active,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    session.add(contract)
    session.flush()
    return contract


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def march(session: Session, world: World) -> World:
    u101 = world.units["U-101"]
    vacant = Unit(
        org_id=world.org.id,
        building_id=u101.building_id,
        floor_id=u101.floor_id,
        code="U-104",
        rentable_area_m2=Decimal("50.00"),
    )
    session.add(vacant)
    session.flush()
    world.units["U-104"] = vacant
    # M-101: CT 40, lease tariff 1.3000
    add_readings(
        session,
        world.meters["M-101"],
        [
            (utc(2026, 2, 28, 16), 100.25),
            (utc(2026, 3, 15), 150.0),
            (utc(2026, 3, 31, 16), 180.13625),
        ],
    )
    # M-102: CT 1, lease tariff 1.2000
    add_readings(
        session,
        world.meters["M-102"],
        [(utc(2026, 2, 28, 16), 500.0), (utc(2026, 3, 31, 16), 512.345)],
    )
    add_readings(
        session,
        world.meters["M-PUB"],
        [(utc(2026, 2, 28, 16), 2000.0), (utc(2026, 3, 31, 16), 2333.0)],
    )
    shared = SharedMeter(
        org_id=world.org.id,
        meter_id=world.meters["M-PUB"].id,
        basis="area",
        loss_factor=Decimal("0.05"),
        item="公摊电费",
        price=Decimal("1.0003"),
    )
    session.add(shared)
    session.flush()
    session.add_all(
        SharedMeterUnit(
            shared_meter_id=shared.id, unit_id=world.units[code].id, org_id=world.org.id
        )
        for code in ("U-101", "U-102", "U-103", "U-104")
    )
    session.commit()
    return world

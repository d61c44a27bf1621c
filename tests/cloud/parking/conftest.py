"""Parking fixtures: the world's site with an entry and an exit gate and known fee rules."""

from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from cloud.parking import service
from cloud.parking.models import Direction
from cloud.parking.schemas import FeeRulesWrite, GateCreate
from tests.cloud.factories import World

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = FeeRulesWrite(
    free_minutes=15,
    first_minutes=60,
    first_price=Decimal("5.00"),
    increment_minutes=30,
    increment_price=Decimal("2.00"),
    daily_cap=Decimal("30.00"),
    night_start=time(22),
    night_end=time(7),
    night_price=Decimal("1.00"),
    new_energy_discount=Decimal("0.5"),
    leave_minutes=15,
    review_after_days=7,
)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def lot(session: Session, world: World) -> World:
    """The world with gates IN-1 and OUT-1 at site1 and the fee rules above; committed."""
    admin = world.actors["admin"]
    for code, direction in (("IN-1", Direction.entry), ("OUT-1", Direction.exit)):
        data = GateCreate(site_code="site1", code=code, name=code, direction=direction)
        service.create_gate(session=session, actor=admin, data=data)
    service.set_fee_rules(session=session, actor=admin, site_code="site1", data=RULES)
    session.commit()
    return world

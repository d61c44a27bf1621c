"""Maintenance fixtures: the work-order shop (categories, SLAs, engineers) and a lift in
building A with plans added by each test."""

import pytest
from sqlalchemy.orm import Session

from cloud.maintenance import service
from cloud.maintenance.models import Equipment, Kind
from cloud.maintenance.schemas import EquipmentCreate
from tests.cloud.workorders.conftest import Shop, shop  # noqa: F401 - the fixture, reused


@pytest.fixture
def lift(session: Session, shop: Shop) -> Equipment:  # noqa: F811
    return service.create_equipment(
        session=session,
        actor=shop.actors["admin"],
        data=EquipmentCreate(
            code="LIFT-A-01", name="A座1号客梯", kind=Kind.lift, building_code="A"
        ),
    )

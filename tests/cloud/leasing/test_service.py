from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from cloud.energy import service as energy_service
from cloud.errors import NotFound
from cloud.identity import service as identity_service
from cloud.leasing import service
from cloud.leasing.models import Lease
from cloud.properties import service as properties_service
from tests.cloud.factories import World


def codes(leases: list[Lease]) -> list[str]:
    return [lease.code for lease in leases]


def test_staff_see_every_lease_of_their_org_only(session: Session, world: World) -> None:
    leases = service.list_leases(session=session, actor=world.actors["finance"])
    assert codes(leases) == ["HT-2026-0001", "HT-2026-0002", "HT-2026-0003"]
    assert {lease.org_id for lease in leases} == {world.org.id}


def test_a_tenant_sees_only_its_own_leases(session: Session, world: World) -> None:
    assert codes(service.list_leases(session=session, actor=world.actors["tenant"])) == [
        "HT-2026-0001",
        "HT-2026-0003",
    ]
    assert codes(service.list_leases(session=session, actor=world.actors["tenant_b"])) == [
        "HT-2026-0002"
    ]


def test_another_tenants_lease_is_not_found(session: Session, world: World) -> None:
    with pytest.raises(NotFound, match="HT-2026-0002"):
        service.get_lease(session=session, actor=world.actors["tenant"], code="HT-2026-0002")


@pytest.fixture
def handover(session: Session, world: World) -> World:
    """Unit U-101 (meter M-101) goes from tenant TA to tenant TB on 2026-07-01."""
    world.leases["HT-2026-0001"].end_date = date(2026, 6, 30)
    session.add(
        Lease(
            org_id=world.org.id,
            code="HT-2026-0004",
            unit_id=world.units["U-101"].id,
            tenant_id=world.tenants["TB"].id,
            start_date=date(2026, 7, 1),
            end_date=date(2026, 12, 31),
            monthly_rent=Decimal("16000.00"),
            electricity_tariff=Decimal("1.3000"),
        )
    )
    session.commit()
    return world


@pytest.mark.parametrize(
    ("today", "ta_units", "tb_units"),
    [
        (date(2026, 6, 30), ["U-101", "U-103"], ["U-102"]),
        (date(2026, 7, 1), ["U-103"], ["U-101", "U-102"]),
    ],
)
def test_a_tenant_sees_a_unit_and_its_meter_only_while_its_lease_is_in_force(
    session: Session, handover: World, today: date, ta_units: list[str], tb_units: list[str]
) -> None:
    for actor, units in (
        (handover.actors["tenant"], ta_units),
        (handover.actors["tenant_b"], tb_units),
    ):
        listed = properties_service.list_units(session=session, actor=actor, today=today)
        assert [u.code for u in listed] == units
        meters = energy_service.list_meters(session=session, actor=actor, today=today)
        assert [m.code for m in meters] == [f"M-{u[2:]}" for u in units if u != "U-103"]


def test_without_a_date_visibility_is_as_of_the_orgs_today(
    session: Session, handover: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(identity_service, "org_today", lambda **_: date(2026, 7, 1))
    with pytest.raises(NotFound):
        energy_service.get_meter(session=session, actor=handover.actors["tenant"], code="M-101")
    meter = energy_service.get_meter(
        session=session, actor=handover.actors["tenant_b"], code="M-101"
    )
    assert meter.unit_id == handover.units["U-101"].id

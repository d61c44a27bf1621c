from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from cloud.energy import service as energy_service
from cloud.errors import NotFound
from cloud.identity import service as identity_service
from cloud.leasing import service
from cloud.leasing.models import Lease
from cloud.properties import service as properties_service
from tests.cloud.factories import World, add_readings


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


def test_a_new_tenant_sees_only_what_its_meter_recorded_during_its_lease(
    session: Session, handover: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TB takes over U-101 on 2026-07-01 (00:00 in Shanghai is 06-30 16:00 UTC): TA's
    consumption before that is not TB's to read."""
    monkeypatch.setattr(identity_service, "org_today", lambda **_: date(2026, 7, 2))
    meter = handover.meters["M-101"]
    add_readings(
        session,
        meter,
        [
            (datetime(2026, 6, 30, 15, 59, tzinfo=UTC), 100.0),  # TA's last minute
            (datetime(2026, 6, 30, 16, 0, tzinfo=UTC), 101.0),  # TB's first
            (datetime(2026, 7, 1, 8, 0, tzinfo=UTC), 110.0),
        ],
    )
    tenant_b = handover.actors["tenant_b"]
    seen = energy_service.readings(
        session=session,
        actor=tenant_b,
        meter_code="M-101",
        start=datetime(2026, 6, 1, tzinfo=UTC),
        end=datetime(2026, 8, 1, tzinfo=UTC),
    )
    assert [r.value for r in seen] == [101.0, 110.0]
    staff = energy_service.readings(
        session=session,
        actor=handover.actors["engineer"],
        meter_code="M-101",
        start=datetime(2026, 6, 1, tzinfo=UTC),
        end=datetime(2026, 8, 1, tzinfo=UTC),
    )
    assert [r.value for r in staff] == [100.0, 101.0, 110.0]


def test_a_tenants_latest_values_never_come_from_before_its_lease(
    session: Session, handover: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(identity_service, "org_today", lambda **_: date(2026, 7, 1))
    add_readings(session, handover.meters["M-101"], [(datetime(2026, 6, 20, tzinfo=UTC), 99.0)])
    snapshots = energy_service.latest_readings(session=session, actor=handover.actors["tenant_b"])
    by_meter = {s.meter_code: s for s in snapshots}
    assert by_meter["M-101"].values == {} and by_meter["M-101"].last_ts is None

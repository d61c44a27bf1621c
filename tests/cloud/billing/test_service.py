"""Electricity charges, checked against figures worked out by hand.

The org is in Asia/Shanghai (UTC+8), so March 2026 runs from 2026-02-28T16:00Z (inclusive) to
2026-03-31T16:00Z.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from cloud.billing import service
from cloud.billing.service import NoBillingMeter, NoReadings
from cloud.errors import Invalid, NotFound
from cloud.identity import service as identity_service
from tests.cloud.factories import World, add_readings

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def march(session: Session, world: World) -> World:
    # M-101 (lease HT-2026-0001, CT ratio 40, tariff 1.3000)
    add_readings(
        session,
        world.meters["M-101"],
        [
            (utc(2026, 2, 28, 15, 59), 100.00),  # 23:59 local on Feb 28: before the period
            (utc(2026, 2, 28, 16, 0), 100.25),  # exactly 00:00 local Mar 1: the opening
            (utc(2026, 3, 15, 4, 0), 150.00),
            (utc(2026, 3, 31, 15, 59, 59), 180.12),
            (utc(2026, 3, 31, 16, 0), 180.13625),  # exactly 00:00 local Apr 1: the closing
            (utc(2026, 4, 1, 0, 0), 190.00),  # after the period: not used, but proves coverage
        ],
    )
    # M-102 (lease HT-2026-0002, CT ratio 1, tariff 1.2000): first reading only mid-period
    add_readings(
        session,
        world.meters["M-102"],
        [(utc(2026, 3, 2, 0, 0), 500.000), (utc(2026, 3, 20, 0, 0), 512.345)],
    )
    session.commit()
    return world


def test_golden_charge_with_boundary_readings_and_ct_ratio(session: Session, march: World) -> None:
    charge = service.electricity_charge(
        session=session, actor=march.actors["finance"], lease_code="HT-2026-0001", **MARCH
    )
    assert (charge.opening_ts, charge.opening_kwh) == (utc(2026, 2, 28, 16), Decimal("100.25"))
    assert charge.opening_source == "at_or_before_start"
    assert (charge.closing_ts, charge.closing_kwh) == (utc(2026, 3, 31, 16), Decimal("180.13625"))
    # (180.13625 - 100.25) x 40 = 79.88625 x 40 = 3195.45 kWh
    assert charge.kwh == Decimal("3195.45")
    # 3195.45 x 1.3000 = 4154.085 -> half up -> 4154.09 (half even would say 4154.08)
    assert charge.amount == Decimal("4154.09")
    assert (charge.tariff, charge.ct_ratio, charge.currency) == (
        Decimal("1.3000"),
        Decimal("40.0000"),
        "CNY",
    )
    assert (charge.lease_code, charge.tenant_name, charge.unit_code, charge.meter_code) == (
        "HT-2026-0001",
        "TA Ltd",
        "U-101",
        "M-101",
    )
    assert charge.partial is False


def test_consecutive_periods_share_the_boundary_reading(session: Session, march: World) -> None:
    actor = march.actors["finance"]
    march_charge = service.electricity_charge(
        session=session, actor=actor, lease_code="HT-2026-0001", **MARCH
    )
    april = service.electricity_charge(
        session=session,
        actor=actor,
        lease_code="HT-2026-0001",
        period_start=date(2026, 4, 1),
        period_end=date(2026, 4, 30),
    )
    assert (april.opening_ts, april.opening_kwh) == (
        march_charge.closing_ts,
        march_charge.closing_kwh,
    )
    # (190.00 - 180.13625) x 40 = 394.55 kWh; April has no reading after it ends yet
    assert april.kwh == Decimal("394.55") and april.partial is True


def test_meter_without_earlier_reading_opens_with_its_first_in_the_period(
    session: Session, march: World
) -> None:
    charge = service.electricity_charge(
        session=session, actor=march.actors["finance"], lease_code="HT-2026-0002", **MARCH
    )
    assert charge.opening_source == "first_in_period"
    assert charge.opening_ts == utc(2026, 3, 2)
    # 512.345 - 500.000 = 12.345 -> half up -> 12.35 kWh; x 1.2000 = 14.82 CNY
    assert (charge.kwh, charge.amount) == (Decimal("12.35"), Decimal("14.82"))
    assert charge.partial is True


def test_period_is_clamped_to_the_lease(session: Session, march: World) -> None:
    charge = service.electricity_charge(
        session=session,
        actor=march.actors["finance"],
        lease_code="HT-2026-0002",
        period_start=date(2025, 12, 1),
        period_end=date(2026, 3, 31),
    )
    assert charge.period_start == date(2026, 1, 1)
    with pytest.raises(Invalid, match="outside"):
        service.electricity_charge(
            session=session,
            actor=march.actors["finance"],
            lease_code="HT-2026-0002",
            period_start=date(2025, 1, 1),
            period_end=date(2025, 1, 31),
        )


def test_bad_period_no_meter_no_readings(session: Session, march: World) -> None:
    actor = march.actors["finance"]
    with pytest.raises(Invalid) as backwards:
        service.electricity_charge(
            session=session,
            actor=actor,
            lease_code="HT-2026-0001",
            period_start=date(2026, 3, 31),
            period_end=date(2026, 3, 1),
        )
    assert backwards.value.field == "period_end"
    with pytest.raises(NoBillingMeter, match="U-103 of lease HT-2026-0003 has no billing meter"):
        service.electricity_charge(session=session, actor=actor, lease_code="HT-2026-0003", **MARCH)
    with pytest.raises(NoReadings, match="M-102 has no energy_import reading"):
        service.electricity_charge(
            session=session,
            actor=actor,
            lease_code="HT-2026-0002",
            period_start=date(2026, 2, 1),
            period_end=date(2026, 2, 28),
        )


def test_a_register_going_down_is_refused(session: Session, march: World) -> None:
    add_readings(session, march.meters["M-102"], [(utc(2026, 3, 25), 3.0)])
    with pytest.raises(Invalid, match="went down"):
        service.electricity_charge(
            session=session, actor=march.actors["finance"], lease_code="HT-2026-0002", **MARCH
        )


def test_a_tenant_gets_its_own_charge_and_not_anothers(session: Session, march: World) -> None:
    tenant = march.actors["tenant"]
    own = service.electricity_charge(
        session=session, actor=tenant, lease_code="HT-2026-0001", **MARCH
    )
    assert own.amount == Decimal("4154.09")
    with pytest.raises(NotFound):
        service.electricity_charge(
            session=session, actor=tenant, lease_code="HT-2026-0002", **MARCH
        )


def test_month_to_date_charges_skip_leases_without_meter_or_readings(
    session: Session, march: World
) -> None:
    charges = service.current_electricity_charges(
        session=session, actor=march.actors["finance"], today=date(2026, 3, 20)
    )
    assert [(c.lease_code, c.period_start, c.period_end) for c in charges] == [
        ("HT-2026-0001", date(2026, 3, 1), date(2026, 3, 20)),
        ("HT-2026-0002", date(2026, 3, 1), date(2026, 3, 20)),
    ]
    # HT-2026-0001 closes at the last reading up to 2026-03-20T16:00Z: 150.00 on 03-15, more
    # than a day before the end, so some of the period's energy is still to come
    assert charges[0].kwh == Decimal("1990.00") and charges[0].partial is True
    assert charges[1].kwh == Decimal("12.35")
    mine = service.current_electricity_charges(
        session=session, actor=march.actors["tenant"], today=date(2026, 3, 20)
    )
    assert [c.lease_code for c in mine] == ["HT-2026-0001"]


@pytest.mark.parametrize(
    ("stale", "partial"),
    [
        (utc(2026, 2, 27, 16, 0), False),  # exactly a day before the period start: fresh
        (utc(2026, 2, 27, 15, 59), True),  # a minute more: offline across the boundary
    ],
)
def test_an_opening_reading_more_than_a_day_old_makes_the_charge_partial(
    session: Session, world: World, stale: datetime, partial: bool
) -> None:
    add_readings(
        session,
        world.meters["M-101"],
        [(stale, 100.0), (utc(2026, 3, 31, 16), 110.0), (utc(2026, 4, 1), 111.0)],
    )
    charge = service.electricity_charge(
        session=session, actor=world.actors["finance"], lease_code="HT-2026-0001", **MARCH
    )
    assert (charge.opening_ts, charge.opening_source) == (stale, "at_or_before_start")
    assert charge.partial is partial


def test_a_closing_reading_more_than_a_day_before_an_ended_period_makes_it_partial(
    session: Session, world: World
) -> None:
    # The meter was offline from 03-30 to 04-02: the period has ended (there is a later
    # reading), but the energy of its last day lands in April.
    add_readings(
        session,
        world.meters["M-101"],
        [
            (utc(2026, 2, 28, 16), 100.0),
            (utc(2026, 3, 30, 15, 59), 110.0),
            (utc(2026, 4, 2), 120.0),
        ],
    )
    charge = service.electricity_charge(
        session=session, actor=world.actors["finance"], lease_code="HT-2026-0001", **MARCH
    )
    assert charge.closing_ts == utc(2026, 3, 30, 15, 59)
    assert charge.partial is True


def test_one_lease_with_bad_data_does_not_hide_the_others(
    session: Session, march: World, caplog: pytest.LogCaptureFixture
) -> None:
    add_readings(session, march.meters["M-102"], [(utc(2026, 3, 20, 12), 3.0)])  # went down
    session.commit()
    charges = service.current_electricity_charges(
        session=session, actor=march.actors["finance"], today=date(2026, 3, 20)
    )
    assert [c.lease_code for c in charges] == ["HT-2026-0001"]
    assert "lease HT-2026-0002 left out" in caplog.text and "went down" in caplog.text


def test_month_to_date_is_of_the_orgs_today_by_default(
    session: Session, march: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(identity_service, "org_today", lambda **_: date(2026, 3, 20))
    charges = service.current_electricity_charges(session=session, actor=march.actors["finance"])
    assert [(c.lease_code, c.period_end) for c in charges] == [
        ("HT-2026-0001", date(2026, 3, 20)),
        ("HT-2026-0002", date(2026, 3, 20)),
    ]


def test_a_new_lease_is_not_billed_what_the_meter_counted_before_it_began(
    session: Session, world: World
) -> None:
    """HT-2026-0002 begins 2026-01-01 (factories); its meter last reported in November, went
    offline over the handover and came back on 01-10: the gap's energy is not this tenant's."""
    add_readings(
        session,
        world.meters["M-102"],
        [
            (utc(2025, 11, 20), 500.0),  # the previous occupant's last reading
            (utc(2026, 1, 10), 640.0),  # back online, inside the new lease
            (utc(2026, 1, 31, 16), 700.0),  # 00:00 local on 02-01: closes January
        ],
    )
    charge = service.electricity_charge(
        session=session,
        actor=world.actors["finance"],
        lease_code="HT-2026-0002",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
    )
    assert (charge.opening_ts, charge.opening_source) == (utc(2026, 1, 10), "first_in_period")
    assert charge.kwh == Decimal("60.00") and charge.partial is True

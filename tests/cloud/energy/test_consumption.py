"""Energy series and period consumption per meter, unit, tenant and building, from readings
written through ingest's path and rolled up by the job; and who may see what."""

from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.energy import rollups
from cloud.energy.consumption import Scope, Width, consumption, series
from cloud.energy.models import Meter
from cloud.errors import Forbidden, Invalid, NotFound
from cloud.ingest.bulk import insert_readings
from protocols.profiles import ENERGY_IMPORT
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login

LOCAL_MIDNIGHT = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)  # 2026-03-01 00:00 in Shanghai
HOURS = 48
REPLACED_AT = 30  # M-102 is replaced at this hour: its new register starts at 1.0
API = "/api/v1"


def m101(hour: int) -> float:
    return 100.0 + hour  # 1 kWh an hour on the register, CT ratio 40


def m102(hour: int) -> float:
    return 500.0 + 2 * hour if hour < REPLACED_AT else 1.0 + 2 * (hour - REPLACED_AT)


@pytest.fixture
def hourly(session: Session, world: World) -> None:
    for code, register in (("M-101", m101), ("M-102", m102)):
        meter = world.meters[code]
        at = [LOCAL_MIDNIGHT + timedelta(hours=h) for h in range(HOURS)]
        insert_readings(
            session, [(meter.id, ENERGY_IMPORT, t, register(h)) for h, t in enumerate(at)]
        )
    rollups.refresh(session=session)
    session.commit()


def _rise(register: object, first: int, last: int) -> float:
    """The register's rise over readings first..last, a step down counting the new value."""
    assert callable(register)
    total = 0.0
    for h in range(first + 1, last + 1):
        step = register(h) - register(h - 1)
        total += register(h) if step < 0 else step
    return total


def test_a_meters_hourly_series_applies_its_ct_ratio(
    session: Session, world: World, hourly: None
) -> None:
    found = series(
        session=session,
        actor=world.actors["engineer"],
        scope=Scope.meter,
        code="M-101",
        width=Width.hour,
        start=LOCAL_MIDNIGHT,
        end=LOCAL_MIDNIGHT + timedelta(days=2),
    )
    assert found.meters == ["M-101"]
    assert [p.bucket for p in found.points] == [
        LOCAL_MIDNIGHT + timedelta(hours=h) for h in range(HOURS)
    ]
    assert [p.kwh for p in found.points] == [0.0] + [40.0] * (HOURS - 1)


def test_a_buildings_days_and_month_add_its_meters_and_flag_the_replacement(
    session: Session, world: World, hourly: None
) -> None:
    admin = world.actors["admin"]
    days = series(
        session=session,
        actor=admin,
        scope=Scope.building,
        code="A",
        width=Width.day,
        start=LOCAL_MIDNIGHT,
        end=LOCAL_MIDNIGHT + timedelta(days=2),
    )
    assert days.meters == ["M-101", "M-102"]
    first = _rise(m101, 0, 23) * 40 + _rise(m102, 0, 23)
    second = _rise(m101, 23, 47) * 40 + _rise(m102, 23, 47)
    assert [(p.bucket, p.kwh, p.resets) for p in days.points] == [
        (LOCAL_MIDNIGHT, round(first, 3), 0),
        (LOCAL_MIDNIGHT + timedelta(days=1), round(second, 3), 1),
    ]
    month = series(
        session=session,
        actor=admin,
        scope=Scope.building,
        code="A",
        width=Width.month,
        start=LOCAL_MIDNIGHT,
        end=LOCAL_MIDNIGHT + timedelta(days=31),
    )
    assert [(p.bucket, p.kwh) for p in month.points] == [(LOCAL_MIDNIGHT, round(first + second, 3))]


def test_consumption_is_the_register_difference_at_the_boundaries(
    session: Session, world: World, hourly: None
) -> None:
    start, end = LOCAL_MIDNIGHT + timedelta(hours=6), LOCAL_MIDNIGHT + timedelta(hours=36)
    found = consumption(
        session=session,
        actor=world.actors["finance"],
        scope=Scope.building,
        code="A",
        start=start,
        end=end,
    )
    by_meter = {m.meter_code: m for m in found.meters}
    a, b = by_meter["M-101"], by_meter["M-102"]
    assert (a.opening_register, a.closing_register) == (m101(5), m101(35))
    assert a.kwh == pytest.approx((m101(35) - m101(5)) * 40) and a.resets == 0
    assert b.kwh == pytest.approx(_rise(m102, 5, 35)) and b.resets == 1
    assert not a.partial and not b.partial
    assert found.kwh == pytest.approx(a.kwh + b.kwh)
    # Consumption over whole days equals the days of the series.
    days = series(
        session=session,
        actor=world.actors["finance"],
        scope=Scope.unit,
        code="U-102",
        width=Width.day,
        start=LOCAL_MIDNIGHT,
        end=LOCAL_MIDNIGHT + timedelta(days=2),
    )
    whole = consumption(
        session=session,
        actor=world.actors["finance"],
        scope=Scope.unit,
        code="U-102",
        start=LOCAL_MIDNIGHT,
        end=LOCAL_MIDNIGHT + timedelta(days=2),
    )
    assert whole.kwh == pytest.approx(sum(p.kwh for p in days.points))
    assert whole.meters[0].partial  # no reading before the first, none after the last


def test_a_tenant_sees_its_own_meters_only(session: Session, world: World, hourly: None) -> None:
    tenant, window = world.actors["tenant"], (LOCAL_MIDNIGHT, LOCAL_MIDNIGHT + timedelta(days=2))
    own = series(
        session=session,
        actor=tenant,
        scope=Scope.tenant,
        code="TA",
        width=Width.day,
        start=window[0],
        end=window[1],
    )
    assert own.meters == ["M-101"]
    assert own.points[0].kwh == pytest.approx(_rise(m101, 0, 23) * 40)
    for scope, code in ((Scope.meter, "M-102"), (Scope.unit, "U-102"), (Scope.meter, "M-PUB")):
        with pytest.raises(NotFound):
            consumption(
                session=session,
                actor=tenant,
                scope=scope,
                code=code,
                start=window[0],
                end=window[1],
            )
    with pytest.raises(Invalid):
        series(
            session=session,
            actor=tenant,
            scope=Scope.tenant,
            code="TB",
            width=Width.day,
            start=window[0],
            end=window[1],
        )
    with pytest.raises(Forbidden):
        series(
            session=session,
            actor=tenant,
            scope=Scope.building,
            code="A",
            width=Width.day,
            start=window[0],
            end=window[1],
        )


def test_the_same_codes_in_another_org_stay_apart(
    session: Session, world: World, hourly: None
) -> None:
    theirs = session.scalars(
        select(Meter).where(Meter.code == "M-101", Meter.org_id != world.org.id)
    ).one()
    at = [LOCAL_MIDNIGHT + timedelta(hours=h) for h in range(3)]
    insert_readings(session, [(theirs.id, ENERGY_IMPORT, t, 1000.0 * h) for h, t in enumerate(at)])
    rollups.refresh(session=session)
    found = series(
        session=session,
        actor=world.actors["admin"],
        scope=Scope.unit,
        code="U-101",
        width=Width.hour,
        start=LOCAL_MIDNIGHT,
        end=LOCAL_MIDNIGHT + timedelta(hours=3),
    )
    assert found.meters == ["M-101"]
    assert [p.kwh for p in found.points] == [0.0, 40.0, 40.0]


async def test_the_energy_api(
    client: AsyncClient, session: Session, world: World, hourly: None
) -> None:
    staff, tenant = await login(client, "acme-staff"), await login(client, "acme-tenant")
    params = {
        "width": "1d",
        "start": "2026-03-01T00:00:00+08:00",
        "end": "2026-03-03T00:00:00+08:00",
    }
    building = await client.get(f"{API}/energy/building/A/series", params=params, headers=staff)
    assert building.status_code == 200, building.text
    assert len(building.json()["points"]) == 2
    assert (
        await client.get(f"{API}/energy/building/A/series", params=params, headers=tenant)
    ).status_code == 403
    mine = await client.get(f"{API}/energy/tenant/TA/series", params=params, headers=tenant)
    assert mine.json()["meters"] == ["M-101"]
    period = {"start": params["start"], "end": params["end"]}
    used = await client.get(f"{API}/energy/meter/M-102/consumption", params=period, headers=staff)
    assert used.json()["meters"][0]["resets"] == 1
    assert (
        await client.get(f"{API}/energy/meter/M-102/consumption", params=period, headers=tenant)
    ).status_code == 404
    bad = await client.get(
        f"{API}/energy/meter/M-101/series", params={**params, "width": "2h"}, headers=staff
    )
    assert bad.status_code == 422

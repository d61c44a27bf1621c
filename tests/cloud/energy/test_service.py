from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from cloud.energy import service
from cloud.energy.schemas import ReadingCreate
from cloud.errors import Forbidden, Invalid, NotFound
from protocols.profiles import ENERGY_IMPORT
from tests.cloud.factories import World, add_readings

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def readings(session: Session, world: World) -> None:
    for code, base in (("M-101", 100.0), ("M-102", 500.0), ("M-PUB", 900.0)):
        meter = world.meters[code]
        add_readings(session, meter, [(T0 + timedelta(minutes=i), base + i) for i in range(3)])
        add_readings(session, meter, [(T0 + timedelta(minutes=1), 231.5)], metric="voltage")


def test_latest_readings_one_snapshot_per_visible_meter(
    session: Session, world: World, readings: None
) -> None:
    snapshots = service.latest_readings(session=session, actor=world.actors["engineer"])
    assert [s.meter_code for s in snapshots] == ["M-101", "M-102", "M-PUB"]
    first = snapshots[0]
    assert first.unit_code == "U-101"
    assert first.last_ts == T0 + timedelta(minutes=2)
    assert first.values == {ENERGY_IMPORT: 102.0, "voltage": 231.5}


def test_a_tenant_sees_only_its_units_meters(
    session: Session, world: World, readings: None
) -> None:
    snapshots = service.latest_readings(session=session, actor=world.actors["tenant"])
    assert [s.meter_code for s in snapshots] == ["M-101"]
    with pytest.raises(NotFound):
        service.readings(
            session=session,
            actor=world.actors["tenant"],
            meter_code="M-102",
            start=T0,
            end=T0 + timedelta(hours=1),
        )


def test_a_meter_without_readings_still_has_a_snapshot(session: Session, world: World) -> None:
    snapshots = service.latest_readings(session=session, actor=world.actors["admin"])
    assert [(s.meter_code, s.last_ts, s.values) for s in snapshots][0] == ("M-101", None, {})


def test_readings_in_a_half_open_range(session: Session, world: World, readings: None) -> None:
    found = service.readings(
        session=session,
        actor=world.actors["admin"],
        meter_code="M-101",
        start=T0 + timedelta(minutes=1),
        end=T0 + timedelta(minutes=2),
    )
    assert [(r.metric, r.ts, r.value) for r in found] == [
        (ENERGY_IMPORT, T0 + timedelta(minutes=1), 101.0),
        ("voltage", T0 + timedelta(minutes=1), 231.5),
    ]
    only = service.readings(
        session=session,
        actor=world.actors["admin"],
        meter_code="M-101",
        start=T0,
        end=T0 + timedelta(hours=1),
        metric="voltage",
    )
    assert [r.value for r in only] == [231.5]


def test_readings_range_must_be_ordered(session: Session, world: World) -> None:
    with pytest.raises(Invalid) as error:
        service.readings(
            session=session, actor=world.actors["admin"], meter_code="M-101", start=T0, end=T0
        )
    assert error.value.field == "end"


def _reading(minute: int, value: float, metric: str = ENERGY_IMPORT) -> ReadingCreate:
    return ReadingCreate(metric=metric, ts=T0 + timedelta(minutes=minute), value=value)


def test_recorded_readings_are_stored_once_and_kept_on_a_rerun(
    session: Session, world: World
) -> None:
    engineer = world.actors["engineer"]
    service.record_readings(
        session=session, actor=engineer, meter_code="M-102", readings=[_reading(0, 10.0)]
    )
    stored = service.record_readings(  # the import runs again, with another value for minute 0
        session=session,
        actor=engineer,
        meter_code="M-102",
        readings=[_reading(0, 99.0), _reading(1, 11.5)],
    )
    found = service.readings(
        session=session, actor=engineer, meter_code="M-102", start=T0, end=T0 + timedelta(hours=1)
    )
    assert [(r.ts, r.value) for r in found] == [(T0, 10.0), (T0 + timedelta(minutes=1), 11.5)]
    assert [(r.ts, r.value) for r in stored] == [(T0 + timedelta(minutes=1), 11.5)]


def test_recording_readings_names_the_bad_row_and_writes_nothing(
    session: Session, world: World
) -> None:
    admin = world.actors["admin"]
    with pytest.raises(Invalid, match="row 2: .*'reactive_power'"):
        service.record_readings(
            session=session,
            actor=admin,
            meter_code="M-101",
            readings=[_reading(0, 1.0), _reading(1, 2.0, metric="reactive_power")],
        )
    assert service.latest_readings(session=session, actor=admin)[0].values == {}


@pytest.mark.parametrize("role", ["finance", "tenant"])
def test_only_admins_and_engineers_record_readings(
    session: Session, world: World, role: str
) -> None:
    with pytest.raises(Forbidden):
        service.record_readings(
            session=session,
            actor=world.actors[role],
            meter_code="M-101",
            readings=[_reading(0, 1.0)],
        )


def test_readings_for_an_unknown_meter_are_refused(session: Session, world: World) -> None:
    with pytest.raises(NotFound):
        service.record_readings(
            session=session,
            actor=world.actors["admin"],
            meter_code="M-404",
            readings=[_reading(0, 1.0)],
        )

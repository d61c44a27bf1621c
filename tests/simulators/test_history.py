from datetime import UTC, datetime, timedelta

import pytest

from simulators.history import register_history
from simulators.meter import LiveMeter, SimulatedMeter

UNTIL = datetime(2026, 11, 18, 6, 0, tzinfo=UTC)  # a Wednesday, 14:00 in Shanghai


def test_history_ends_at_the_live_meters_start_and_only_grows() -> None:
    meter = SimulatedMeter(unit_id=1, start_energy_kwh=5000.0, seed=7)
    points = register_history(
        meter, since=UNTIL - timedelta(days=7), until=UNTIL, every=timedelta(hours=1)
    )
    assert points[-1] == (UNTIL, 5000.0)
    assert points[0][0] == UNTIL - timedelta(days=7) and len(points) == 7 * 24 + 1
    values = [kwh for _, kwh in points]
    assert all(b >= a for a, b in zip(values, values[1:], strict=False))
    # A week of an office floor: between the all-night base load and the working peak.
    week = values[-1] - values[0]
    assert 7 * 24 * meter.load.base_kw < week < 7 * 24 * meter.load.peak_kw


def test_working_hours_use_more_than_nights() -> None:
    meter = SimulatedMeter(unit_id=1, start_energy_kwh=5000.0)
    points = dict(
        register_history(
            meter, since=UNTIL - timedelta(days=1), until=UNTIL, every=timedelta(hours=1)
        )
    )
    # Shanghai 10:00-11:00 (02:00-03:00 UTC) against 02:00-03:00 (18:00-19:00 UTC the day before)
    morning = points[UNTIL - timedelta(hours=3)] - points[UNTIL - timedelta(hours=4)]
    night = points[UNTIL - timedelta(hours=11)] - points[UNTIL - timedelta(hours=12)]
    assert morning > 3 * night


def test_the_live_meter_continues_where_history_ends() -> None:
    meter = SimulatedMeter(unit_id=1, start_energy_kwh=800.0)
    history = register_history(
        meter, since=UNTIL - timedelta(hours=2), until=UNTIL, every=timedelta(hours=1)
    )
    live = LiveMeter(meter, started_at=UNTIL)
    assert live.energy_kwh == history[-1][1]


def test_a_register_cannot_go_below_zero() -> None:
    meter = SimulatedMeter(unit_id=3, start_energy_kwh=10.0)
    with pytest.raises(ValueError, match="unit 3: .*below zero"):
        register_history(
            meter, since=UNTIL - timedelta(days=30), until=UNTIL, every=timedelta(hours=1)
        )


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        register_history(
            SimulatedMeter(unit_id=1),
            since=datetime(2026, 11, 1),
            until=datetime(2026, 11, 2),
            every=timedelta(hours=1),
        )

from datetime import datetime, timedelta

import pytest

from simulators.load_curve import OfficeLoad

LOAD = OfficeLoad(base_kw=1.0, peak_kw=10.0, lunch_dip=0.25, noise=0.05)
MONDAY = datetime(2026, 3, 2)  # a Monday
SATURDAY = datetime(2026, 3, 7)


def _at(day: datetime, hhmm: str, seed: int = 0) -> float:
    hours, minutes = map(int, hhmm.split(":"))
    return LOAD.power_kw(day.replace(hour=hours, minute=minutes), seed=seed)


def test_working_day_is_high_in_office_hours_and_low_at_night():
    night = _at(MONDAY, "03:00")
    morning, afternoon = _at(MONDAY, "10:00"), _at(MONDAY, "15:30")
    assert night == pytest.approx(1.0, rel=0.06)
    assert morning == pytest.approx(10.0, rel=0.06)
    assert afternoon == pytest.approx(10.0, rel=0.06)
    assert _at(MONDAY, "22:30") < 1.1


def test_lunch_dips_below_the_morning():
    assert _at(MONDAY, "12:45") < 0.85 * _at(MONDAY, "10:00")


def test_the_day_ramps_up_and_down_without_steps():
    day = [LOAD.power_kw(MONDAY + timedelta(minutes=m)) for m in range(0, 24 * 60)]
    assert max(abs(b - a) for a, b in zip(day, day[1:], strict=False)) < 0.4
    assert _at(MONDAY, "08:00") == pytest.approx(5.5, rel=0.1)  # halfway up the morning ramp


def test_weekends_stay_near_base_load():
    saturday = [LOAD.power_kw(SATURDAY.replace(hour=h)) for h in range(24)]
    assert max(saturday) < 2.0


def test_same_time_and_seed_give_the_same_power_and_seeds_differ():
    assert _at(MONDAY, "10:17", seed=7) == _at(MONDAY, "10:17", seed=7)
    assert _at(MONDAY, "10:17", seed=7) != _at(MONDAY, "10:17", seed=8)


def test_time_zone_is_read_as_local_wall_clock():
    from zoneinfo import ZoneInfo

    aware = MONDAY.replace(hour=10, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert LOAD.power_kw(aware) == LOAD.power_kw(aware.replace(tzinfo=None))


def test_nonsense_shapes_are_refused():
    with pytest.raises(ValueError):
        OfficeLoad(base_kw=5, peak_kw=1)
    with pytest.raises(ValueError):
        OfficeLoad(noise=1.5)

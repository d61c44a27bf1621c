"""The business clock: working hours across nights, weekends, China's public holidays and the
weekend days made working days (调休), from the `holidays` package's 2026 schedule."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.workorders.calendar import BusinessCalendar, china_days

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOCK = BusinessCalendar(zone=SHANGHAI, days=china_days())


def at(day: str, hhmm: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=zone)


@pytest.mark.parametrize(
    ("start", "minutes", "due", "why"),
    [
        (at("2026-03-10", "10:00"), 60, at("2026-03-10", "11:00"), "inside one working day"),
        (at("2026-03-10", "17:30"), 60, at("2026-03-11", "09:30"), "across a night"),
        (at("2026-03-10", "22:00"), 30, at("2026-03-11", "09:30"), "reported at night"),
        (at("2026-03-10", "07:00"), 30, at("2026-03-10", "09:30"), "reported before opening"),
        (at("2026-03-06", "17:00"), 120, at("2026-03-09", "10:00"), "across a weekend"),
        (at("2026-03-07", "11:00"), 30, at("2026-03-09", "09:30"), "reported on a Saturday"),
        (at("2026-03-10", "17:00"), 60, at("2026-03-10", "18:00"), "ends at closing time"),
        (at("2026-03-10", "10:00"), 3 * 540, at("2026-03-13", "10:00"), "three working days"),
        # 清明 2026: Sat 4 Apr to Mon 6 Apr off (5 Apr, a Sunday, observed on Monday).
        (at("2026-04-03", "17:00"), 120, at("2026-04-07", "10:00"), "over Qingming"),
        # 元旦 2026: 1-3 Jan off, and Sunday 4 Jan is a working day (调休).
        (at("2025-12-31", "17:00"), 120, at("2026-01-04", "10:00"), "New Year, make-up Sunday"),
        # 春节 2026: Saturday 14 Feb works; 15-23 Feb off; Saturday 28 Feb works.
        (at("2026-02-13", "17:00"), 120, at("2026-02-14", "10:00"), "onto a make-up Saturday"),
        (at("2026-02-14", "17:00"), 120, at("2026-02-24", "10:00"), "over Spring Festival"),
        (at("2026-02-27", "17:30"), 60, at("2026-02-28", "09:30"), "make-up Saturday 28 Feb"),
        # 国庆 2026: Sunday 20 Sep works; 1-7 Oct off; Saturday 10 Oct works.
        (at("2026-09-30", "17:00"), 120, at("2026-10-08", "10:00"), "over National Day"),
        (at("2026-10-09", "17:00"), 120, at("2026-10-10", "10:00"), "make-up Saturday 10 Oct"),
    ],
)
def test_adding_business_minutes(start: datetime, minutes: int, due: datetime, why: str) -> None:
    assert CLOCK.add_minutes(start, minutes) == due, why
    if CLOCK.is_working_day(start.date()) and time(9) <= start.time() <= time(18):
        assert CLOCK.minutes_between(start, due) == minutes, why


def test_the_package_knows_2026_holidays_and_make_up_days() -> None:
    off = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 2, 17), date(2026, 4, 6)]
    off += [date(2026, 5, 5), date(2026, 6, 19), date(2026, 9, 25), date(2026, 10, 7)]
    assert not any(CLOCK.is_working_day(day) for day in off)
    make_up = [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9)]
    make_up += [date(2026, 9, 20), date(2026, 10, 10)]
    assert all(day.weekday() >= 5 and CLOCK.is_working_day(day) for day in make_up)
    assert not CLOCK.is_working_day(date(2026, 3, 7))  # an ordinary Saturday
    assert CLOCK.is_working_day(date(2026, 3, 9))


def test_minutes_between_counts_only_working_hours() -> None:
    assert CLOCK.minutes_between(at("2026-03-06", "17:00"), at("2026-03-09", "10:00")) == 120
    assert CLOCK.minutes_between(at("2026-03-09", "10:00"), at("2026-03-06", "17:00")) == -120
    assert CLOCK.minutes_between(at("2026-03-07", "10:00"), at("2026-03-08", "18:00")) == 0
    week = CLOCK.minutes_between(at("2026-03-09", "00:00"), at("2026-03-16", "00:00"))
    assert week == 5 * 9 * 60
    # Spring Festival week: only the make-up Saturday before it and Tuesday after it count.
    assert CLOCK.minutes_between(at("2026-02-14", "00:00"), at("2026-02-25", "00:00")) == 2 * 540
    assert CLOCK.minutes_between(at("2026-03-10", "10:00"), at("2026-03-10", "10:00:59")) == 0


def test_instants_in_any_zone_mean_the_same_moment() -> None:
    utc_start = at("2026-03-10", "09:00", ZoneInfo("UTC"))  # 17:00 in Shanghai
    assert CLOCK.add_minutes(utc_start, 90) == at("2026-03-11", "09:30")
    assert CLOCK.add_minutes(utc_start, 90).tzinfo == UTC


def test_an_org_elsewhere_works_its_own_hours_and_days() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    clock = BusinessCalendar(zone=berlin, day_start=time(8), day_end=time(16))
    # Across the spring DST change (29 Mar 2026): the working day is still 8 hours long.
    assert clock.add_minutes(at("2026-03-27", "15:00", berlin), 120) == at(
        "2026-03-30", "09:00", berlin
    )
    six_days = BusinessCalendar(zone=SHANGHAI, weekdays=frozenset(range(6)), days=china_days())
    assert six_days.add_minutes(at("2026-03-06", "17:00"), 120) == at("2026-03-07", "10:00")


def test_bad_calendars_and_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="end"):
        BusinessCalendar(zone=SHANGHAI, day_start=time(18), day_end=time(9))
    with pytest.raises(ValueError, match="negative"):
        CLOCK.add_minutes(at("2026-03-10", "10:00"), -1)
    with pytest.raises(ValueError, match="naive"):
        CLOCK.add_minutes(datetime(2026, 3, 10, 10), 1)
    with pytest.raises(ValueError, match="no working day"):
        BusinessCalendar(zone=SHANGHAI, weekdays=frozenset()).add_minutes(
            at("2026-03-10", "10:00"), 1
        )


@given(
    start=st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2026, 12, 31)),
    minutes=st.integers(min_value=0, max_value=10 * 540),
)
def test_adding_then_measuring_gives_the_minutes_back(start: datetime, minutes: int) -> None:
    start = start.replace(tzinfo=SHANGHAI, second=0, microsecond=0)
    due = CLOCK.add_minutes(start, minutes)
    assert due >= start
    assert CLOCK.minutes_between(start, due) == minutes
    if minutes:  # the due instant is inside working hours, never in a night or a holiday
        local = due.astimezone(SHANGHAI)
        assert CLOCK.is_working_day(local.date()) and time(9) < local.time() <= time(18)
    assert due - start >= timedelta(minutes=minutes)

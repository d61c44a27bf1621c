"""The business clock SLAs run on: working hours on working days in an org's time zone.

Pure: no database. A working day is a working weekday that is not a public holiday, or a
weekend day the state declared a working day (调休). `china_days` answers both from the
`holidays` package, which carries the State Council's yearly notices, make-up days included.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo

import holidays

MINUTE: Final = timedelta(minutes=1)
_SEARCH_DAYS: Final = 3_660
"""How far to look for the next working day before deciding the calendar has none (ten years)."""


@dataclass(frozen=True)
class DayRules:
    """Which dates are public days off, and which weekend dates are working days anyway."""

    is_holiday: Callable[[date], bool]
    is_make_up_day: Callable[[date], bool]


NO_HOLIDAYS: Final = DayRules(is_holiday=lambda _day: False, is_make_up_day=lambda _day: False)


@cache
def _country(country: str) -> tuple[holidays.HolidayBase, threading.Lock]:
    # One lazily growing table per country; the lock guards its year-by-year population.
    return holidays.country_holidays(country), threading.Lock()


def country_days(country: str) -> DayRules:
    """Public holidays and make-up working days of `country` (ISO code, e.g. "CN")."""
    table, lock = _country(country)

    def is_holiday(day: date) -> bool:
        with lock:
            return day in table  # populates the day's year on first use

    def is_make_up_day(day: date) -> bool:
        with lock:
            _ = day in table  # the year's make-up days arrive with its holidays
            return day in table.weekend_workdays

    return DayRules(is_holiday=is_holiday, is_make_up_day=is_make_up_day)


def china_days() -> DayRules:
    return country_days("CN")


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours `[day_start, day_end)` on working days, wall-clock in `zone`.

    `weekdays` are Python weekday numbers (Monday 0). Make-up days work the same hours.
    """

    zone: ZoneInfo
    day_start: time = time(9)
    day_end: time = time(18)
    weekdays: frozenset[int] = frozenset(range(5))
    days: DayRules = NO_HOLIDAYS

    def __post_init__(self) -> None:
        if self.day_end <= self.day_start:
            raise ValueError(f"working hours end ({self.day_end}) before they start")
        if not self.weekdays <= set(range(7)):
            raise ValueError(f"weekdays must be 0 (Monday) to 6, not {sorted(self.weekdays)}")

    def is_working_day(self, day: date) -> bool:
        if day.weekday() in self.weekdays:
            return not self.days.is_holiday(day)
        return self.days.is_make_up_day(day)

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The UTC instants a working day's hours begin and end (a DST day stays correct)."""
        start = datetime.combine(day, self.day_start, tzinfo=self.zone).astimezone(UTC)
        end = datetime.combine(day, self.day_end, tzinfo=self.zone).astimezone(UTC)
        return start, end

    def add_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant `minutes` business minutes after `start` (an aware instant)."""
        if minutes < 0:
            raise ValueError("business minutes to add must not be negative")
        left = minutes * MINUTE
        instant = _aware(start).astimezone(UTC)
        if not left:
            return instant
        day = instant.astimezone(self.zone).date()
        for _ in range(_SEARCH_DAYS):
            if self.is_working_day(day):
                open_at, close_at = self.window(day)
                begin = max(open_at, instant)
                if begin < close_at:
                    if begin + left <= close_at:
                        return begin + left
                    left -= close_at - begin
            day += timedelta(days=1)
        raise ValueError(f"no working day within {_SEARCH_DAYS} days of {start.isoformat()}")

    def time_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from `start` to `end`; negative when `end` comes first."""
        start, end = _aware(start).astimezone(UTC), _aware(end).astimezone(UTC)
        if end < start:
            return -self.time_between(end, start)
        total = timedelta(0)
        day, last = start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
        while day <= last:
            if self.is_working_day(day):
                open_at, close_at = self.window(day)
                overlap = min(close_at, end) - max(open_at, start)
                total += max(overlap, timedelta(0))
            day += timedelta(days=1)
        return total

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole business minutes from `start` to `end` (toward zero); negative when `end` is
        earlier."""
        between = self.time_between(start, end)
        whole = abs(between) // MINUTE
        return whole if between >= timedelta(0) else -whole


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant.isoformat()} given for an instant; add a tz")
    return instant

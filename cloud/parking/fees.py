"""The parking fee of a stay, from fee rules held as data. Pure and exact (Decimal, to the fen).

A stay is cut into 24-hour days counted from entry. Each day is billed afresh: a first period,
then increments, each slot priced by whether it starts in the night window; a day never costs
more than the cap. A stay within the free minutes costs nothing. A new-energy vehicle gets its
discount on the whole. After paying, the driver has `leave_minutes` to get out for free.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

FEN = Decimal("0.01")
DAY = timedelta(hours=24)
MAX_DAYS = 400
"""Longer stays are not billed by rule: they go to review (a car left a year is a case)."""


@dataclass(frozen=True)
class FeeRules:
    """How a site charges for a stay. Prices in CNY; minutes are whole minutes."""

    free_minutes: int = 15
    first_minutes: int = 60
    first_price: Decimal = Decimal("5.00")
    increment_minutes: int = 30
    increment_price: Decimal = Decimal("2.00")
    daily_cap: Decimal = Decimal("30.00")
    night_start: time | None = None
    night_end: time | None = None
    night_price: Decimal = Decimal("0.00")
    """Price of any slot (first period or increment) that starts in the night window."""
    new_energy_discount: Decimal = Decimal("0.00")
    """Share of the fee taken off for a new-energy vehicle: 0.50 halves it."""
    leave_minutes: int = 15
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        if self.free_minutes < 0 or self.leave_minutes < 0:
            raise ValueError("free_minutes and leave_minutes may not be negative")
        if self.first_minutes <= 0 or self.increment_minutes <= 0:
            raise ValueError("first_minutes and increment_minutes must be positive")
        prices = (self.first_price, self.increment_price, self.daily_cap, self.night_price)
        if any(p < 0 for p in prices):
            raise ValueError("prices and the cap may not be negative")
        if not Decimal(0) <= self.new_energy_discount <= Decimal(1):
            raise ValueError("new_energy_discount is a share between 0 and 1")
        if (self.night_start is None) != (self.night_end is None):
            raise ValueError("a night window needs both night_start and night_end")

    def in_night(self, at: datetime) -> bool:
        """Whether the local wall-clock time of `at` falls in [night_start, night_end)."""
        if self.night_start is None or self.night_end is None:
            return False
        clock = at.astimezone(ZoneInfo(self.timezone)).time()
        if self.night_start <= self.night_end:
            return self.night_start <= clock < self.night_end
        return clock >= self.night_start or clock < self.night_end  # over midnight


def stay_fee(
    rules: FeeRules, entered_at: datetime, exited_at: datetime, *, new_energy: bool = False
) -> Decimal:
    """What a stay from `entered_at` to `exited_at` costs under `rules`."""
    if exited_at < entered_at:
        raise ValueError("exit before entry")
    dwell = exited_at - entered_at
    if dwell <= timedelta(minutes=rules.free_minutes):
        return Decimal("0.00")
    if dwell > MAX_DAYS * DAY:
        raise ValueError(f"a stay over {MAX_DAYS} days is not billed by rule")
    total = Decimal(0)
    day_start = entered_at
    while day_start < exited_at:
        day_end = min(day_start + DAY, exited_at)
        total += min(rules.daily_cap, _day_charge(rules, day_start, day_end))
        day_start += DAY
    if new_energy:
        total *= 1 - rules.new_energy_discount
    return total.quantize(FEN, rounding=ROUND_HALF_UP)


def _day_charge(rules: FeeRules, start: datetime, end: datetime) -> Decimal:
    """Slots from `start` until they cover `end` (a started slot is a whole slot)."""
    charge = Decimal(0)
    slot_start = start
    length = timedelta(minutes=rules.first_minutes)
    price = rules.first_price
    while slot_start < end:
        charge += rules.night_price if rules.in_night(slot_start) else price
        if charge >= rules.daily_cap:
            return charge  # the cap applies; no need to count further
        slot_start += length
        length = timedelta(minutes=rules.increment_minutes)
        price = rules.increment_price
    return charge


def amount_due(
    rules: FeeRules,
    entered_at: datetime,
    at: datetime,
    *,
    paid: Decimal,
    paid_at: datetime | None,
    new_energy: bool = False,
) -> Decimal:
    """What is still owed for leaving at `at`: nothing within `leave_minutes` of the last
    payment, else the fee of the whole stay less what was paid (never below zero)."""
    if paid_at is not None and at <= paid_at + timedelta(minutes=rules.leave_minutes):
        return Decimal("0.00")
    fee = stay_fee(rules, entered_at, at, new_energy=new_energy)
    return max(Decimal("0.00"), fee - paid)

"""The fee calculator: cases worked by hand, and properties that must hold for any stay."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.parking.fees import FeeRules, amount_due, stay_fee

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Free 15 min; first hour 5; then 2 per half hour; 30 a day; night (22:00-07:00) slots 1 each;
# new-energy vehicles pay half.
RULES = FeeRules(
    free_minutes=15,
    first_minutes=60,
    first_price=Decimal("5.00"),
    increment_minutes=30,
    increment_price=Decimal("2.00"),
    daily_cap=Decimal("30.00"),
    night_start=time(22),
    night_end=time(7),
    night_price=Decimal("1.00"),
    new_energy_discount=Decimal("0.50"),
    leave_minutes=15,
)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("entered", "exited", "fee"),
    [
        ("2026-03-02 09:00", "2026-03-02 09:10", "0.00"),  # within the free minutes
        ("2026-03-02 09:00", "2026-03-02 09:15", "0.00"),  # exactly the free minutes
        ("2026-03-02 09:00", "2026-03-02 09:16", "5.00"),  # first period, started
        ("2026-03-02 09:00", "2026-03-02 10:00", "5.00"),  # first period, full
        ("2026-03-02 09:00", "2026-03-02 10:01", "7.00"),  # + one increment
        ("2026-03-02 09:00", "2026-03-02 12:00", "13.00"),  # 5 + 4 x 2
        ("2026-03-02 09:00", "2026-03-02 19:00", "30.00"),  # 5 + 18 x 2 = 41, capped
        ("2026-03-02 21:00", "2026-03-02 23:30", "8.00"),  # 5 (21:00) + 3 night slots x 1
        ("2026-03-02 23:00", "2026-03-03 01:00", "3.00"),  # night first period 1 + 2 x 1
        ("2026-03-02 09:00", "2026-03-03 10:00", "35.00"),  # day one capped 30 + 5
        ("2026-03-02 09:00", "2026-03-04 09:00", "60.00"),  # two full days, each capped
    ],
)
def test_golden_cases(entered: str, exited: str, fee: str) -> None:
    assert stay_fee(RULES, local(entered), local(exited)) == Decimal(fee)


def test_new_energy_pays_the_discounted_fee_rounded_to_the_fen() -> None:
    assert stay_fee(
        RULES, local("2026-03-02 09:00"), local("2026-03-02 12:00"), new_energy=True
    ) == Decimal("6.50")
    third_off = FeeRules(increment_price=Decimal("1.00"), new_energy_discount=Decimal("0.3333"))
    # 5 + 1 = 6 a 90-minute stay; 6 x 0.6667 = 4.0002 -> 4.00
    fee = stay_fee(third_off, local("2026-03-02 09:00"), local("2026-03-02 10:30"), new_energy=True)
    assert fee == Decimal("4.00")


def test_leaving_within_the_grace_after_paying_owes_nothing_and_later_owes_the_rest() -> None:
    entered, paid_at = local("2026-03-02 09:00"), local("2026-03-02 12:00")
    paid = stay_fee(RULES, entered, paid_at)
    assert paid == Decimal("13.00")
    soon = paid_at + timedelta(minutes=15)
    assert amount_due(RULES, entered, soon, paid=paid, paid_at=paid_at) == Decimal("0.00")
    late = paid_at + timedelta(minutes=16)  # 12:16: one more increment than was paid for
    assert amount_due(RULES, entered, late, paid=paid, paid_at=paid_at) == Decimal("2.00")
    unpaid = amount_due(RULES, entered, late, paid=Decimal(0), paid_at=None)
    assert unpaid == Decimal("15.00")


def test_rules_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="increment_minutes"):
        FeeRules(increment_minutes=0)
    with pytest.raises(ValueError, match="night"):
        FeeRules(night_start=time(22))
    with pytest.raises(ValueError, match="exit before entry"):
        stay_fee(RULES, local("2026-03-02 09:00"), local("2026-03-02 08:00"))


rules_strategy = st.builds(
    FeeRules,
    free_minutes=st.integers(0, 60),
    first_minutes=st.integers(1, 180),
    first_price=st.decimals(0, 50, places=2),
    increment_minutes=st.integers(1, 120),
    increment_price=st.decimals(0, 20, places=2),
    daily_cap=st.decimals(0, 200, places=2),
    night_start=st.just(time(22)),
    night_end=st.just(time(7)),
    night_price=st.decimals(0, 20, places=2),
    new_energy_discount=st.decimals(0, 1, places=2),
)
starts = st.datetimes(datetime(2026, 1, 1), datetime(2027, 1, 1), timezones=st.just(SHANGHAI))
dwells = st.integers(0, 10 * 24 * 60)


@given(rules_strategy, starts, dwells, st.booleans())
def test_fee_never_exceeds_the_cap_times_the_days(
    rules: FeeRules, entered: datetime, minutes: int, new_energy: bool
) -> None:
    fee = stay_fee(rules, entered, entered + timedelta(minutes=minutes), new_energy=new_energy)
    days = max(1, -(-minutes // (24 * 60)))
    assert Decimal(0) <= fee <= rules.daily_cap * days


@given(rules_strategy, starts, dwells, st.integers(0, 3 * 24 * 60), st.booleans())
def test_fee_is_monotone_in_dwell_time(
    rules: FeeRules, entered: datetime, minutes: int, more: int, new_energy: bool
) -> None:
    shorter = stay_fee(rules, entered, entered + timedelta(minutes=minutes), new_energy=new_energy)
    longer = stay_fee(
        rules, entered, entered + timedelta(minutes=minutes + more), new_energy=new_energy
    )
    assert shorter <= longer

"""Splits, tiers and time-of-use, by hand and with hypothesis."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.billing import tariffs
from cloud.errors import Invalid

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
BANDS = [
    {"start": "08:00", "end": "11:00", "band": "peak"},
    {"start": "18:00", "end": "21:00", "band": "peak"},
    {"start": "23:00", "end": "00:00", "band": "valley"},
    {"start": "00:00", "end": "07:00", "band": "valley"},
]


def test_split_by_hand() -> None:
    # 100.00 in thirds: 33.33 x3 = 99.99, the fen left goes to the first of equal remainders
    assert tariffs.split(D("100.00"), [D(1), D(1), D(1)]) == [D("33.34"), D("33.33"), D("33.33")]
    # 10.00 by 1:2 -> 3.333.. and 6.666..: floors 3.33 + 6.66, the fen to the larger remainder
    assert tariffs.split(D("10.00"), [D(1), D(2)]) == [D("3.33"), D("6.67")]
    assert tariffs.split(D("-10.00"), [D(1), D(2)]) == [D("-3.33"), D("-6.67")]
    assert tariffs.split(D("0.05"), [D(0), D(0)]) == [D("0.03"), D("0.02")]
    with pytest.raises(Invalid):
        tariffs.split(D("1.00"), [D(-1), D(2)])


@given(
    total=st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    weights=st.lists(
        st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False),
        min_size=1,
        max_size=30,
    ),
)
def test_split_parts_add_up_to_the_whole_and_stay_within_a_fen(
    total: Decimal, weights: list[Decimal]
) -> None:
    parts = tariffs.split(total, weights)
    assert sum(parts) == total
    whole = sum(weights) or Decimal(len(weights))
    shares = weights if sum(weights) else [Decimal(1)] * len(weights)
    for part, weight in zip(parts, shares, strict=True):
        assert abs(part - total * weight / whole) < D("0.01")
        assert part == part.quantize(D("0.01"))


def test_tiered_by_hand() -> None:
    tiers = [
        {"up_to": "100", "price": "0.50"},
        {"up_to": "300", "price": "0.80"},
        {"price": "1.00"},
    ]
    # 100 x 0.50 + 200 x 0.80 + 50.55 x 1.00 = 50 + 160 + 50.55
    assert tariffs.tiered_amount(D("350.55"), tiers) == D("260.55")
    assert tariffs.tiered_amount(D("80"), tiers) == D("40.00")
    with pytest.raises(Invalid):
        tariffs.tiered_amount(D("500"), tiers[:2])


def test_time_of_use_by_hand() -> None:
    # Local 06:00 to 09:00 on one day: 1 h valley (06-07), 1 h flat (07-08), 1 h peak (08-09),
    # 30 kWh spread evenly: 10 each; at CT 2: 20 each.
    start = datetime(2026, 3, 2, 6, tzinfo=SHANGHAI).astimezone(UTC)
    points = [(start, D("100")), (start + timedelta(hours=3), D("130"))]
    kwh = tariffs.tou_kwh(points, BANDS, SHANGHAI, D(2))
    assert kwh == {"peak": D("20.00"), "flat": D("20.00"), "valley": D("20.00")}
    prices = {"peak": "1.20", "flat": "0.80", "valley": "0.40"}
    assert tariffs.tou_amount(kwh, prices) == D("48.00")  # 24 + 16 + 8
    # Over midnight: 22:00 to 01:00 = 1 h flat, 2 h valley, 9 kWh
    late = datetime(2026, 3, 2, 22, tzinfo=SHANGHAI).astimezone(UTC)
    kwh = tariffs.tou_kwh(
        [(late, D("0")), (late + timedelta(hours=3), D("9"))], BANDS, SHANGHAI, D(1)
    )
    assert kwh == {"peak": D("0.00"), "flat": D("3.00"), "valley": D("6.00")}


@given(st.lists(st.decimals(min_value=0, max_value=50, places=3), min_size=2, max_size=40))
def test_time_of_use_bands_add_up_to_the_register_difference(steps: list[Decimal]) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    points, value = [], D(1000)
    for i, step in enumerate(steps):
        value += step
        points.append((start + timedelta(minutes=97 * i), value))
    kwh = tariffs.tou_kwh(points, BANDS, SHANGHAI, D(40))
    expected = ((points[-1][1] - points[0][1]) * 40).quantize(D("0.01"))
    assert sum(kwh.values()) == expected

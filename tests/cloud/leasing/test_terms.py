"""The contract-term compiler against hand-computed schedules, and its properties."""

import json
from datetime import date, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from cloud.leasing.cli import app
from cloud.leasing.terms import CSV_HEADER, Charge, add_months, compile_schedule, load_terms
from cloud.leasing.terms_schemas import CYCLE_MONTHS, ContractTerms

EXAMPLE = Path(__file__).parents[3] / "cloud" / "leasing" / "examples" / "contract.json"

Row = tuple[str, str, str, str, str]


def terms(**overrides: Any) -> ContractTerms:
    base: dict[str, Any] = {
        "units": [{"code": "A-1", "gross": "120", "net": "90", "rentable": "100"}],
        "payment_cycle": "monthly",
        "due": {"rule": "days_before_start", "days": 0},
    }
    return ContractTerms.model_validate(base | overrides)


def rows(contract: ContractTerms) -> list[Row]:
    return [
        (
            r.due_date.isoformat(),
            r.period_start.isoformat(),
            r.period_end.isoformat(),
            r.item,
            str(r.amount),
        )
        for r in compile_schedule(contract)
    ]


def rent(pricing: str, price: str, **more: Any) -> dict[str, Any]:
    return {"name": "rent", "kind": "rent", "pricing": pricing, "price": price} | more


# --- golden cases ----------------------------------------------------------------------------


def test_a_mid_month_start_and_end_monthly_in_advance_actual_days() -> None:
    contract = terms(
        lease_start="2026-01-15",
        rent_start="2026-01-15",
        end="2026-04-10",
        fee_items=[rent("per_m2_per_month", "120.00")],  # 120 × 100 m² = 12000 a month
        due={"rule": "day_of_month_before", "day": 25},
    )
    assert rows(contract) == [
        # 17 of 31 days: 12000 × 17/31 = 6580.6451… → 6580.65
        ("2025-12-25", "2026-01-15", "2026-01-31", "rent", "6580.65"),
        ("2026-01-25", "2026-02-01", "2026-02-28", "rent", "12000.00"),
        ("2026-02-25", "2026-03-01", "2026-03-31", "rent", "12000.00"),
        # 10 of 30 days: 12000 × 10/30 = 4000
        ("2026-03-25", "2026-04-01", "2026-04-10", "rent", "4000.00"),
    ]


def test_b_free_rent_window_across_a_step_date() -> None:
    steps = {"type": "steps", "steps": [{"from": "2026-07-06", "price": "110"}]}
    contract = terms(
        lease_start="2026-05-01",
        rent_start="2026-05-01",
        end="2026-08-31",
        fee_items=[
            rent("per_m2_per_month", "100", escalation=steps),  # 10000 → 11000 from 07-06
            {
                "name": "property fee",
                "kind": "property_fee",
                "pricing": "fixed_per_month",
                "price": "800",
                "escalation": {"type": "steps", "steps": [{"from": "2026-07-06", "price": "900"}]},
            },
        ],
        free_rent=[{"start": "2026-06-16", "end": "2026-07-10"}],  # rent items only
    )
    assert rows(contract) == [
        ("2026-05-01", "2026-05-01", "2026-05-31", "rent", "10000.00"),
        ("2026-05-01", "2026-05-01", "2026-05-31", "property fee", "800.00"),
        # 06-01..06-15 charged: 10000 × 15/30 = 5000; 06-16..06-30 free
        ("2026-06-01", "2026-06-01", "2026-06-30", "rent", "5000.00"),
        ("2026-06-01", "2026-06-01", "2026-06-30", "property fee", "800.00"),
        # 07-01..07-05 free at 100, 07-06..07-10 free at 110, 07-11..07-31: 11000 × 21/31
        # = 231000/31 = 7451.6129… → 7451.61
        ("2026-07-01", "2026-07-01", "2026-07-31", "rent", "7451.61"),
        # not free (property fee): 800 × 5/31 + 900 × 26/31 = 27400/31 = 883.8709… → 883.87
        ("2026-07-01", "2026-07-01", "2026-07-31", "property fee", "883.87"),
        ("2026-08-01", "2026-08-01", "2026-08-31", "rent", "11000.00"),
        ("2026-08-01", "2026-08-01", "2026-08-31", "property fee", "900.00"),
    ]


def test_c_leap_year_february_with_per_m2_per_day_pricing() -> None:
    contract = terms(
        lease_start="2028-02-10",
        rent_start="2028-02-10",
        end="2028-03-31",
        fee_items=[
            # 3.00 × 100 m² × 365/12 = 9125 a month
            rent("per_m2_per_day", "3.00"),
            # 0.50 × 120 m² gross × 365/12 = 1825 a month
            {
                "name": "property fee",
                "kind": "property_fee",
                "pricing": "per_m2_per_day",
                "area_type": "gross",
                "price": "0.50",
            },
        ],
    )
    assert rows(contract) == [
        # 02-10..02-29 is 20 of 29 days: 9125 × 20/29 = 182500/29 = 6293.1034… → 6293.10
        ("2028-02-10", "2028-02-10", "2028-02-29", "rent", "6293.10"),
        # 1825 × 20/29 = 36500/29 = 1258.6206… → 1258.62
        ("2028-02-10", "2028-02-10", "2028-02-29", "property fee", "1258.62"),
        ("2028-03-01", "2028-03-01", "2028-03-31", "rent", "9125.00"),
        ("2028-03-01", "2028-03-01", "2028-03-31", "property fee", "1825.00"),
    ]


def test_d_quarterly_in_advance_with_a_5_percent_compound_escalation_every_12_months() -> None:
    escalation = {"type": "periodic", "every_months": 12, "by": "percent", "value": "5"}
    contract = terms(
        lease_start="2026-02-15",
        rent_start="2026-02-15",
        end="2029-02-14",
        # 10000 a month; 10500 from 2027-02-15; 10000 × 1.05² = 11025 from 2028-02-15
        fee_items=[rent("per_m2_per_month", "100", escalation=escalation | {"compound": True})],
        payment_cycle="quarterly",
        due={"rule": "day_of_month_before", "day": 20},
    )
    assert rows(contract) == [
        # grid quarters start on the first of lease_start's month: Feb, May, Aug, Nov
        # Feb 15..28 = 14/28 × 10000 = 5000, + Mar + Apr = 25000
        ("2026-01-20", "2026-02-15", "2026-04-30", "rent", "25000.00"),
        ("2026-04-20", "2026-05-01", "2026-07-31", "rent", "30000.00"),
        ("2026-07-20", "2026-08-01", "2026-10-31", "rent", "30000.00"),
        ("2026-10-20", "2026-11-01", "2027-01-31", "rent", "30000.00"),
        # 14/28 × 10000 + 14/28 × 10500 + 2 × 10500 = 5000 + 5250 + 21000
        ("2027-01-20", "2027-02-01", "2027-04-30", "rent", "31250.00"),
        ("2027-04-20", "2027-05-01", "2027-07-31", "rent", "31500.00"),
        ("2027-07-20", "2027-08-01", "2027-10-31", "rent", "31500.00"),
        ("2027-10-20", "2027-11-01", "2028-01-31", "rent", "31500.00"),
        # leap Feb: 14/29 × 10500 + 15/29 × 11025 = (147000 + 165375)/29 = 10771.5517…
        # + 2 × 11025 = 32821.5517… → 32821.55 (rounding each piece would give .56)
        ("2028-01-20", "2028-02-01", "2028-04-30", "rent", "32821.55"),
        ("2028-04-20", "2028-05-01", "2028-07-31", "rent", "33075.00"),
        ("2028-07-20", "2028-08-01", "2028-10-31", "rent", "33075.00"),
        ("2028-10-20", "2028-11-01", "2029-01-31", "rent", "33075.00"),
        # 14/28 × 11025 = 5512.50 (simple 5% would have given 11000 a month here)
        ("2029-01-20", "2029-02-01", "2029-02-14", "rent", "5512.50"),
    ]


def test_e_thirty_day_convention_rounds_half_up() -> None:
    parking = {"name": "parking", "kind": "parking", "pricing": "fixed_per_month"}
    contract = terms(
        lease_start="2027-01-16",
        rent_start="2027-01-16",
        end="2027-03-14",
        fee_items=[rent("fixed_per_month", "9000"), parking | {"price": "100.01"}],
        proration="thirty_day",
        due={"rule": "days_before_start", "days": 10},
    )
    assert rows(contract) == [
        # Jan 16..31 counts days 16..30 = 15/30: 4500; 100.01 × 15/30 = 50.005 → 50.01 (half up)
        ("2027-01-06", "2027-01-16", "2027-01-31", "rent", "4500.00"),
        ("2027-01-06", "2027-01-16", "2027-01-31", "parking", "50.01"),
        # a whole 28-day February is a whole month
        ("2027-01-22", "2027-02-01", "2027-02-28", "rent", "9000.00"),
        ("2027-01-22", "2027-02-01", "2027-02-28", "parking", "100.01"),
        # Mar 1..14 = 14/30: 4200; 100.01 × 14/30 = 46.6713… → 46.67
        ("2027-02-19", "2027-03-01", "2027-03-14", "rent", "4200.00"),
        ("2027-02-19", "2027-03-01", "2027-03-14", "parking", "46.67"),
    ]


def test_property_fee_runs_from_handover_and_rent_from_rent_start() -> None:
    fee = {"name": "pf", "kind": "property_fee", "pricing": "fixed_per_month", "price": "300"}
    contract = terms(
        lease_start="2026-03-01",
        rent_start="2026-05-01",
        end="2026-05-31",
        fee_items=[rent("fixed_per_month", "1000"), fee],
    )
    assert [(r[1], r[3]) for r in rows(contract)] == [
        ("2026-03-01", "pf"),
        ("2026-04-01", "pf"),
        ("2026-05-01", "rent"),
        ("2026-05-01", "pf"),
    ]


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"end": "2026-01-01"}, "end 2026-01-01 is before rent_start"),
        ({"rent_start": "2025-12-01"}, "rent_start 2025-12-01 is before lease_start"),
        ({"free_rent": [{"start": "2026-12-01", "end": "2027-01-31"}]}, "outside the lease"),
        ({"free_rent": [{"start": "2026-03-01", "end": "2026-02-01"}]}, "end 2026-02-01 is before"),
        ({"free_rent": [{"start": "2026-03-01", "end": "2026-03-31", "items": ["x"]}]}, "x"),
    ],
)
def test_impossible_combinations_are_named(change: dict[str, Any], says: str) -> None:
    base = {"lease_start": "2026-01-01", "rent_start": "2026-02-01", "end": "2026-12-31"}
    with pytest.raises(ValidationError, match=says):
        terms(**(base | {"fee_items": [rent("fixed_per_month", "1")]} | change))


def test_a_bad_field_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        terms(
            lease_start="2026-01-01",
            rent_start="2026-01-01",
            end="2026-12-31",
            fee_items=[rent("per_m2_per_week", "-1")],
        )
    locations = {tuple(error["loc"]) for error in caught.value.errors()}
    assert {("fee_items", 0, "pricing"), ("fee_items", 0, "price")} <= locations


# --- properties ------------------------------------------------------------------------------

START = date(2024, 1, 1)


@st.composite
def contracts(draw: st.DrawFn, *, extras: bool = True) -> ContractTerms:
    lease_start = START + timedelta(days=draw(st.integers(0, 6 * 365)))
    rent_start = lease_start + timedelta(days=draw(st.integers(0, 90)))
    end = rent_start + timedelta(days=draw(st.integers(0, 4 * 366)))
    day = st.integers(0, (end - lease_start).days).map(lambda n: lease_start + timedelta(days=n))
    cents = st.integers(0, 10**6).map(lambda n: str(Decimal(n) / 100))
    items = []
    for i in range(draw(st.integers(1, 3))):
        item: dict[str, Any] = {
            "name": f"item{i}",
            "kind": draw(st.sampled_from(["rent", "property_fee", "parking", "other"])),
            "pricing": draw(
                st.sampled_from(["per_m2_per_day", "per_m2_per_month", "fixed_per_month"])
            ),
            "area_type": draw(st.sampled_from(["gross", "net", "rentable"])),
            "price": draw(cents),
        }
        if extras and draw(st.booleans()):
            if draw(st.booleans()):
                dates = sorted(set(draw(st.lists(day, min_size=1, max_size=4))))
                steps = [{"from": d.isoformat(), "price": draw(cents)} for d in dates]
                item["escalation"] = {"type": "steps", "steps": steps}
            else:
                item["escalation"] = {
                    "type": "periodic",
                    "every_months": draw(st.integers(1, 24)),
                    "by": draw(st.sampled_from(["amount", "percent"])),
                    "value": draw(st.integers(0, 2000).map(lambda n: str(Decimal(n) / 100))),
                    "compound": draw(st.booleans()),
                }
        items.append(item)
    windows = []
    for _ in range(draw(st.integers(0, 2) if extras else st.just(0))):
        a, b = sorted([draw(day), draw(day)])
        windows.append({"start": a.isoformat(), "end": b.isoformat()})
    area = st.integers(1, 10**6).map(lambda n: str(Decimal(n) / 100))
    return ContractTerms.model_validate(
        {
            "lease_start": lease_start.isoformat(),
            "rent_start": rent_start.isoformat(),
            "end": end.isoformat(),
            "units": [
                {"code": f"U{u}", "gross": draw(area), "net": draw(area), "rentable": draw(area)}
                for u in range(draw(st.integers(1, 2)))
            ],
            "fee_items": items,
            "free_rent": windows,
            "payment_cycle": draw(st.sampled_from(list(CYCLE_MONTHS))),
            "due": draw(
                st.sampled_from(
                    [
                        {"rule": "days_before_start", "days": 15},
                        {"rule": "day_of_month_before", "day": 31},
                        {"rule": "day_of_start_month", "day": 5},
                    ]
                )
            ),
            "proration": draw(st.sampled_from(["actual_days", "thirty_day"])),
        }
    )


def by_item(schedule: list[Charge], name: str) -> list[Charge]:
    return [row for row in schedule if row.item == name]


@given(contracts())
@settings(max_examples=150, deadline=None)
def test_the_schedule_is_deterministic(contract: ContractTerms) -> None:
    again = load_terms(contract.model_dump_json(by_alias=True))
    assert compile_schedule(contract) == compile_schedule(again)


@given(contracts())
@settings(max_examples=150, deadline=None)
def test_rows_cover_each_items_term_exactly_once(contract: ContractTerms) -> None:
    schedule = compile_schedule(contract)
    months = CYCLE_MONTHS[contract.payment_cycle]
    for item in contract.fee_items:
        own = by_item(schedule, item.name)
        assert own[0].period_start == item.starts(contract)
        assert own[-1].period_end == contract.end
        for before, after in zip(own, own[1:], strict=False):
            assert after.period_start == before.period_end + timedelta(days=1)
        for row in own:
            assert row.period_start <= row.period_end
            assert row.period_end < add_months(row.period_start.replace(day=1), months)


@given(contracts())
@settings(max_examples=150, deadline=None)
def test_amounts_are_non_negative_fen_and_free_windows_charge_nothing(
    contract: ContractTerms,
) -> None:
    schedule = compile_schedule(contract)
    for row in schedule:
        assert row.amount >= 0
        assert row.amount.as_tuple().exponent == -2
    rent_items = {item.name for item in contract.fee_items if item.kind == "rent"}
    for window in contract.free_rent:
        for row in schedule:
            inside = window.start <= row.period_start and row.period_end <= window.end
            if inside and row.item in rent_items:
                assert row.amount == Decimal("0.00")


def exact_fen(amount: Fraction) -> Decimal:
    """Independent of the compiler's rounding: a non-terminating quotient is never a half."""
    with localcontext() as ctx:
        ctx.prec = 60
        quotient = Decimal(amount.numerator) / Decimal(amount.denominator)
        return quotient.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


def whole_months(row: Charge) -> int:
    if row.period_start.day != 1 or (row.period_end + timedelta(days=1)).day != 1:
        return 0
    end = row.period_end
    return (end.year - row.period_start.year) * 12 + end.month - row.period_start.month + 1


@given(contracts(extras=False))
@settings(max_examples=150, deadline=None)
def test_whole_months_cost_months_times_the_monthly_amount(contract: ContractTerms) -> None:
    schedule = compile_schedule(contract)
    for item in contract.fee_items:
        area = sum(Fraction(getattr(u, item.area_type)) for u in contract.units)
        monthly = {
            "fixed_per_month": Fraction(item.price),
            "per_m2_per_month": Fraction(item.price) * area,
            "per_m2_per_day": Fraction(item.price) * area * 365 / 12,
        }[item.pricing]
        for row in by_item(schedule, item.name):
            if n := whole_months(row):
                assert row.amount == exact_fen(n * monthly)


# --- command line ----------------------------------------------------------------------------


def test_cli_prints_the_example_schedule_as_csv() -> None:
    result = CliRunner().invoke(app, ["schedule", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == CSV_HEADER
    assert lines[1] == "2026-02-14,2026-03-01,2026-05-31,property fee,23158.80"
    assert len(lines) == 1 + len(compile_schedule(load_terms(EXAMPLE.read_bytes())))


def test_cli_names_the_bad_fields_and_exits_1(tmp_path: Path) -> None:
    contract = json.loads(EXAMPLE.read_text())
    contract["fee_items"][0]["pricing"] = "per_m2_per_week"
    del contract["end"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(contract))
    result = CliRunner().invoke(app, ["schedule", str(bad)])
    assert result.exit_code == 1
    assert "fee_items.0.pricing" in result.stderr
    assert "end: Field required" in result.stderr
    assert result.stdout == ""


def test_cli_reports_an_impossible_combination(tmp_path: Path) -> None:
    contract = json.loads(EXAMPLE.read_text()) | {"end": "2026-01-01"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(contract))
    result = CliRunner().invoke(app, ["schedule", str(bad)])
    assert result.exit_code == 1
    assert "end 2026-01-01 is before rent_start 2026-04-16" in result.stderr

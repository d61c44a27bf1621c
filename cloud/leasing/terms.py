"""The contract-term compiler: a contract version's terms in, its dated charge schedule out.

Pure and deterministic (no database, no clock). Decisions where issue 5 is silent:

- Billing periods follow calendar months: a grid of `payment_cycle` months (1, 3, 6, 12)
  starting on the first of lease_start's month; each item's rows are that grid clipped to
  the item's own charge range, so the first and last rows may be short.
- Rent is charged from rent_start, every other kind from lease_start (property fee is owed
  during fit-out), unless `charged_from` says otherwise; everything ends on `end`.
- Monthly amount: per_m2_per_month = price × area; fixed_per_month = price;
  per_m2_per_day = price × area × 365 / 12 (the market's 日租金 convention, the same every
  month, leap year or not). The area is the sum of the contract's units on the item's area type.
- A part of a month costs monthly amount × days / days in that month (`actual_days`; a leap
  February has 29) or × days / 30 (`thirty_day`: every month counts 30 days, day 31 counts
  nothing, and a range ending on a month's last day runs to day 30, so whole months and
  months cut into pieces always sum to the monthly amount).
- A row is split at month ends, price steps and free-rent edges; each piece is priced on its
  own, the pieces are summed exactly (rationals built from the Decimal inputs — Decimal
  division by 12 or 31 is inexact and could tip a half fen), and the sum is rounded ONCE per
  row to the fen, ROUND_HALF_UP. Escalated unit prices are never rounded.
- Periodic escalations step on rent_start + k·N months (day clamped to month end), based on
  the item's price: simple percent = price × (1 + k·p%), compound = price × (1 + p%)^k,
  amount = price + k·a (simple and compound coincide). A step table sets the price from
  each `from` date on; the item's `price` applies before the first step.
- Fully free periods still get a row of 0.00, so the preview shows them.
- Rows are ordered by period start, then the contract's order of fee items.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from cloud.leasing.terms_schemas import (
    CYCLE_MONTHS,
    ContractTerms,
    FeeItem,
    PeriodicEscalation,
    StepTable,
)

ONE_DAY = timedelta(days=1)
CSV_HEADER = "due_date,period_start,period_end,item,amount"


@dataclass(frozen=True)
class Charge:
    """One row of a charge schedule: what is owed for one item over one period."""

    due_date: date
    period_start: date
    period_end: date
    item: str
    amount: Decimal

    def csv(self) -> str:
        return ",".join(
            [
                self.due_date.isoformat(),
                self.period_start.isoformat(),
                self.period_end.isoformat(),
                _csv_field(self.item),
                str(self.amount),
            ]
        )


def load_terms(text: str | bytes) -> ContractTerms:
    """Parse and validate contract JSON; raises pydantic's ValidationError naming the field."""
    return ContractTerms.model_validate_json(text)


def compile_schedule(terms: ContractTerms) -> list[Charge]:
    """Every charge of the contract, ordered by period start and then fee item."""
    order = {item.name: i for i, item in enumerate(terms.fee_items)}
    rows = [row for item in terms.fee_items for row in _item_rows(terms, item)]
    return sorted(rows, key=lambda row: (row.period_start, order[row.item]))


def schedule_csv(terms: ContractTerms) -> str:
    lines = [CSV_HEADER, *(row.csv() for row in compile_schedule(terms))]
    return "\n".join(lines) + "\n"


def _csv_field(text: str) -> str:
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


# --- dates -----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, _days_in_month(year, month + 1)))


def _days_in_month(year: int, month: int) -> int:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return (first_of_next - ONE_DAY).day


def _month_end(day: date) -> date:
    return day.replace(day=_days_in_month(day.year, day.month))


def _periods(terms: ContractTerms, start: date) -> Iterator[tuple[date, date]]:
    """The billing grid clipped to [start, terms.end]."""
    months = CYCLE_MONTHS[terms.payment_cycle]
    anchor = terms.lease_start.replace(day=1)
    k = 0
    while (grid_start := add_months(anchor, k * months)) <= terms.end:
        grid_end = add_months(anchor, (k + 1) * months) - ONE_DAY
        if grid_end >= start:
            yield max(grid_start, start), min(grid_end, terms.end)
        k += 1


def _split(start: date, end: date, cuts: list[date]) -> Iterator[tuple[date, date]]:
    """[start, end] cut at month starts and at each date in `cuts` (a new piece begins there)."""
    while start <= end:
        piece_end = min(end, _month_end(start))
        for cut in cuts:
            if start < cut <= piece_end:
                piece_end = cut - ONE_DAY
                break
        yield start, piece_end
        start = piece_end + ONE_DAY


def due_date(terms: ContractTerms, period_start: date) -> date:
    rule = terms.due
    if rule.rule == "days_before_start":
        return period_start - timedelta(days=rule.days)
    month = period_start.replace(day=1)
    if rule.rule == "day_of_month_before":
        month = add_months(month, -1)
    return month.replace(day=min(rule.day, _days_in_month(month.year, month.month)))


# --- money -----------------------------------------------------------------------------------


def _price_steps(terms: ContractTerms, item: FeeItem) -> list[tuple[date, Fraction]]:
    """(from, unit price) pairs in date order; the first applies from the lease start."""
    base = Fraction(item.price)
    steps = [(terms.lease_start, base)]
    escalation = item.escalation
    if isinstance(escalation, StepTable):
        steps += [(step.from_date, Fraction(step.price)) for step in escalation.steps]
    elif isinstance(escalation, PeriodicEscalation):
        k = 1
        while (when := add_months(terms.rent_start, k * escalation.every_months)) <= terms.end:
            steps.append((when, _escalated(base, escalation, k)))
            k += 1
    return steps


def _escalated(base: Fraction, escalation: PeriodicEscalation, k: int) -> Fraction:
    value = Fraction(escalation.value)
    if escalation.by == "amount":
        return base + k * value
    if escalation.compound:
        return base * (1 + value / 100) ** k
    return base * (1 + k * value / 100)


def _in_force(steps: list[tuple[date, Fraction]], day: date) -> Fraction:
    """The value of the last step that starts on or before `day`."""
    value = steps[0][1]
    for when, step_value in steps:
        if when > day:
            break
        value = step_value
    return value


def _monthly_amount(terms: ContractTerms, item: FeeItem, price: Fraction) -> Fraction:
    if item.pricing == "fixed_per_month":
        return price
    area = sum((Fraction(getattr(unit, item.area_type)) for unit in terms.units), Fraction(0))
    if item.pricing == "per_m2_per_month":
        return price * area
    return price * area * 365 / 12


def month_fraction(terms: ContractTerms, start: date, end: date) -> Fraction:
    """The share of its month that [start, end] (inside one month) is worth."""
    if terms.proration == "actual_days":
        return Fraction((end - start).days + 1, _days_in_month(start.year, start.month))
    last = 30 if end == _month_end(end) else min(end.day, 30)
    return Fraction(max(0, last - start.day + 1), 30)


def _is_free(terms: ContractTerms, item: FeeItem, day: date) -> bool:
    for window in terms.free_rent:
        applies = item.name in window.items if window.items is not None else item.kind == "rent"
        if applies and window.start <= day <= window.end:
            return True
    return False


def to_fen(amount: Fraction) -> Decimal:
    """Round an exact amount to the fen, half away from zero (ROUND_HALF_UP)."""
    cents = abs(amount) * 100
    whole, rest = divmod(cents.numerator, cents.denominator)
    if 2 * rest >= cents.denominator:
        whole += 1
    fen = Decimal(whole if amount >= 0 else -whole).scaleb(-2)
    return fen.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _item_rows(terms: ContractTerms, item: FeeItem) -> Iterator[Charge]:
    steps = [(when, _monthly_amount(terms, item, p)) for when, p in _price_steps(terms, item)]
    cuts = sorted(
        {when for when, _ in steps}
        | {w.start for w in terms.free_rent}
        | {w.end + ONE_DAY for w in terms.free_rent}
    )
    for start, end in _periods(terms, item.starts(terms)):
        total = Fraction(0)
        for piece_start, piece_end in _split(start, end, cuts):
            if _is_free(terms, item, piece_start):
                continue
            monthly = _in_force(steps, piece_start)
            total += monthly * month_fraction(terms, piece_start, piece_end)
        yield Charge(due_date(terms, start), start, end, item.name, to_fen(total))


# --- what other modules ask of a contract's terms ----------------------------------------------


def price_on(terms: ContractTerms, item: FeeItem, day: date) -> Fraction:
    """The item's unit price in force on `day`, escalations applied (exact, never rounded)."""
    return _in_force(_price_steps(terms, item), day)


def monthly_amount(terms: ContractTerms, item: FeeItem, day: date) -> Fraction:
    """What a whole month of `item` costs at the price in force on `day`, before free rent."""
    return _monthly_amount(terms, item, price_on(terms, item, day))

"""The structured terms of one contract version, in the API's own JSON shape.

`cloud/leasing/examples/contract.json` is a documented example; `terms.compile_schedule`
turns a `ContractTerms` into its dated charge schedule. Dates are business dates (org-local)
and every range includes both ends.

Shape: `{code?, lease_start, rent_start, end, units: [{code, gross, net, rentable}],
fee_items: [{name, kind, pricing, area_type?, price, escalation?, charged_from?}],
free_rent?: [{start, end, items?}], payment_cycle?, due?: {rule, days?, day?}, proration?}`;
`escalation` is `{type: "periodic", every_months, by: "amount"|"percent", value, compound?}`
or `{type: "steps", steps: [{from, price}]}`. Money and areas are JSON strings ("4.50") or
numbers; unknown keys are rejected so a typo cannot silently drop a term.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

UnitPrice = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6, allow_inf_nan=False)]
Area = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4, allow_inf_nan=False)]

FeeKind = Literal["rent", "property_fee", "parking", "advertising", "other"]
Pricing = Literal["per_m2_per_day", "per_m2_per_month", "fixed_per_month"]
AreaType = Literal["gross", "net", "rentable"]
PaymentCycle = Literal["monthly", "quarterly", "half_yearly", "yearly"]
Proration = Literal["actual_days", "thirty_day"]

CYCLE_MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}


class _Terms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitArea(_Terms):
    code: str = Field(min_length=1, description="Unit code, e.g. A-12-1203")
    gross: Area = Field(description="建筑面积, m²")
    net: Area = Field(description="套内面积, m²")
    rentable: Area = Field(description="计租面积, m²")


class PriceStep(_Terms):
    from_date: date = Field(alias="from", description="The new price applies from this day on")
    price: UnitPrice


class PeriodicEscalation(_Terms):
    """Every `every_months` months counted from rent start, the price rises by `value`."""

    type: Literal["periodic"] = "periodic"
    every_months: int = Field(ge=1, le=120)
    by: Literal["amount", "percent"]
    value: Decimal = Field(ge=0, max_digits=12, decimal_places=6, allow_inf_nan=False)
    compound: bool = False


class StepTable(_Terms):
    type: Literal["steps"] = "steps"
    steps: list[PriceStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _increasing(self) -> "StepTable":
        dates = [step.from_date for step in self.steps]
        if dates != sorted(set(dates)):
            raise ValueError("steps: 'from' dates must be strictly increasing")
        return self


Escalation = Annotated[PeriodicEscalation | StepTable, Field(discriminator="type")]


class FeeItem(_Terms):
    name: str = Field(min_length=1, description="Shown in the schedule's `item` column")
    kind: FeeKind
    pricing: Pricing
    area_type: AreaType = "rentable"
    price: UnitPrice = Field(description="CNY per m² per day/month, or CNY per month")
    escalation: Escalation | None = None
    charged_from: Literal["lease_start", "rent_start"] | None = Field(
        default=None, description="Default: rent from rent_start, every other kind from lease_start"
    )

    def starts(self, terms: "ContractTerms") -> date:
        when = self.charged_from or ("rent_start" if self.kind == "rent" else "lease_start")
        return terms.rent_start if when == "rent_start" else terms.lease_start


class FreeRentWindow(_Terms):
    start: date
    end: date
    items: list[str] | None = Field(
        default=None, description="Fee item names; omitted means every item of kind rent"
    )


class DueRule(_Terms):
    """When a period is due: N days before it starts, on day D of the month before the month it
    starts in, or on day D of that month itself (which can fall after the period's first day
    when the period starts mid-month); D past a month's end means its last day."""

    rule: Literal["days_before_start", "day_of_month_before", "day_of_start_month"]
    days: int = Field(default=0, ge=0, le=366)
    day: int = Field(default=1, ge=1, le=31)


class ContractTerms(_Terms):
    code: str | None = Field(default=None, description="Contract code, e.g. HT-2026-0001")
    lease_start: date = Field(description="Handover (交付日)")
    rent_start: date = Field(description="Rent start (计租日)")
    end: date = Field(le=date(9000, 12, 31), description="Last day of the lease")
    units: list[UnitArea] = Field(min_length=1)
    fee_items: list[FeeItem] = Field(min_length=1)
    free_rent: list[FreeRentWindow] = Field(default_factory=list)
    payment_cycle: PaymentCycle = "monthly"
    due: DueRule = DueRule(rule="days_before_start", days=0)
    proration: Proration = "actual_days"

    @model_validator(mode="after")
    def _consistent(self) -> "ContractTerms":
        if self.rent_start < self.lease_start:
            raise ValueError(f"rent_start {self.rent_start} is before lease_start")
        if self.end < self.rent_start:
            raise ValueError(f"end {self.end} is before rent_start {self.rent_start}")
        names = [item.name for item in self.fee_items]
        if len(set(names)) != len(names):
            raise ValueError("fee_items: names must be unique")
        for i, window in enumerate(self.free_rent):
            self._check_window(i, window, set(names))
        for i, item in enumerate(self.fee_items):
            if isinstance(item.escalation, StepTable):
                self._check_steps(i, item.escalation)
        return self

    def _check_window(self, i: int, window: FreeRentWindow, names: set[str]) -> None:
        where = f"free_rent.{i}"
        if window.end < window.start:
            raise ValueError(f"{where}: end {window.end} is before start {window.start}")
        if window.start < self.lease_start or window.end > self.end:
            raise ValueError(
                f"{where}: {window.start}..{window.end} is outside the lease "
                f"{self.lease_start}..{self.end}"
            )
        unknown = sorted(set(window.items or ()) - names)
        if unknown:
            raise ValueError(f"{where}.items: no fee item named {', '.join(unknown)}")

    def _check_steps(self, i: int, table: StepTable) -> None:
        for step in table.steps:
            if not self.lease_start <= step.from_date <= self.end:
                raise ValueError(
                    f"fee_items.{i}.escalation.steps: {step.from_date} is outside the lease "
                    f"{self.lease_start}..{self.end}"
                )

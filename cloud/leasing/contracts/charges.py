"""A signed contract's stored charges, and regenerating them from a date without touching what
is posted: one plan serves the amendment preview, the amendment itself and the termination.

Regenerating from a date D compares the stored charges ending on or after D with the new
schedule's rows ending on or after D, paired by (item, period start):

- a posted charge, or one ending before D, is kept as it is: never changed, never deleted;
- a new row that overlaps a kept charge of its item is not inserted (`applied` false: the
  difference needs an adjustment, e.g. a settlement credit), and the unposted charges that row
  overlaps stay too, so no day of that item is charged twice or left out;
- every other unposted charge ending on or after D is deleted and every other new row inserted.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.leasing.contracts.models import Contract, ContractCharge, ContractVersion
from cloud.leasing.contracts.schemas import ChargeLine, DiffLine, Schedule, ScheduleDiff
from cloud.leasing.terms import Charge

Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class PlanLine:
    """One difference between the stored charges and the new schedule, for one item and period."""

    change: Change
    old: ContractCharge | None
    new: Charge | None
    applied: bool

    def read(self) -> DiffLine:
        shown = self.new or self.old
        assert shown is not None
        return DiffLine(
            change=self.change,
            item=shown.item,
            period_start=shown.period_start,
            period_end=shown.period_end,
            due_date=shown.due_date,
            old_amount=self.old.amount if self.old else None,
            new_amount=self.new.amount if self.new else None,
            applied=self.applied,
        )


@dataclass
class Plan:
    """What regenerating from `effective_from` changes."""

    effective_from: date
    lines: list[PlanLine] = field(default_factory=list)
    delete: list[ContractCharge] = field(default_factory=list)
    insert: list[Charge] = field(default_factory=list)
    old_total: Decimal = Decimal("0.00")
    new_total: Decimal = Decimal("0.00")

    def diff(self) -> ScheduleDiff:
        return ScheduleDiff(
            effective_from=self.effective_from,
            lines=[line.read() for line in self.lines],
            old_total=self.old_total,
            new_total=self.new_total,
            difference=self.new_total - self.old_total,
        )


def _overlaps(a: ContractCharge | Charge, b: ContractCharge | Charge) -> bool:
    return a.item == b.item and a.period_start <= b.period_end and b.period_start <= a.period_end


def _differs(old: ContractCharge, new: Charge) -> bool:
    return (old.period_end, old.due_date, old.amount) != (new.period_end, new.due_date, new.amount)


def plan(
    stored: Sequence[ContractCharge], schedule: Iterable[Charge], effective_from: date
) -> Plan:
    """How to bring `stored` in line with `schedule` from `effective_from` on (see the module)."""
    touched = [c for c in stored if c.period_end >= effective_from]
    new = [row for row in schedule if row.period_end >= effective_from]
    keep = [c for c in stored if c.posted or c.period_end < effective_from]
    replaceable = [c for c in touched if not c.posted]
    blocked: list[Charge] = []
    while True:  # blocking spreads through overlaps; two rounds settle every real case
        more = [r for r in new if r not in blocked and any(_overlaps(r, c) for c in keep)]
        blocked += more
        held = [c for c in replaceable if c not in keep and any(_overlaps(c, r) for r in blocked)]
        keep += held
        if not more and not held:
            break
    result = Plan(
        effective_from=effective_from,
        delete=[c for c in replaceable if c not in keep],
        insert=[r for r in new if r not in blocked],
        old_total=sum((c.amount for c in touched), Decimal("0.00")),
        new_total=sum((r.amount for r in new), Decimal("0.00")),
    )
    old_by_key = {(c.item, c.period_start): c for c in touched}
    for row in new:
        old = old_by_key.pop((row.item, row.period_start), None)
        applied = row not in blocked
        if old is None:
            result.lines.append(PlanLine("added", None, row, applied))
        elif _differs(old, row):
            result.lines.append(PlanLine("changed", old, row, applied))
    for old in old_by_key.values():
        result.lines.append(PlanLine("removed", old, None, old in result.delete))
    # The schedule's own order: period start, then the order of the fee items.
    items = [row.item for row in new] + [charge.item for charge in touched]
    order = {item: i for i, item in enumerate(dict.fromkeys(items))}
    result.lines.sort(key=lambda line: _sort_key(line, order))
    return result


def _sort_key(line: PlanLine, order: dict[str, int]) -> tuple[date, int]:
    shown = line.new or line.old
    assert shown is not None
    return shown.period_start, order[shown.item]


def stored(session: Session, contract: Contract) -> list[ContractCharge]:
    """The contract's stored charges by period start and item."""
    return list(
        session.scalars(
            select(ContractCharge)
            .where(
                ContractCharge.org_id == contract.org_id, ContractCharge.contract_id == contract.id
            )
            .order_by(ContractCharge.period_start, ContractCharge.id)
        )
    )


def add(
    session: Session, contract: Contract, version: ContractVersion, rows: Iterable[Charge]
) -> None:
    """Store compiled rows as charges of `version`."""
    session.add_all(
        ContractCharge(
            org_id=contract.org_id,
            contract_id=contract.id,
            version_id=version.id,
            due_date=row.due_date,
            period_start=row.period_start,
            period_end=row.period_end,
            item=row.item,
            amount=row.amount,
        )
        for row in rows
    )
    session.flush()


def apply(session: Session, contract: Contract, version: ContractVersion, change: Plan) -> None:
    """Carry out a plan: delete the replaced unposted charges, store the new rows."""
    for charge in change.delete:
        assert not charge.posted
        session.delete(charge)
    session.flush()  # the unique (contract, item, period start) must be free before inserting
    add(session, contract, version, change.insert)


def schedule_of(rows: Iterable[Charge | ContractCharge]) -> Schedule:
    """Rows with their totals by item and overall."""
    lines = [_line(row) for row in rows]
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line.item] = totals.get(line.item, Decimal("0.00")) + line.amount
    return Schedule(rows=lines, totals=totals, total=sum(totals.values(), Decimal("0.00")))


def _line(row: Charge | ContractCharge) -> ChargeLine:
    line = ChargeLine(
        due_date=row.due_date,
        period_start=row.period_start,
        period_end=row.period_end,
        item=row.item,
        amount=row.amount,
    )
    if isinstance(row, ContractCharge):
        return line.model_copy(update={"posted": row.posted, "version": row.version.number})
    return line

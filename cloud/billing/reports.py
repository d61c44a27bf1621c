"""Finance reports from the ledger: revenue and collection by building, tenant, fee item or
month; cash flow by month; rent per m². Each reads entries in one query and groups them here,
the same way on SQLite and PostgreSQL."""

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.billing.models import Account, Allocation, EntryKind, LedgerEntry
from cloud.billing.schemas import Report, ReportRow
from cloud.billing.sources import RENT
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing.models import Tenant
from cloud.properties.models import Building, Unit

ReportName = Literal["revenue", "collection", "cash-flow", "rent-per-m2"]
Dimension = Literal["building", "tenant", "item", "month"]
ZERO = Decimal("0.00")
ChargeRow = tuple[Any, ...]
INFLOWS = {EntryKind.payment: "received", EntryKind.deposit_received: "deposits_received"}
OUTFLOWS = {EntryKind.refund: "refunded", EntryKind.deposit_refunded: "deposits_refunded"}


def _charges(session: Session, org_id: int, start: date, end: date) -> list[ChargeRow]:
    """Charges and late fees whose period (or date) starts in [start, end], with what is paid."""
    paid = (
        select(Allocation.debit_id, func.sum(Allocation.amount).label("paid"))
        .where(Allocation.org_id == org_id)
        .group_by(Allocation.debit_id)
        .subquery()
    )
    day = func.coalesce(LedgerEntry.period_start, LedgerEntry.entry_date)
    return [
        tuple(row)
        for row in session.execute(
            select(
                LedgerEntry.amount,
                func.coalesce(paid.c.paid, 0),
                day,
                LedgerEntry.item,
                Tenant.code,
                Building.code,
                Unit.rentable_area_m2,
                LedgerEntry.unit_id,
            )
            .join(Tenant, Tenant.id == LedgerEntry.tenant_id)
            .outerjoin(Unit, Unit.id == LedgerEntry.unit_id)
            .outerjoin(Building, Building.id == Unit.building_id)
            .outerjoin(paid, paid.c.debit_id == LedgerEntry.id)
            .where(
                LedgerEntry.org_id == org_id,
                LedgerEntry.account == Account.receivable,
                LedgerEntry.kind.in_([EntryKind.charge, EntryKind.late_fee]),
                day >= start,
                day <= end,
            )
        )
    ]


KEYS: dict[str, Callable[[ChargeRow], str]] = {
    "month": lambda r: f"{r[2]:%Y-%m}",
    "item": lambda r: r[3],
    "tenant": lambda r: r[4],
    "building": lambda r: r[5] or "-",
}


def _rows(sums: dict[str, dict[str, Decimal]], columns: list[str]) -> list[ReportRow]:
    return [
        ReportRow(key=key, values={c: sums[key].get(c, ZERO) for c in columns})
        for key in sorted(sums)
    ]


def _rate(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole).quantize(Decimal("0.0001"), ROUND_HALF_UP) if whole else ZERO


def report(
    *, session: Session, actor: Actor, name: ReportName, start: date, end: date, by: Dimension
) -> Report:
    """One report over [start, end] (see the module); finance, admin and staff."""
    require_role(actor, Role.admin, Role.finance, Role.staff)
    if name == "cash-flow":
        columns, sums = _cash_flow(session, actor.org_id, start, end)
        by = "month"
    else:
        rows = _charges(session, actor.org_id, start, end)
        if name == "rent-per-m2":
            by = by if by in ("building", "tenant") else "building"
            columns, sums = _rent_per_m2(rows, KEYS[by], start, end)
        else:
            columns, sums = _revenue(rows, KEYS[by], collection=name == "collection")
    lines = _rows(sums, columns)
    totals = {c: sum((r.values[c] for r in lines), ZERO) for c in columns}
    if "collection_rate" in columns:
        totals["collection_rate"] = _rate(totals["collected"], totals["billed"])
        for line in lines:
            line.values["collection_rate"] = _rate(line.values["collected"], line.values["billed"])
    if "rent_per_m2_month" in columns:
        totals.pop("rent_per_m2_month")
    return Report(
        name=name, by=by, start=start, end=end, columns=columns, rows=lines, totals=totals
    )


def _revenue(
    rows: list[ChargeRow],
    key: Callable[[ChargeRow], str],
    *,
    collection: bool,
) -> tuple[list[str], dict[str, dict[str, Decimal]]]:
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in rows:
        group = sums[key(row)]
        amount, paid = ledger.fen(row[0]), ledger.fen(row[1])
        group["billed"] += amount
        group["collected"] += paid
        group["outstanding"] += amount - paid
    if collection:
        return ["billed", "collected", "outstanding", "collection_rate"], sums
    return ["billed"], sums


def _rent_per_m2(
    rows: list[ChargeRow],
    key: Callable[[ChargeRow], str],
    start: date,
    end: date,
) -> tuple[list[str], dict[str, dict[str, Decimal]]]:
    """Rent billed over the let area, per month of the range."""
    months = Decimal((end.year - start.year) * 12 + end.month - start.month + 1)
    rent: dict[str, Decimal] = defaultdict(lambda: ZERO)
    areas: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for row in rows:
        if row[3] not in (RENT, "rent") or row[7] is None:
            continue
        rent[key(row)] += ledger.fen(row[0])
        areas[key(row)][row[7]] = Decimal(row[6])
    sums: dict[str, dict[str, Decimal]] = {}
    for group, total in rent.items():
        area = sum(areas[group].values(), Decimal(0))
        per = (total / area / months).quantize(Decimal("0.01"), ROUND_HALF_UP) if area else ZERO
        sums[group] = {"rent": total, "area_m2": area, "rent_per_m2_month": per}
    return ["rent", "area_m2", "rent_per_m2_month"], sums


def _cash_flow(
    session: Session, org_id: int, start: date, end: date
) -> tuple[list[str], dict[str, dict[str, Decimal]]]:
    """Money in (payments, deposits) and out (refunds) by month of the entry date."""
    kinds = [*INFLOWS, *OUTFLOWS]
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for kind, day, amount in session.execute(
        select(LedgerEntry.kind, LedgerEntry.entry_date, LedgerEntry.amount).where(
            LedgerEntry.org_id == org_id,
            LedgerEntry.kind.in_(kinds),
            LedgerEntry.entry_date >= start,
            LedgerEntry.entry_date <= end,
        )
    ):
        group, money = sums[f"{day:%Y-%m}"], abs(ledger.fen(amount))
        column = INFLOWS.get(EntryKind(kind)) or OUTFLOWS[EntryKind(kind)]
        group[column] += money
        group["net"] += money if kind in INFLOWS else -money
    return [*INFLOWS.values(), *OUTFLOWS.values(), "net"], sums

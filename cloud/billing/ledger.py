"""The receivables ledger: record entries, allocate credits to debits, derive balances.

Nothing here updates or deletes an entry or an allocation. What a tenant owes is always worked
out from them: a debit's outstanding is its amount less what is allocated to it, a credit's
unallocated rest is prepaid money, and the balance is the sum of all receivable entries.
"""

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from cloud.billing.models import (
    DEBITS,
    Account,
    Allocation,
    AllocationOrder,
    Bill,
    BillingSettings,
    EntryKind,
    LedgerEntry,
)
from cloud.billing.schemas import OpenItem, TenantBalance
from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing.models import Tenant

ZERO = Decimal("0.00")
FEN = Decimal("0.01")
WRITERS = (Role.admin, Role.finance)
READERS = (Role.admin, Role.finance, Role.staff, Role.tenant)
OFFLINE_METHODS = ("bank_transfer", "pos", "cash")


def check_tenant(*, session: Session, actor: Actor, tenant_id: int, write: bool) -> Tenant:
    """The tenant, if the actor may read (a tenant: only itself) or write (finance, admin)."""
    require_role(actor, *(WRITERS if write else READERS))
    if actor.is_tenant and actor.tenant_id != tenant_id:
        raise Forbidden(f"{actor.username} may only see its own bills")
    # Locking the tenant row serialises allocations of one tenant across transactions.
    stmt = select(Tenant).where(Tenant.org_id == actor.org_id, Tenant.id == tenant_id)
    tenant = session.scalar(stmt.with_for_update() if write else stmt)
    if tenant is None:
        raise NotFound(f"no tenant {tenant_id}")
    return tenant


def fen(value: object) -> Decimal:
    """A database sum as money: SQLite sums NUMERIC as floats, so round back to the fen."""
    return Decimal(str(value or 0)).quantize(FEN)


def money(amount: Decimal, field: str = "amount") -> Decimal:
    """`amount` as a positive amount to the fen, or Invalid naming `field`."""
    if amount <= 0 or amount != amount.quantize(FEN):
        raise Invalid(f"{field} must be positive and to the fen, not {amount}", field=field)
    return amount


def receive_payment(
    *,
    session: Session,
    actor: Actor,
    tenant_id: int,
    amount: Decimal,
    received_on: date,
    method: str,
    reference: str,
    idempotency_key: str,
    bill_codes: Collection[str] = (),
) -> LedgerEntry:
    """Record a payment once per (org, idempotency_key) and allocate it to the tenant's open
    charges: those of `bill_codes` (the bills the tenant chose to pay) first, the rest in the
    org's order; what is left stays prepaid. A repeat returns the first entry."""
    check_tenant(session=session, actor=actor, tenant_id=tenant_id, write=True)
    if not idempotency_key.strip():
        raise Invalid("idempotency_key is empty", field="idempotency_key")
    if not method.strip():
        raise Invalid("method is empty", field="method")
    key = f"pay:{idempotency_key}"
    first = find_by_source(session=session, org_id=actor.org_id, source_key=key)
    if first is not None:
        if first.tenant_id != tenant_id or first.amount != -amount:
            raise Conflict(
                f"idempotency_key {idempotency_key} was used for another payment "
                f"({-first.amount} from tenant {first.tenant_id})"
            )
        return first
    entry = add_entry(
        session=session,
        actor=actor,
        tenant_id=tenant_id,
        kind=EntryKind.payment,
        amount=-money(amount),
        entry_date=received_on,
        method=method[:32],
        reference=reference[:200],
        source_key=key,
    )
    chosen = select(Bill.id).where(
        Bill.org_id == actor.org_id, Bill.tenant_id == tenant_id, Bill.code.in_(bill_codes)
    )
    bills_first = set(session.scalars(chosen)) if bill_codes else set()
    allocate(
        session=session,
        org_id=actor.org_id,
        tenant_id=tenant_id,
        on=received_on,
        bills_first=bills_first,
    )
    return entry


def record_charge(
    *,
    session: Session,
    actor: Actor,
    tenant_id: int,
    item: str,
    amount: Decimal,
    entry_date: date,
    due_date: date,
    memo: str = "",
) -> LedgerEntry:
    """A one-off charge entered by finance (a fee outside any schedule), settled at once from
    any prepaid money."""
    check_tenant(session=session, actor=actor, tenant_id=tenant_id, write=True)
    if not item.strip():
        raise Invalid("item is empty", field="item")
    entry = add_entry(
        session=session,
        actor=actor,
        tenant_id=tenant_id,
        kind=EntryKind.charge,
        amount=money(amount),
        item=item[:200],
        entry_date=entry_date,
        due_date=due_date,
        memo=memo[:500],
    )
    allocate(session=session, org_id=actor.org_id, tenant_id=tenant_id, on=entry_date)
    return entry


def find_by_source(*, session: Session, org_id: int, source_key: str) -> LedgerEntry | None:
    return session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.org_id == org_id, LedgerEntry.source_key == source_key
        )
    )


def add_entry(*, session: Session, actor: Actor, tenant_id: int, **values: object) -> LedgerEntry:
    """Append one entry (the caller has checked the actor and the values)."""
    entry = LedgerEntry(
        org_id=actor.org_id, tenant_id=tenant_id, created_by_id=actor.user_id, **values
    )
    session.add(entry)
    session.flush()
    return entry


def settings_of(session: Session, org_id: int) -> BillingSettings:
    """The org's billing settings, or the defaults (not stored)."""
    found = session.get(BillingSettings, org_id)
    return found or BillingSettings(
        org_id=org_id, allocation_order=AllocationOrder.oldest_first, item_priority=[], due_days=15
    )


def _open_debits(
    session: Session, org_id: int, tenant_id: int
) -> list[tuple[LedgerEntry, Decimal]]:
    """The tenant's debits with something outstanding, and how much."""
    paid = (
        select(Allocation.debit_id, func.sum(Allocation.amount).label("paid"))
        .where(Allocation.org_id == org_id)
        .group_by(Allocation.debit_id)
        .subquery()
    )
    rows = session.execute(
        select(LedgerEntry, func.coalesce(paid.c.paid, 0))
        .outerjoin(paid, paid.c.debit_id == LedgerEntry.id)
        .where(
            LedgerEntry.org_id == org_id,
            LedgerEntry.tenant_id == tenant_id,
            LedgerEntry.account == Account.receivable,
            LedgerEntry.amount > 0,
            LedgerEntry.amount > func.coalesce(paid.c.paid, 0),
        )
    ).all()
    # SQLite sums floats: the filter above may keep a debit settled to within a float's error.
    pairs = [(entry, entry.amount - fen(done)) for entry, done in rows]
    return [(entry, owed) for entry, owed in pairs if owed > 0]


def _open_credits(
    session: Session, org_id: int, tenant_id: int
) -> list[tuple[LedgerEntry, Decimal]]:
    """The tenant's credits with something unallocated, oldest first."""
    used = (
        select(Allocation.credit_id, func.sum(Allocation.amount).label("used"))
        .where(Allocation.org_id == org_id)
        .group_by(Allocation.credit_id)
        .subquery()
    )
    rows = session.execute(
        select(LedgerEntry, func.coalesce(used.c.used, 0))
        .outerjoin(used, used.c.credit_id == LedgerEntry.id)
        .where(
            LedgerEntry.org_id == org_id,
            LedgerEntry.tenant_id == tenant_id,
            LedgerEntry.account == Account.receivable,
            LedgerEntry.amount < 0,
            -LedgerEntry.amount > func.coalesce(used.c.used, 0),
        )
        .order_by(LedgerEntry.entry_date, LedgerEntry.id)
    ).all()
    pairs = [(entry, -entry.amount - fen(done)) for entry, done in rows]
    return [(entry, left) for entry, left in pairs if left > 0]


def order_debits(
    debits: Sequence[tuple[LedgerEntry, Decimal]], settings: BillingSettings
) -> list[tuple[LedgerEntry, Decimal]]:
    """Debits in the order credits settle them: oldest due first, or by fee item priority."""
    rank = {item: i for i, item in enumerate(settings.item_priority or [])}

    def key(pair: tuple[LedgerEntry, Decimal]) -> tuple[int, date, int]:
        entry = pair[0]
        due = entry.due_date or entry.entry_date
        by_item = settings.allocation_order == AllocationOrder.item_priority
        return (rank.get(entry.item, len(rank)) if by_item else 0, due, entry.id)

    return sorted(debits, key=key)


def allocate(
    *,
    session: Session,
    org_id: int,
    tenant_id: int,
    on: date,
    bills_first: Collection[int] = (),
) -> list[Allocation]:
    """Settle the tenant's open debits with its unallocated credits: the debits of the bills
    `bills_first` before the others, each group in the org's order."""
    # Whoever allocates holds the tenant's row, so two transactions never spend one credit.
    session.execute(
        select(Tenant.id).where(Tenant.org_id == org_id, Tenant.id == tenant_id).with_for_update()
    )
    credits = _open_credits(session, org_id, tenant_id)
    if not credits:
        return []
    debits = order_debits(_open_debits(session, org_id, tenant_id), settings_of(session, org_id))
    debits.sort(key=lambda pair: pair[0].bill_id not in bills_first)  # stable: order kept
    made: list[Allocation] = []
    ci = 0
    for debit, owed in debits:
        while owed > 0 and ci < len(credits):
            credit, left = credits[ci]
            part = min(owed, left)
            made.append(
                Allocation(
                    org_id=org_id,
                    credit_id=credit.id,
                    debit_id=debit.id,
                    amount=part,
                    allocated_on=max(on, credit.entry_date, debit.entry_date),
                )
            )
            owed -= part
            credits[ci] = (credit, left - part)
            if left - part == 0:
                ci += 1
        if ci >= len(credits):
            break
    session.add_all(made)
    session.flush()
    return made


def tenant_balance(*, session: Session, actor: Actor, tenant_id: int) -> TenantBalance:
    """What the tenant owes, has prepaid and has on deposit, derived from its entries."""
    check_tenant(session=session, actor=actor, tenant_id=tenant_id, write=False)
    return balances(session=session, org_id=actor.org_id, tenant_ids=[tenant_id])[tenant_id]


def balances(
    *, session: Session, org_id: int, tenant_ids: Sequence[int] | None = None
) -> dict[int, TenantBalance]:
    """Balances of many tenants in two queries (all of the org's when `tenant_ids` is None)."""
    receivable = LedgerEntry.account == Account.receivable
    stmt = select(
        LedgerEntry.tenant_id,
        func.sum(case((receivable, LedgerEntry.amount), else_=0)),
        func.sum(case((receivable & (LedgerEntry.amount > 0), LedgerEntry.amount), else_=0)),
        func.sum(case((receivable, ZERO), else_=LedgerEntry.amount)),
    ).where(LedgerEntry.org_id == org_id)
    if tenant_ids is not None:
        stmt = stmt.where(LedgerEntry.tenant_id.in_(tenant_ids))
    sums = {row[0]: row[1:] for row in session.execute(stmt.group_by(LedgerEntry.tenant_id))}
    alloc = select(LedgerEntry.tenant_id, func.sum(Allocation.amount)).join(
        Allocation, Allocation.debit_id == LedgerEntry.id
    )
    alloc = alloc.where(LedgerEntry.org_id == org_id)
    if tenant_ids is not None:
        alloc = alloc.where(LedgerEntry.tenant_id.in_(tenant_ids))
    settled = {t: v for t, v in session.execute(alloc.group_by(LedgerEntry.tenant_id))}
    result = {}
    for tenant_id in tenant_ids if tenant_ids is not None else sums:
        balance, debits, deposit = (fen(v) for v in sums.get(tenant_id, (0, 0, 0)))
        outstanding = debits - fen(settled.get(tenant_id))
        result[tenant_id] = TenantBalance(
            tenant_id=tenant_id,
            balance=balance,
            outstanding=outstanding,
            prepaid=outstanding - balance,
            deposit_held=deposit,
        )
    return result


def open_items(*, session: Session, actor: Actor, tenant_id: int) -> list[OpenItem]:
    """The tenant's charges with something outstanding, in the order a payment settles them."""
    check_tenant(session=session, actor=actor, tenant_id=tenant_id, write=False)
    debits = order_debits(
        _open_debits(session, actor.org_id, tenant_id), settings_of(session, actor.org_id)
    )
    bill_ids = {e.bill_id for e, _ in debits if e.bill_id is not None}
    codes = {
        i: c for i, c in session.execute(select(Bill.id, Bill.code).where(Bill.id.in_(bill_ids)))
    }
    return [
        OpenItem(
            entry_id=entry.id,
            kind=EntryKind(entry.kind),
            item=entry.item,
            bill_id=entry.bill_id,
            bill_code=codes.get(entry.bill_id) if entry.bill_id else None,
            period_start=entry.period_start,
            period_end=entry.period_end,
            due_date=entry.due_date or entry.entry_date,
            amount=entry.amount,
            outstanding=owed,
        )
        for entry, owed in debits
    ]


def is_debit(kind: str) -> bool:
    return kind in DEBITS

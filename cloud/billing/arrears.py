"""Bills as finance and tenants see them, arrears ageing as of any date, and reminder stages.

Outstanding amounts as of a date count only the entries dated up to it and the allocations made
up to it, so an ageing for a past date stays what it was, partial payments included.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.billing.models import (
    Account,
    Allocation,
    Bill,
    BillReminder,
    LedgerEntry,
    ReminderStage,
)
from cloud.billing.schemas import Ageing, AgeingRow, BillDetail, BillLine, BillRead
from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing.models import Tenant

STAGES = list(ReminderStage)
STAFF_READERS = (Role.admin, Role.finance, Role.staff)
BUCKETS = ("not_due", "d0_30", "d31_60", "d61_90", "d90_plus")


def settled_per_charge(org_id: int, as_of: date | None = None) -> Subquery:
    stmt = select(Allocation.debit_id, func.sum(Allocation.amount).label("paid")).where(
        Allocation.org_id == org_id
    )
    if as_of is not None:
        stmt = stmt.where(Allocation.allocated_on <= as_of)
    return stmt.group_by(Allocation.debit_id).subquery()


def list_bills(
    *, session: Session, actor: Actor, tenant_id: int | None = None, open_only: bool = False
) -> list[BillRead]:
    """Bills newest first (a tenant: its own), with totals and what is still open."""
    require_role(actor, *ledger.READERS)
    if actor.is_tenant:
        if tenant_id not in (None, actor.tenant_id):
            raise Forbidden(f"{actor.username} may only see its own bills")
        tenant_id = actor.tenant_id
    paid = settled_per_charge(actor.org_id)
    stmt = (
        select(
            Bill,
            func.coalesce(func.sum(LedgerEntry.amount), 0),
            func.coalesce(func.sum(LedgerEntry.amount - func.coalesce(paid.c.paid, 0)), 0),
        )
        .join(LedgerEntry, (LedgerEntry.bill_id == Bill.id) & (LedgerEntry.amount > 0))
        .outerjoin(paid, paid.c.debit_id == LedgerEntry.id)
        .where(Bill.org_id == actor.org_id)
        .group_by(Bill.id)
        .order_by(Bill.period_start.desc(), Bill.code)
    )
    if tenant_id is not None:
        stmt = stmt.where(Bill.tenant_id == tenant_id)
    rows = session.execute(stmt).all()
    stages = _stages(session, [bill.id for bill, _, _ in rows])
    bills = [_read(bill, ledger.fen(total), ledger.fen(owed), stages) for bill, total, owed in rows]
    return [b for b in bills if b.outstanding > 0] if open_only else bills


def _stages(session: Session, bill_ids: list[int]) -> dict[int, list[BillReminder]]:
    found: dict[int, list[BillReminder]] = defaultdict(list)
    for reminder in session.scalars(
        select(BillReminder).where(BillReminder.bill_id.in_(bill_ids)).order_by(BillReminder.id)
    ):
        found[reminder.bill_id].append(reminder)
    return found


def _read(
    bill: Bill, total: Decimal, owed: Decimal, stages: dict[int, list[BillReminder]]
) -> BillRead:
    sent = stages.get(bill.id, [])
    return BillRead(
        code=bill.code,
        tenant_id=bill.tenant_id,
        tenant_code=bill.tenant.code,
        tenant_name=bill.tenant.name,
        period_start=bill.period_start,
        period_end=bill.period_end,
        issued_on=bill.issued_on,
        due_date=bill.due_date,
        total=total,
        outstanding=owed,
        reminder_stage=sent[-1].stage if sent else None,
    )


def _bill(session: Session, actor: Actor, code: str) -> Bill:
    require_role(actor, *ledger.READERS)
    bill = session.scalar(select(Bill).where(Bill.org_id == actor.org_id, Bill.code == code))
    if bill is None or (actor.is_tenant and bill.tenant_id != actor.tenant_id):
        raise NotFound(f"no bill {code}")
    return bill


def get_bill(*, session: Session, actor: Actor, code: str) -> BillDetail:
    """One bill with its lines (charges, late fees) and reminders."""
    bill = _bill(session, actor, code)
    paid = settled_per_charge(actor.org_id)
    rows = session.execute(
        select(LedgerEntry, func.coalesce(paid.c.paid, 0))
        .outerjoin(paid, paid.c.debit_id == LedgerEntry.id)
        .where(LedgerEntry.bill_id == bill.id, LedgerEntry.amount > 0)
        .order_by(LedgerEntry.id)
    ).all()
    lines = [
        BillLine(
            entry_id=e.id,
            kind=e.kind,
            item=e.item,
            period_start=e.period_start,
            period_end=e.period_end,
            due_date=e.due_date,
            amount=e.amount,
            outstanding=e.amount - ledger.fen(done),
            detail=e.detail,
        )
        for e, done in rows
    ]
    stages = _stages(session, [bill.id])
    total = sum((ln.amount for ln in lines), Decimal("0.00"))
    owed = sum((ln.outstanding for ln in lines), Decimal("0.00"))
    return BillDetail(
        **_read(bill, total, owed, stages).model_dump(),
        lines=lines,
        reminders=[f"{r.stage} {r.sent_on}" for r in stages.get(bill.id, [])],
    )


def send_reminder(
    *, session: Session, actor: Actor, code: str, stage: ReminderStage, on: date, note: str = ""
) -> BillReminder:
    """Record a reminder stage on an overdue bill: notice, then letter, then legal."""
    require_role(actor, *ledger.WRITERS)
    detail = get_bill(session=session, actor=actor, code=code)
    if detail.outstanding <= 0 or detail.due_date >= on:
        raise Conflict(f"bill {code} is not overdue on {on}")
    done = [s.split()[0] for s in detail.reminders]
    if stage in done:
        raise Conflict(f"bill {code} has had its {stage} already")
    wanted = STAGES[len(done)] if len(done) < len(STAGES) else None
    if stage != wanted:
        raise Invalid(f"the next reminder of bill {code} is {wanted}, not {stage}", field="stage")
    reminder = BillReminder(
        org_id=actor.org_id,
        bill_id=_bill(session, actor, code).id,
        stage=stage,
        sent_on=on,
        note=note[:500],
        created_by_id=actor.user_id,
    )
    session.add(reminder)
    session.flush()
    return reminder


def _bucket(days_late: int) -> str:
    if days_late < 0:
        return "not_due"
    if days_late <= 30:
        return "d0_30"
    if days_late <= 60:
        return "d31_60"
    return "d61_90" if days_late <= 90 else "d90_plus"


def ageing(*, session: Session, actor: Actor, as_of: date) -> Ageing:
    """Receivables outstanding on `as_of` by tenant and age (days past the due date)."""
    require_role(actor, *STAFF_READERS)
    paid = settled_per_charge(actor.org_id, as_of)
    due = func.coalesce(LedgerEntry.due_date, LedgerEntry.entry_date)
    rows = session.execute(
        select(LedgerEntry.tenant_id, due, LedgerEntry.amount - func.coalesce(paid.c.paid, 0))
        .outerjoin(paid, paid.c.debit_id == LedgerEntry.id)
        .where(
            LedgerEntry.org_id == actor.org_id,
            LedgerEntry.account == Account.receivable,
            LedgerEntry.amount > 0,
            LedgerEntry.entry_date <= as_of,
        )
    ).all()
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(BUCKETS, Decimal(0)))
    for tenant_id, due_on, owed in rows:
        left = ledger.fen(owed)
        if left > 0:
            sums[tenant_id][_bucket((as_of - due_on).days)] += left
    tenants = {t.id: t for t in session.scalars(select(Tenant).where(Tenant.id.in_(list(sums))))}
    result = [_row(tenants[tid], b) for tid, b in sums.items()]
    result.sort(key=lambda r: (-r.total, r.tenant_code))
    totals = {k: sum((getattr(r, k) for r in result), Decimal(0)) for k in BUCKETS}
    return Ageing(
        as_of=as_of,
        rows=result,
        totals=AgeingRow(
            tenant_id=0, tenant_code="", tenant_name="", **totals, total=sum(totals.values())
        ),
    )


def _row(tenant: Tenant, buckets: dict[str, Decimal]) -> AgeingRow:
    return AgeingRow(
        tenant_id=tenant.id,
        tenant_code=tenant.code,
        tenant_name=tenant.name,
        **buckets,
        total=sum(buckets.values(), Decimal(0)),
    )

"""违约金: per-contract late-fee policies and the daily job that posts them as dated entries.

For each day a charge stays unpaid past its due date and grace days, the fee is the daily rate
on what was left of the charge's principal at the start of that day (allocations dated before
it), rounded half up to the fen: simple interest on the principal only, never on earlier fees,
and no more in all than the policy's cap. Fees are posted once per charge and day
(`late:{charge}:{day}`), never recomputed on read; a missed day is caught up by the next run.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.billing.models import Account, Allocation, EntryKind, LateFeePolicy, LedgerEntry
from cloud.billing.schemas import LateFeePolicyRead
from cloud.errors import Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.leasing.contracts.models import Contract

LATE_FEE = "违约金"


def set_policy(
    *,
    session: Session,
    actor: Actor,
    contract_code: str,
    grace_days: int,
    daily_rate: Decimal,
    cap_rate: Decimal,
) -> LateFeePolicyRead:
    """Set (or replace) a contract's late-fee policy; fees already posted stay as they are."""
    require_role(actor, *ledger.WRITERS)
    contract = session.scalar(
        select(Contract).where(Contract.org_id == actor.org_id, Contract.code == contract_code)
    )
    if contract is None:
        raise NotFound(f"no contract {contract_code}")
    if grace_days < 0:
        raise Invalid("grace_days is negative", field="grace_days")
    if not Decimal(0) <= daily_rate <= Decimal("0.01"):
        raise Invalid("daily_rate must be between 0 and 0.01 (1 % a day)", field="daily_rate")
    if not Decimal(0) <= cap_rate <= Decimal(1):
        raise Invalid("cap_rate must be between 0 and 1", field="cap_rate")
    policy = session.scalar(select(LateFeePolicy).where(LateFeePolicy.contract_id == contract.id))
    if policy is None:
        policy = LateFeePolicy(org_id=actor.org_id, contract_id=contract.id)
        session.add(policy)
    policy.grace_days, policy.daily_rate, policy.cap_rate = grace_days, daily_rate, cap_rate
    session.flush()
    return LateFeePolicyRead(
        contract_code=contract.code, grace_days=grace_days, daily_rate=daily_rate, cap_rate=cap_rate
    )


def post_late_fees(*, session: Session, actor: Actor, on: date) -> int:
    """Post every late fee due up to `on` not posted yet; returns how many entries it added."""
    require_role(actor, *ledger.WRITERS)
    policies = {
        p.contract_id: p
        for p in session.scalars(select(LateFeePolicy).where(LateFeePolicy.org_id == actor.org_id))
    }
    if not policies:
        return 0
    charges = _overdue_charges(session, actor.org_id, list(policies), on)
    if not charges:
        return 0
    ids = [c.id for c in charges]
    payments = _payments(session, ids)
    posted_days, posted_sum = _posted(session, ids)
    rows, tenants = [], set()
    for charge in charges:
        assert charge.contract_id is not None and charge.due_date is not None
        policy = policies[charge.contract_id]
        for day, fee in _fees(charge, policy, payments[charge.id], posted_days, posted_sum, on):
            rows.append(_row(actor, charge, day, fee))
            tenants.add(charge.tenant_id)
    if rows:
        session.execute(insert(LedgerEntry), rows)
        for tenant_id in sorted(tenants):
            ledger.allocate(session=session, org_id=actor.org_id, tenant_id=tenant_id, on=on)
    return len(rows)


def _overdue_charges(
    session: Session, org_id: int, contract_ids: list[int], on: date
) -> list[LedgerEntry]:
    paid = (
        select(func.coalesce(func.sum(Allocation.amount), 0))
        .where(Allocation.debit_id == LedgerEntry.id)
        .correlate(LedgerEntry)
        .scalar_subquery()
    )
    return list(
        session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.org_id == org_id,
                LedgerEntry.account == Account.receivable,
                LedgerEntry.kind == EntryKind.charge,
                LedgerEntry.contract_id.in_(contract_ids),
                LedgerEntry.due_date < on,
                LedgerEntry.amount > paid,
            )
        )
    )


def _payments(session: Session, ids: list[int]) -> dict[int, list[tuple[date, Decimal]]]:
    found: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for debit_id, on, amount in session.execute(
        select(Allocation.debit_id, Allocation.allocated_on, Allocation.amount).where(
            Allocation.debit_id.in_(ids)
        )
    ):
        found[debit_id].append((on, amount))
    return found


def _posted(session: Session, ids: list[int]) -> tuple[dict[int, date], dict[int, Decimal]]:
    days: dict[int, date] = {}
    sums: dict[int, Decimal] = {}
    for related, last, total in session.execute(
        select(LedgerEntry.related_id, func.max(LedgerEntry.due_date), func.sum(LedgerEntry.amount))
        .where(LedgerEntry.related_id.in_(ids), LedgerEntry.kind == EntryKind.late_fee)
        .group_by(LedgerEntry.related_id)
    ):
        if related is not None and last is not None:
            days[related], sums[related] = last, ledger.fen(total)
    return days, sums


def _fees(
    charge: LedgerEntry,
    policy: LateFeePolicy,
    payments: list[tuple[date, Decimal]],
    posted_days: dict[int, date],
    posted_sum: dict[int, Decimal],
    on: date,
) -> list[tuple[date, Decimal]]:
    """The fees of the days after the last posted one up to `on`, within the cap."""
    assert charge.due_date is not None
    first = charge.due_date + timedelta(days=policy.grace_days + 1)
    if charge.id in posted_days:
        first = max(first, posted_days[charge.id] + timedelta(days=1))
    room = (charge.amount * policy.cap_rate).quantize(ledger.FEN, ROUND_HALF_UP)
    room -= posted_sum.get(charge.id, Decimal(0))
    fees, day = [], first
    while day <= on and room > 0:
        principal = charge.amount - sum((a for d, a in payments if d < day), Decimal(0))
        fee = min(room, (principal * policy.daily_rate).quantize(ledger.FEN, ROUND_HALF_UP))
        if fee > 0:
            fees.append((day, fee))
            room -= fee
        day += timedelta(days=1)
    return fees


def _row(actor: Actor, charge: LedgerEntry, day: date, fee: Decimal) -> dict[str, object]:
    return {
        "org_id": actor.org_id,
        "tenant_id": charge.tenant_id,
        "account": Account.receivable,
        "kind": EntryKind.late_fee,
        "entry_date": day,
        "amount": fee,
        "item": LATE_FEE,
        "due_date": day,
        "bill_id": charge.bill_id,
        "lease_id": charge.lease_id,
        "contract_id": charge.contract_id,
        "unit_id": charge.unit_id,
        "related_id": charge.id,
        "source_key": f"late:{charge.id}:{day.isoformat()}",
        "method": "",
        "reference": "",
        "memo": "",
        "created_by_id": actor.user_id,
    }

"""Money moves other than charges and payments, each a new entry with who and why: adjustments,
write-offs, late-fee waivers, refunds of prepaid money, and deposits (received, deducted
against charges, refunded). Nothing is edited; a correction is another entry."""

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.billing.models import Account, Allocation, EntryKind, LedgerEntry
from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor


def _reason(reason: str) -> str:
    if not reason.strip():
        raise Invalid("say why", field="reason")
    return reason.strip()[:500]


def adjust(
    *,
    session: Session,
    actor: Actor,
    tenant_id: int,
    amount: Decimal,
    entry_date: date,
    item: str,
    reason: str,
) -> LedgerEntry:
    """A correction: above zero the tenant owes more, below zero less (settled in order)."""
    ledger.check_tenant(session=session, actor=actor, tenant_id=tenant_id, write=True)
    ledger.money(abs(amount))
    entry = ledger.add_entry(
        session=session,
        actor=actor,
        tenant_id=tenant_id,
        kind=EntryKind.adjustment,
        amount=amount,
        entry_date=entry_date,
        due_date=entry_date if amount > 0 else None,
        item=item[:200],
        memo=_reason(reason),
    )
    ledger.allocate(session=session, org_id=actor.org_id, tenant_id=tenant_id, on=entry_date)
    return entry


def _debit(session: Session, actor: Actor, entry_id: int) -> tuple[LedgerEntry, Decimal]:
    entry = session.scalar(
        select(LedgerEntry).where(LedgerEntry.org_id == actor.org_id, LedgerEntry.id == entry_id)
    )
    if entry is None or entry.amount <= 0 or entry.account != Account.receivable:
        raise NotFound(f"no charge {entry_id}")
    ledger.check_tenant(session=session, actor=actor, tenant_id=entry.tenant_id, write=True)
    settled = session.scalar(
        select(func.coalesce(func.sum(Allocation.amount), 0)).where(Allocation.debit_id == entry.id)
    )
    return entry, entry.amount - ledger.fen(settled)


def _settle(
    session: Session,
    actor: Actor,
    entry_id: int,
    kind: EntryKind,
    on: date,
    reason: str,
    amount: Decimal | None,
) -> LedgerEntry:
    """A credit of `kind` aimed at one debit (not the allocation order), at most what is open."""
    debit, owed = _debit(session, actor, entry_id)
    part = owed if amount is None else ledger.money(amount)
    if owed <= 0 or part > owed:
        raise Conflict(f"charge {entry_id} has {owed} outstanding, not {part}")
    credit = ledger.add_entry(
        session=session,
        actor=actor,
        tenant_id=debit.tenant_id,
        kind=kind,
        amount=-part,
        entry_date=on,
        item=debit.item,
        bill_id=debit.bill_id,
        contract_id=debit.contract_id,
        related_id=debit.id,
        memo=_reason(reason),
    )
    session.add(
        Allocation(
            org_id=actor.org_id,
            credit_id=credit.id,
            debit_id=debit.id,
            amount=part,
            allocated_on=on,
        )
    )
    session.flush()
    return credit


def write_off(
    *,
    session: Session,
    actor: Actor,
    entry_id: int,
    on: date,
    reason: str,
    amount: Decimal | None = None,
) -> LedgerEntry:
    """Give up on (part of) a charge's outstanding amount, with who and why."""
    return _settle(session, actor, entry_id, EntryKind.write_off, on, reason, amount)


def waive_late_fee(
    *, session: Session, actor: Actor, entry_id: int, on: date, reason: str
) -> LedgerEntry:
    """Waive what is left of a late fee, with who and why."""
    debit, _ = _debit(session, actor, entry_id)
    if debit.kind != EntryKind.late_fee:
        raise Invalid(f"entry {entry_id} is a {debit.kind}, not a late fee", field="entry_id")
    return _settle(session, actor, entry_id, EntryKind.waiver, on, reason, None)


def refund(
    *,
    session: Session,
    actor: Actor,
    tenant_id: int,
    amount: Decimal,
    on: date,
    method: str,
    reference: str,
) -> LedgerEntry:
    """Pay prepaid money back: a debit the prepaid credits settle at once."""
    balance = ledger.balances(session=session, org_id=actor.org_id, tenant_ids=[tenant_id])
    ledger.check_tenant(session=session, actor=actor, tenant_id=tenant_id, write=True)
    if ledger.money(amount) > balance[tenant_id].prepaid:
        raise Conflict(f"only {balance[tenant_id].prepaid} is prepaid, not {amount}")
    entry = ledger.add_entry(
        session=session,
        actor=actor,
        tenant_id=tenant_id,
        kind=EntryKind.refund,
        amount=amount,
        entry_date=on,
        due_date=on,
        item="退款",
        method=method[:32],
        reference=reference[:200],
    )
    ledger.allocate(session=session, org_id=actor.org_id, tenant_id=tenant_id, on=on)
    return entry


def _deposit_entry(
    session: Session, actor: Actor, tenant_id: int, kind: EntryKind, amount: Decimal, **kw: object
) -> LedgerEntry:
    return ledger.add_entry(
        session=session,
        actor=actor,
        tenant_id=tenant_id,
        account=Account.deposit,
        kind=kind,
        amount=amount,
        **kw,
    )


def receive_deposit(
    *,
    session: Session,
    actor: Actor,
    tenant_id: int,
    amount: Decimal,
    on: date,
    item: str,
    method: str,
    reference: str,
) -> LedgerEntry:
    """A deposit received: held for the tenant (a liability), not a payment of charges."""
    ledger.check_tenant(session=session, actor=actor, tenant_id=tenant_id, write=True)
    return _deposit_entry(
        session,
        actor,
        tenant_id,
        EntryKind.deposit_received,
        ledger.money(amount),
        entry_date=on,
        item=item[:200],
        method=method[:32],
        reference=reference[:200],
    )


def _held(session: Session, actor: Actor, tenant_id: int, amount: Decimal) -> None:
    ledger.check_tenant(session=session, actor=actor, tenant_id=tenant_id, write=True)
    held = ledger.balances(session=session, org_id=actor.org_id, tenant_ids=[tenant_id])
    if ledger.money(amount) > held[tenant_id].deposit_held:
        raise Conflict(f"only {held[tenant_id].deposit_held} is held on deposit, not {amount}")


def deduct_deposit(
    *, session: Session, actor: Actor, tenant_id: int, amount: Decimal, on: date, reason: str
) -> LedgerEntry:
    """Take part of the deposit against the tenant's charges (settled in the org's order)."""
    _held(session, actor, tenant_id, amount)
    why = _reason(reason)
    _deposit_entry(
        session, actor, tenant_id, EntryKind.deposit_deducted, -amount, entry_date=on, memo=why
    )
    credit = ledger.add_entry(
        session=session,
        actor=actor,
        tenant_id=tenant_id,
        kind=EntryKind.deposit_applied,
        amount=-amount,
        entry_date=on,
        memo=why,
    )
    ledger.allocate(session=session, org_id=actor.org_id, tenant_id=tenant_id, on=on)
    return credit


def refund_deposit(
    *,
    session: Session,
    actor: Actor,
    tenant_id: int,
    amount: Decimal,
    on: date,
    method: str,
    reference: str,
) -> LedgerEntry:
    """Pay (part of) the deposit back to the tenant."""
    _held(session, actor, tenant_id, amount)
    return _deposit_entry(
        session,
        actor,
        tenant_id,
        EntryKind.deposit_refunded,
        -amount,
        entry_date=on,
        method=method[:32],
        reference=reference[:200],
    )

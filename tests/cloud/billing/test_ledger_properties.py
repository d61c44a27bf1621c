"""Ledger invariants under random charges and payments (hypothesis, on both databases)."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.billing.models import Allocation, LedgerEntry
from tests.cloud.factories import World

AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
STEPS = st.lists(st.tuples(st.sampled_from(["charge", "pay", "repeat"]), AMOUNTS), max_size=12)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_entries_allocations_and_balances_agree(
    session: Session, world: World, steps: list[tuple[str, Decimal]]
) -> None:
    finance, tenant = world.actors["finance"], world.tenants["TA"].id
    keys: list[tuple[str, Decimal]] = []
    for i, (what, amount) in enumerate(steps):
        day = date(2026, 1, 1) + timedelta(days=i)
        if what == "charge":
            ledger.record_charge(
                session=session,
                actor=finance,
                tenant_id=tenant,
                item="rent",
                amount=amount,
                entry_date=day,
                due_date=day,
            )
        elif what == "pay" or not keys:
            keys.append((str(uuid.uuid4()), amount))
            ledger.receive_payment(
                session=session,
                actor=finance,
                tenant_id=tenant,
                amount=amount,
                received_on=day,
                method="pos",
                reference="",
                idempotency_key=keys[-1][0],
            )
        else:  # the same payment again: nothing may change
            before = session.scalar(select(func.count()).select_from(Allocation))
            ledger.receive_payment(
                session=session,
                actor=finance,
                tenant_id=tenant,
                amount=keys[-1][1],
                received_on=day,
                method="pos",
                reference="",
                idempotency_key=keys[-1][0],
            )
            assert session.scalar(select(func.count()).select_from(Allocation)) == before
    balance = ledger.tenant_balance(session=session, actor=finance, tenant_id=tenant)
    entries = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.tenant_id == tenant
        )
    )
    assert balance.balance == ledger.fen(entries)
    assert balance.outstanding - balance.prepaid == balance.balance
    assert balance.outstanding >= 0 and balance.prepaid >= 0
    # Never both owed and prepaid: allocation runs until one side is used up.
    assert balance.outstanding == 0 or balance.prepaid == 0
    # No credit is applied beyond its amount, no debit settled beyond its amount.
    for side in (Allocation.credit_id, Allocation.debit_id):
        over = session.execute(
            select(side, func.sum(Allocation.amount), func.abs(LedgerEntry.amount))
            .join(LedgerEntry, LedgerEntry.id == side)
            .group_by(side, LedgerEntry.amount)
        ).all()
        assert all(ledger.fen(used) <= ledger.fen(whole) for _, used, whole in over)
    items = ledger.open_items(session=session, actor=finance, tenant_id=tenant)
    assert sum((i.outstanding for i in items), Decimal(0)) == balance.outstanding
    session.rollback()

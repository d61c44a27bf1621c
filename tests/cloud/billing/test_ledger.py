"""The ledger: payments recorded once, allocated in the org's order, balances derived."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.billing.models import Allocation, AllocationOrder, BillingSettings, LedgerEntry
from cloud.errors import Conflict, Forbidden, Invalid
from tests.cloud.factories import World

D = Decimal


def charge(session: Session, world: World, item: str, amount: str, due: date) -> LedgerEntry:
    return ledger.record_charge(
        session=session,
        actor=world.actors["finance"],
        tenant_id=world.tenants["TA"].id,
        item=item,
        amount=D(amount),
        entry_date=date(2026, 3, 1),
        due_date=due,
    )


def pay(session: Session, world: World, amount: str, key: str) -> LedgerEntry:
    return ledger.receive_payment(
        session=session,
        actor=world.actors["finance"],
        tenant_id=world.tenants["TA"].id,
        amount=D(amount),
        received_on=date(2026, 3, 20),
        method="bank_transfer",
        reference=f"bank {key}",
        idempotency_key=key,
    )


def test_payment_settles_oldest_first_and_keeps_the_rest_prepaid(
    session: Session, world: World
) -> None:
    rent = charge(session, world, "rent", "1000.00", date(2026, 3, 5))
    older = charge(session, world, "management", "300.00", date(2026, 2, 5))
    pay(session, world, "1500.00", "k1")
    items = ledger.open_items(
        session=session, actor=world.actors["finance"], tenant_id=world.tenants["TA"].id
    )
    assert items == []
    balance = ledger.tenant_balance(
        session=session, actor=world.actors["tenant"], tenant_id=world.tenants["TA"].id
    )
    # 1500 paid against 1300 charged: 200 prepaid, nothing outstanding, balance -200
    assert (balance.outstanding, balance.prepaid, balance.balance) == (D("0"), D("200"), D("-200"))
    assert {e: a for e, a in session.execute(select(Allocation.debit_id, Allocation.amount))} == {
        older.id: D("300.00"),
        rent.id: D("1000.00"),
    }
    # A later charge takes the prepaid money at once.
    water = charge(session, world, "water", "250.00", date(2026, 4, 5))
    items = ledger.open_items(
        session=session, actor=world.actors["finance"], tenant_id=world.tenants["TA"].id
    )
    assert [(i.entry_id, i.outstanding) for i in items] == [(water.id, D("50.00"))]


def test_partial_payment_by_item_priority(session: Session, world: World) -> None:
    session.add(
        BillingSettings(
            org_id=world.org.id,
            allocation_order=AllocationOrder.item_priority,
            item_priority=["rent", "management"],
            due_days=15,
        )
    )
    management = charge(session, world, "management", "300.00", date(2026, 2, 5))
    rent = charge(session, world, "rent", "1000.00", date(2026, 3, 5))
    pay(session, world, "1100.00", "k1")
    items = ledger.open_items(
        session=session, actor=world.actors["finance"], tenant_id=world.tenants["TA"].id
    )
    # Rent first although management fell due earlier: 1000 rent, 100 of management.
    assert [(i.entry_id, i.outstanding) for i in items] == [(management.id, D("200.00"))]
    assert rent.id not in {i.entry_id for i in items}


def test_a_repeated_payment_returns_the_first_and_adds_nothing(
    session: Session, world: World
) -> None:
    charge(session, world, "rent", "1000.00", date(2026, 3, 5))
    first = pay(session, world, "400.00", "same-key")
    again = pay(session, world, "400.00", "same-key")
    assert again.id == first.id
    assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 2
    assert session.scalar(select(func.sum(Allocation.amount))) == D("400.00")
    with pytest.raises(Conflict):
        pay(session, world, "401.00", "same-key")


def test_only_finance_and_admin_take_payments_and_tenants_see_only_their_own(
    session: Session, world: World
) -> None:
    for role in ("staff", "tenant", "engineer"):
        with pytest.raises(Forbidden):
            ledger.receive_payment(
                session=session,
                actor=world.actors[role],
                tenant_id=world.tenants["TA"].id,
                amount=D("1.00"),
                received_on=date(2026, 3, 1),
                method="cash",
                reference="",
                idempotency_key="x",
            )
    with pytest.raises(Forbidden):
        ledger.open_items(
            session=session, actor=world.actors["tenant_b"], tenant_id=world.tenants["TA"].id
        )
    with pytest.raises(Invalid) as bad:
        pay(session, world, "1.005", "k")
    assert bad.value.field == "amount"

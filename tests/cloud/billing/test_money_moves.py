"""Adjustments, write-offs, refunds, deposits, late fees and ageing, by hand."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing import adjustments, arrears, late_fees, ledger, runs
from cloud.billing.models import EntryKind, LedgerEntry, ReminderStage
from cloud.errors import Conflict, Forbidden, Invalid
from tests.cloud.billing.conftest import MARCH, active_contract
from tests.cloud.factories import World

D = Decimal


def charge(session: Session, world: World, amount: str, due: date, on: date) -> LedgerEntry:
    return ledger.record_charge(
        session=session,
        actor=world.actors["finance"],
        tenant_id=world.tenants["TA"].id,
        item="rent",
        amount=D(amount),
        entry_date=on,
        due_date=due,
    )


def pay(session: Session, world: World, amount: str, on: date, key: str) -> None:
    ledger.receive_payment(
        session=session,
        actor=world.actors["finance"],
        tenant_id=world.tenants["TA"].id,
        amount=D(amount),
        received_on=on,
        method="pos",
        reference="",
        idempotency_key=key,
    )


def balance(session: Session, world: World):  # type: ignore[no-untyped-def]
    return ledger.tenant_balance(
        session=session, actor=world.actors["finance"], tenant_id=world.tenants["TA"].id
    )


def test_write_off_and_refund(session: Session, world: World) -> None:
    finance = world.actors["finance"]
    rent = charge(session, world, "1000.00", date(2026, 3, 5), date(2026, 3, 1))
    with pytest.raises(Invalid):
        adjustments.write_off(
            session=session, actor=finance, entry_id=rent.id, on=date(2026, 3, 9), reason=" "
        )
    adjustments.write_off(
        session=session,
        actor=finance,
        entry_id=rent.id,
        on=date(2026, 3, 9),
        reason="agreed discount",
        amount=D("300.00"),
    )
    assert balance(session, world).outstanding == D("700.00")
    with pytest.raises(Conflict):
        adjustments.write_off(
            session=session,
            actor=finance,
            entry_id=rent.id,
            on=date(2026, 3, 9),
            reason="x",
            amount=D("700.01"),
        )
    pay(session, world, "1200.00", date(2026, 3, 10), "p1")  # 700 settles, 500 prepaid
    assert (balance(session, world).outstanding, balance(session, world).prepaid) == (
        D(0),
        D("500.00"),
    )
    tenant = world.tenants["TA"].id
    with pytest.raises(Conflict):
        adjustments.refund(
            session=session,
            actor=finance,
            tenant_id=tenant,
            amount=D("500.01"),
            on=date(2026, 3, 11),
            method="bank_transfer",
            reference="r",
        )
    adjustments.refund(
        session=session,
        actor=finance,
        tenant_id=tenant,
        amount=D("500.00"),
        on=date(2026, 3, 11),
        method="bank_transfer",
        reference="r",
    )
    after = balance(session, world)
    assert (after.outstanding, after.prepaid, after.balance) == (D(0), D(0), D(0))


def test_deposit_is_a_liability_received_deducted_and_refunded(
    session: Session, world: World
) -> None:
    finance, tenant = world.actors["finance"], world.tenants["TA"].id
    adjustments.receive_deposit(
        session=session,
        actor=finance,
        tenant_id=tenant,
        amount=D("30000.00"),
        on=date(2026, 1, 1),
        item="押金",
        method="bank_transfer",
        reference="d",
    )
    start = balance(session, world)
    assert (start.deposit_held, start.balance, start.prepaid) == (D("30000.00"), D(0), D(0))
    charge(session, world, "5000.00", date(2026, 3, 5), date(2026, 3, 1))
    adjustments.deduct_deposit(
        session=session,
        actor=finance,
        tenant_id=tenant,
        amount=D("5000.00"),
        on=date(2026, 4, 1),
        reason="unpaid rent at move-out",
    )
    mid = balance(session, world)
    assert (mid.deposit_held, mid.outstanding) == (D("25000.00"), D(0))
    with pytest.raises(Conflict):
        adjustments.refund_deposit(
            session=session,
            actor=finance,
            tenant_id=tenant,
            amount=D("25000.01"),
            on=date(2026, 4, 2),
            method="bank_transfer",
            reference="",
        )
    adjustments.refund_deposit(
        session=session,
        actor=finance,
        tenant_id=tenant,
        amount=D("25000.00"),
        on=date(2026, 4, 2),
        method="bank_transfer",
        reference="",
    )
    assert balance(session, world).deposit_held == D(0)


def test_ageing_stays_right_with_partial_payments_and_past_dates(
    session: Session, world: World
) -> None:
    finance = world.actors["finance"]
    charge(session, world, "1000.00", date(2026, 1, 1), date(2026, 1, 1))
    charge(session, world, "500.00", date(2026, 3, 1), date(2026, 2, 20))
    charge(session, world, "200.00", date(2026, 4, 10), date(2026, 3, 20))
    pay(session, world, "1200.00", date(2026, 3, 15), "p")  # 1000 of the first, 200 of the second
    before = arrears.ageing(session=session, actor=finance, as_of=date(2026, 3, 10))
    (row,) = before.rows
    # on 3-10: the January charge is 68 days late, March's 9; April's not entered yet
    assert (row.d61_90, row.d0_30, row.not_due, row.total) == (
        D("1000.00"),
        D("500.00"),
        D(0),
        D("1500.00"),
    )
    after = arrears.ageing(session=session, actor=finance, as_of=date(2026, 3, 31))
    (row,) = after.rows
    assert (row.d61_90, row.d0_30, row.not_due, row.total) == (
        D(0),
        D("300.00"),
        D("200.00"),
        D("500.00"),
    )
    assert after.totals.total == D("500.00")
    with pytest.raises(Forbidden):
        arrears.ageing(session=session, actor=world.actors["tenant"], as_of=date(2026, 3, 31))


def test_late_fees_simple_on_principal_capped_and_waived(session: Session, world: World) -> None:
    finance = world.actors["finance"]
    contract = active_contract(session, world, "TA")
    late_fees.set_policy(
        session=session,
        actor=finance,
        contract_code="HT-LF",
        grace_days=5,
        daily_rate=D("0.0005"),
        cap_rate=D("0.01"),
    )
    rent = ledger.add_entry(
        session=session,
        actor=finance,
        tenant_id=world.tenants["TA"].id,
        kind=EntryKind.charge,
        amount=D("10000.00"),
        entry_date=date(2026, 3, 1),
        due_date=date(2026, 3, 10),
        item="rent",
        contract_id=contract.id,
    )
    pay(session, world, "4000.00", date(2026, 3, 18), "p")
    # Grace to 3-15; 3-16..3-18 on 10000: 5.00 a day; the payment dated 3-18 counts from 3-19:
    # 3-19, 3-20 on 6000: 3.00 a day. 15 + 6 = 21.00 in five entries.
    assert late_fees.post_late_fees(session=session, actor=finance, on=date(2026, 3, 20)) == 5
    assert late_fees.post_late_fees(session=session, actor=finance, on=date(2026, 3, 20)) == 0
    fees = select(func.sum(LedgerEntry.amount)).where(LedgerEntry.kind == EntryKind.late_fee)
    assert ledger.fen(session.scalar(fees)) == D("21.00")
    # The cap is 1 % of 10000 = 100.00: 79.00 more at 3.00 a day is 26 days and 1.00
    assert late_fees.post_late_fees(session=session, actor=finance, on=date(2026, 5, 31)) == 27
    assert ledger.fen(session.scalar(fees)) == D("100.00")
    assert late_fees.post_late_fees(session=session, actor=finance, on=date(2026, 6, 30)) == 0
    last = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.kind == EntryKind.late_fee)
        .order_by(LedgerEntry.entry_date.desc())
    ).first()
    assert last is not None and last.amount == D("1.00") and last.related_id == rent.id
    waiver = adjustments.waive_late_fee(
        session=session,
        actor=finance,
        entry_id=last.id,
        on=date(2026, 6, 30),
        reason="first time, goodwill",
    )
    assert (waiver.amount, waiver.memo, waiver.created_by_id) == (
        D("-1.00"),
        "first time, goodwill",
        finance.user_id,
    )
    with pytest.raises(Invalid):
        adjustments.waive_late_fee(
            session=session, actor=finance, entry_id=rent.id, on=date(2026, 6, 30), reason="x"
        )


def test_reminder_stages_in_order_on_overdue_bills(session: Session, march: World) -> None:
    finance = march.actors["finance"]
    runs.post_run(session=session, actor=finance, **MARCH)
    (bill,) = arrears.list_bills(session=session, actor=march.actors["tenant_b"])
    assert bill.due_date == date(2026, 4, 15) and bill.outstanding == bill.total == D("15114.75")
    with pytest.raises(Conflict):  # not overdue yet
        arrears.send_reminder(
            session=session,
            actor=finance,
            code=bill.code,
            stage=ReminderStage.notice,
            on=date(2026, 4, 15),
        )
    with pytest.raises(Invalid):
        arrears.send_reminder(
            session=session,
            actor=finance,
            code=bill.code,
            stage=ReminderStage.letter,
            on=date(2026, 4, 16),
        )
    arrears.send_reminder(
        session=session,
        actor=finance,
        code=bill.code,
        stage=ReminderStage.notice,
        on=date(2026, 4, 16),
    )
    with pytest.raises(Conflict):
        arrears.send_reminder(
            session=session,
            actor=finance,
            code=bill.code,
            stage=ReminderStage.notice,
            on=date(2026, 4, 17),
        )
    arrears.send_reminder(
        session=session,
        actor=finance,
        code=bill.code,
        stage=ReminderStage.letter,
        on=date(2026, 5, 1),
    )
    detail = arrears.get_bill(session=session, actor=march.actors["tenant_b"], code=bill.code)
    assert detail.reminder_stage == "letter" and len(detail.lines) == 3
    assert sum(line.amount for line in detail.lines) == detail.total
    # a tenant sees only its own bills
    assert {
        b.tenant_code for b in arrears.list_bills(session=session, actor=march.actors["tenant"])
    } == {"TA"}
    with pytest.raises(Forbidden):
        arrears.list_bills(
            session=session, actor=march.actors["tenant"], tenant_id=march.tenants["TB"].id
        )

"""Notifications of one payment arriving at once, on PostgreSQL (row locks): applied once."""

import threading
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import EntryKind, LedgerEntry
from cloud.payments import service
from cloud.payments.models import (
    NotificationOutcome,
    OrderStatus,
    PaymentNotification,
    PaymentOrder,
)
from cloud.payments.schemas import OrderCreate
from protocols.payment_gateway import OrderState, TradeState
from simulators.payment_gateway import PaymentGateway
from tests.cloud.factories import World
from tests.cloud.payments.conftest import APP_ID, BillMaker, add_account

WORKERS = 8


@pytest.fixture(scope="session")
def database_url(migrated_postgresql: str) -> str:
    """Only PostgreSQL: SQLite has one writer at a time, so nothing would race there."""
    return migrated_postgresql


def test_concurrent_duplicates_apply_once(
    session: Session,
    sessions: sessionmaker[Session],
    world: World,
    gateway: PaymentGateway,
    merchant_key: rsa.RSAPrivateKey,
    make_bill: BillMaker,
) -> None:
    add_account(session, world, gateway, merchant_key)
    make_bill(world, "TA", "ZD-A", 3, ("rent", "700.00"))
    order = service.create_order(
        session=session, actor=world.actors["tenant"], data=OrderCreate(bill_codes=["ZD-A"])
    )
    session.commit()
    paid = OrderState(
        app_id=APP_ID,
        out_trade_no=order.out_trade_no,
        transaction_id="4200099",
        trade_state=TradeState.success,
        amount_fen=70_000,
        paid_at="2026-03-20T02:30:00+00:00",
    )
    # Redeliveries carry one notification id; a second notification of the same payment another.
    bodies = [gateway.notification(paid).model_dump_json().encode() for _ in range(2)]
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def deliver(n: int) -> None:
        body = bodies[n % 2]
        try:
            start.wait()
            with sessions.begin() as own:
                result = service.handle_notification(
                    session=own, app_id=APP_ID, body=body, headers=gateway.signed(body)
                )
            assert result.accepted, result
        except BaseException as error:  # noqa: BLE001 - reported below, on the test's thread
            errors.append(error)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    session.expire_all()
    payments = session.scalars(
        select(LedgerEntry.amount).where(LedgerEntry.kind == EntryKind.payment)
    ).all()
    assert payments == [Decimal("-700.00")]
    assert session.get_one(PaymentOrder, order.id).status == OrderStatus.paid
    outcomes = sorted(session.scalars(select(PaymentNotification.outcome)))
    assert outcomes.count(NotificationOutcome.applied) == 1
    assert outcomes.count(NotificationOutcome.duplicate) == WORKERS - 1

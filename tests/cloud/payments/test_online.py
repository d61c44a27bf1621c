"""Online payments: orders for a tenant's own bills, signed notifications applied once per
provider transaction (duplicates, out of order, tampered, wrong key), and queries."""

import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.billing.models import EntryKind, LedgerEntry
from cloud.db.base import utcnow
from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.payments import jobs, service
from cloud.payments.models import (
    Channel,
    NotificationOutcome,
    OrderStatus,
    PaymentAccount,
    PaymentNotification,
    PaymentOrder,
)
from cloud.payments.schemas import AccountCreate, OrderCreate
from protocols.payment_gateway import OrderState, TradeState, new_private_key, private_pem, sign
from simulators.payment_gateway import PaymentGateway
from tests.cloud.factories import PASSWORD, World
from tests.cloud.payments.conftest import APP_ID, BillMaker

D = Decimal
NOTIFY = f"/api/v1/payments/notify/{APP_ID}"


def order_for(
    session: Session, world: World, *bills: str, amount: str | None = None
) -> PaymentOrder:
    order = service.create_order(
        session=session,
        actor=world.actors["tenant"],
        data=OrderCreate(bill_codes=list(bills), amount=D(amount) if amount else None),
    )
    session.commit()
    return order


def state(
    order: PaymentOrder, trade: TradeState, txn: str | None = "4200001", fen: int | None = None
) -> OrderState:
    return OrderState(
        app_id=APP_ID,
        out_trade_no=order.out_trade_no,
        transaction_id=txn,
        trade_state=trade,
        amount_fen=int(order.amount * 100) if fen is None else fen,
        paid_at="2026-03-20T02:30:00+00:00",
    )


def signed_body(gateway: PaymentGateway, order_state: OrderState) -> tuple[bytes, dict[str, str]]:
    body = gateway.notification(order_state).model_dump_json().encode()
    return body, gateway.signed(body)


def payments_of(session: Session, world: World, tenant: str = "TA") -> list[LedgerEntry]:
    session.expire_all()
    return list(
        session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.tenant_id == world.tenants[tenant].id,
                LedgerEntry.kind == EntryKind.payment,
            )
        )
    )


def outstanding(session: Session, world: World, tenant: str = "TA") -> Decimal:
    balance = ledger.tenant_balance(
        session=session, actor=world.actors["finance"], tenant_id=world.tenants[tenant].id
    )
    return balance.outstanding


def test_order_gets_a_pay_url_from_the_gateway(
    session: Session,
    world: World,
    account: PaymentAccount,
    gateway: PaymentGateway,
    make_bill: BillMaker,
) -> None:
    make_bill(world, "TA", "ZD-2026-03-TA", 3, ("rent", "15000.00"), ("management", "1200.00"))
    make_bill(world, "TA", "ZD-2026-04-TA", 4, ("rent", "15000.00"))
    order = order_for(session, world, "ZD-2026-03-TA")
    assert order.amount == D("16200.00")  # the chosen bill's outstanding
    assert order.pay_url.startswith(gateway.base_url + "/pay/")
    assert order.qr_payload.startswith("weixin://wxpay/bizpayurl?pr=")
    at_gateway = gateway.query(APP_ID, order.out_trade_no)
    assert at_gateway is not None and at_gateway.amount_fen == 1_620_000
    assert at_gateway.trade_state == TradeState.notpay
    everything = order_for(session, world)
    assert everything.amount == D("31200.00")


def test_a_tenant_never_pays_into_or_sees_another_tenants_bills(
    session: Session, world: World, account: PaymentAccount, make_bill: BillMaker
) -> None:
    make_bill(world, "TA", "ZD-A", 3, ("rent", "100.00"))
    make_bill(world, "TB", "ZD-B", 3, ("rent", "200.00"))
    tenant_b = world.actors["tenant_b"]
    with pytest.raises(Invalid, match="no open bill ZD-A"):
        service.create_order(session=session, actor=tenant_b, data=OrderCreate(bill_codes=["ZD-A"]))
    with pytest.raises(Forbidden):
        service.create_order(session=session, actor=tenant_b, data=OrderCreate(tenant_code="TA"))
    session.rollback()
    order = order_for(session, world, "ZD-A")
    with pytest.raises(NotFound):
        service.get_order(session=session, actor=tenant_b, out_trade_no=order.out_trade_no)
    assert service.list_orders(session=session, actor=tenant_b) == []
    with pytest.raises(Invalid, match="more than the 100.00 outstanding"):
        order_for(session, world, "ZD-A", amount="100.01")


async def test_good_notification_posts_the_payment_once_however_often_it_comes(
    session: Session,
    world: World,
    account: PaymentAccount,
    gateway: PaymentGateway,
    make_bill: BillMaker,
    client: httpx.AsyncClient,
) -> None:
    make_bill(world, "TA", "ZD-A", 3, ("rent", "1000.00"))
    order = order_for(session, world, "ZD-A")
    body, headers = signed_body(gateway, state(order, TradeState.success))
    for _ in range(3):  # the provider redelivers; a second gateway id for the same payment too
        answer = await client.post(NOTIFY, content=body, headers=headers)
        assert answer.status_code == 200, answer.text
    body2, headers2 = signed_body(gateway, state(order, TradeState.success))
    assert (await client.post(NOTIFY, content=body2, headers=headers2)).status_code == 200
    [payment] = payments_of(session, world)
    assert payment.amount == D("-1000.00") and payment.method == "wechat"
    assert outstanding(session, world) == D("0")
    refreshed = session.get_one(PaymentOrder, order.id)
    assert (refreshed.status, refreshed.transaction_id) == (OrderStatus.paid, "4200001")
    outcomes = session.scalars(select(PaymentNotification.outcome).order_by(PaymentNotification.id))
    assert list(outcomes) == [NotificationOutcome.applied] + [NotificationOutcome.duplicate] * 3


async def test_out_of_order_notifications_never_undo_a_payment(
    session: Session,
    world: World,
    account: PaymentAccount,
    gateway: PaymentGateway,
    make_bill: BillMaker,
    client: httpx.AsyncClient,
) -> None:
    make_bill(world, "TA", "ZD-A", 3, ("rent", "500.00"))
    order = order_for(session, world, "ZD-A")
    # SUCCESS overtakes the earlier USERPAYING; a late CLOSED must not close a paid order.
    for trade in (TradeState.success, TradeState.userpaying, TradeState.notpay, TradeState.closed):
        body, headers = signed_body(gateway, state(order, trade))
        assert (await client.post(NOTIFY, content=body, headers=headers)).status_code == 200
    assert len(payments_of(session, world)) == 1
    assert session.get_one(PaymentOrder, order.id).status == OrderStatus.paid
    outcomes = list(
        session.scalars(select(PaymentNotification.outcome).order_by(PaymentNotification.id))
    )
    assert outcomes == [NotificationOutcome.applied] + [NotificationOutcome.ignored] * 3


@pytest.mark.parametrize("attack", ["tampered", "wrong_key", "unsigned"])
async def test_bad_signature_is_rejected_with_a_clear_error_and_recorded(
    attack: str,
    session: Session,
    world: World,
    account: PaymentAccount,
    gateway: PaymentGateway,
    make_bill: BillMaker,
    client: httpx.AsyncClient,
) -> None:
    make_bill(world, "TA", "ZD-A", 3, ("rent", "500.00"))
    order = order_for(session, world, "ZD-A")
    body, headers = signed_body(gateway, state(order, TradeState.success))
    if attack == "tampered":  # signed for 500.00, altered to claim 5.00 was paid
        payload = json.loads(body)
        payload["resource"]["amount_fen"] = 500
        body = json.dumps(payload).encode()
    elif attack == "wrong_key":
        headers = sign(new_private_key(), body).as_dict()
    else:
        headers = {}
    answer = await client.post(NOTIFY, content=body, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["code"] == "FAIL"
    expected = "header is missing" if attack == "unsigned" else "does not verify"
    assert expected in answer.json()["message"]
    assert payments_of(session, world) == []
    [record] = session.scalars(select(PaymentNotification))
    assert record.outcome == NotificationOutcome.rejected and expected in record.reason
    assert record.body == body.decode()
    assert session.get_one(PaymentOrder, order.id).status == OrderStatus.pending


async def test_amount_mismatch_and_unknown_order_are_rejected(
    session: Session,
    world: World,
    account: PaymentAccount,
    gateway: PaymentGateway,
    make_bill: BillMaker,
    client: httpx.AsyncClient,
) -> None:
    make_bill(world, "TA", "ZD-A", 3, ("rent", "500.00"))
    order = order_for(session, world, "ZD-A")
    body, headers = signed_body(gateway, state(order, TradeState.success, fen=100))
    answer = await client.post(NOTIFY, content=body, headers=headers)
    assert answer.status_code == 400 and "the order is for 500.00" in answer.json()["message"]
    ghost = state(order, TradeState.success).model_copy(update={"out_trade_no": "PO-NOT-OURS"})
    body, headers = signed_body(gateway, ghost)
    answer = await client.post(NOTIFY, content=body, headers=headers)
    assert answer.status_code == 400 and "no order PO-NOT-OURS" in answer.json()["message"]
    assert (
        await client.post("/api/v1/payments/notify/nope", content=body, headers=headers)
    ).status_code == 404
    assert payments_of(session, world) == []
    count = session.scalar(select(func.count()).select_from(PaymentNotification))
    assert count == 2


def test_refresh_asks_the_gateway_when_the_notification_is_lost(
    session: Session,
    world: World,
    account: PaymentAccount,
    gateway: PaymentGateway,
    make_bill: BillMaker,
) -> None:
    make_bill(world, "TA", "ZD-A", 3, ("rent", "800.00"))
    order = order_for(session, world, "ZD-A")
    tenant = world.actors["tenant"]
    still = service.refresh_order(session=session, actor=tenant, out_trade_no=order.out_trade_no)
    assert still.status == OrderStatus.pending
    paid = gateway.pay(APP_ID, order.out_trade_no, notify=False)
    done = service.refresh_order(session=session, actor=tenant, out_trade_no=order.out_trade_no)
    session.commit()
    assert (done.status, done.transaction_id) == (OrderStatus.paid, paid.transaction_id)
    assert [p.amount for p in payments_of(session, world)] == [D("-800.00")]


async def test_rest_order_for_a_tenant_and_finance_sees_notifications(
    session: Session,
    world: World,
    account: PaymentAccount,
    gateway: PaymentGateway,
    make_bill: BillMaker,
    client: httpx.AsyncClient,
) -> None:
    make_bill(world, "TA", "ZD-A", 3, ("rent", "300.00"))

    async def login(key: str) -> dict[str, str]:
        answer = await client.post(
            "/api/v1/auth/login", json={"username": world.username(key), "password": PASSWORD}
        )
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    tenant = await login("tenant")
    created = await client.post("/api/v1/payment-orders", json={}, headers=tenant)
    assert created.status_code == 201, created.text
    assert created.json()["amount"] == "300.00" and created.json()["status"] == "pending"
    other = await client.get(
        f"/api/v1/payment-orders/{created.json()['out_trade_no']}", headers=await login("tenant_b")
    )
    assert other.status_code == 404
    forbidden = await client.get("/api/v1/payment-notifications", headers=tenant)
    assert forbidden.status_code == 403
    finance = await client.get("/api/v1/payment-notifications", headers=await login("finance"))
    assert finance.status_code == 200 and finance.json() == []


async def test_an_oversized_notification_is_rejected_unread(
    session: Session, world: World, account: PaymentAccount, client: httpx.AsyncClient
) -> None:
    answer = await client.post(NOTIFY, content=b"x" * 100_000, headers={})
    assert answer.status_code == 400 and "too long" in answer.json()["message"]
    [record] = session.scalars(select(PaymentNotification))
    assert record.outcome == NotificationOutcome.rejected and len(record.body) == 1000


def test_only_an_admin_registers_accounts_posted_as_a_finance_user(
    session: Session, world: World, gateway: PaymentGateway, merchant_key: rsa.RSAPrivateKey
) -> None:
    data = AccountCreate(
        code="ali",
        channel=Channel.alipay,
        app_id="ali-1",
        gateway_url=gateway.base_url,
        notify_base_url="http://parkops.test",
        merchant_private_pem=private_pem(merchant_key),
        gateway_public_pem=gateway.public_pem,
        posted_by=world.username("finance"),
    )
    with pytest.raises(Forbidden):
        service.create_account(session=session, actor=world.actors["finance"], data=data)
    engineer = data.model_copy(update={"posted_by": world.username("engineer")})
    with pytest.raises(Invalid, match="not a finance user"):
        service.create_account(session=session, actor=world.actors["admin"], data=engineer)
    other_org = data.model_copy(update={"posted_by": "other-finance"})
    with pytest.raises(Invalid, match="not a finance user of this org"):
        service.create_account(session=session, actor=world.actors["admin"], data=other_org)
    made = service.create_account(session=session, actor=world.actors["admin"], data=data)
    assert made.org_id == world.org.id and made.channel == "alipay"
    with pytest.raises(Conflict, match="registered already"):
        service.create_account(session=session, actor=world.actors["admin"], data=data)


def test_the_job_asks_about_quiet_pending_orders(
    session: Session,
    world: World,
    account: PaymentAccount,
    gateway: PaymentGateway,
    make_bill: BillMaker,
) -> None:
    make_bill(world, "TA", "ZD-A", 3, ("rent", "100.00"))
    make_bill(world, "TA", "ZD-B", 4, ("rent", "200.00"))
    lost = order_for(session, world, "ZD-A")
    unpaid = order_for(session, world, "ZD-B")
    gateway.pay(APP_ID, lost.out_trade_no, notify=False)  # paid, but the notification is lost
    assert jobs.check_pending_orders(session=session) == []  # too young to ask about
    later = utcnow() + jobs.QUIET_FOR + timedelta(seconds=1)
    assert jobs.check_pending_orders(session=session, now=later) == [lost]
    session.commit()
    assert (lost.status, unpaid.status) == (OrderStatus.paid, OrderStatus.pending)
    assert [p.amount for p in payments_of(session, world)] == [D("-100.00")]
    assert jobs.check_pending_orders(session=session, now=later) == []


async def test_a_payment_settles_the_bills_the_tenant_chose_before_older_ones(
    session: Session,
    world: World,
    account: PaymentAccount,
    gateway: PaymentGateway,
    make_bill: BillMaker,
    client: httpx.AsyncClient,
) -> None:
    make_bill(world, "TA", "ZD-MAR", 3, ("rent", "1000.00"))
    make_bill(world, "TA", "ZD-APR", 4, ("rent", "400.00"), ("management", "100.00"))
    order = order_for(session, world, "ZD-APR")  # the newer bill, though March is older
    body, headers = signed_body(gateway, state(order, TradeState.success))
    assert (await client.post(NOTIFY, content=body, headers=headers)).status_code == 200
    session.expire_all()
    items = ledger.open_items(
        session=session, actor=world.actors["finance"], tenant_id=world.tenants["TA"].id
    )
    assert [(item.bill_code, item.outstanding) for item in items] == [("ZD-MAR", D("1000.00"))]

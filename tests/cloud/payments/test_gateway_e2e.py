"""End to end over real HTTP: a tenant orders through the REST API, pays on the simulated
gateway's page, and the gateway's signed notification reaches the cloud and settles the bill."""

import time
from decimal import Decimal

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session

from cloud.billing import ledger
from simulators.payment_gateway import PaymentGateway
from tests.cloud.factories import PASSWORD, World
from tests.cloud.payments.conftest import APP_ID, BillMaker, add_account


def test_pay_on_the_gateway_page_and_the_notification_settles_the_bill(
    session: Session,
    world: World,
    gateway: PaymentGateway,
    merchant_key: rsa.RSAPrivateKey,
    make_bill: BillMaker,
    served_api: str,
) -> None:
    add_account(session, world, gateway, merchant_key, notify_base_url=served_api)
    make_bill(world, "TA", "ZD-2026-03-TA", 3, ("rent", "15000.00"), ("water", "88.50"))
    with httpx.Client(base_url=served_api, timeout=10) as api:
        token = api.post(
            "/api/v1/auth/login",
            json={"username": world.username("tenant"), "password": PASSWORD},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        created = api.post(
            "/api/v1/payment-orders", json={"bill_codes": ["ZD-2026-03-TA"]}, headers=auth
        )
        assert created.status_code == 201, created.text
        order = created.json()
        page = httpx.get(order["pay_url"])
        assert "¥15088.50" in page.text and "confirm" in page.text
        confirmed = httpx.post(order["pay_url"])  # the payer taps "confirm" on the phone
        assert "支付成功" in confirmed.text
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            seen = api.get(f"/api/v1/payment-orders/{order['out_trade_no']}", headers=auth).json()
            if seen["status"] == "paid":
                break
            time.sleep(0.1)
    assert seen["status"] == "paid", seen
    at_gateway = gateway.query(APP_ID, order["out_trade_no"])
    assert at_gateway is not None and seen["transaction_id"] == at_gateway.transaction_id
    assert [status for _, status in gateway.deliveries] == [200]
    session.expire_all()
    balance = ledger.tenant_balance(
        session=session, actor=world.actors["finance"], tenant_id=world.tenants["TA"].id
    )
    assert balance.outstanding == Decimal("0")

"""Payments fixtures: a merchant key, the simulated gateway on a real port, the org's merchant
account at it, bills to pay, and the REST API served over real HTTP for the gateway to call."""

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session

from cloud.app import create_app
from cloud.billing import ledger
from cloud.billing.models import Bill, BillingRun, EntryKind
from cloud.payments import service
from cloud.payments.models import Channel, PaymentAccount
from cloud.payments.schemas import AccountCreate
from cloud.settings import Settings
from protocols.payment_gateway import new_private_key, private_pem, public_pem
from simulators.payment_gateway import PaymentGateway
from tests.cloud.factories import World
from tests.conftest import free_tcp_port

APP_ID = "wx-acme-0001"
NOTIFY_BASE = "http://parkops.test"


@pytest.fixture(scope="session")
def merchant_key() -> rsa.RSAPrivateKey:
    return new_private_key()


@pytest.fixture
def gateway(merchant_key: rsa.RSAPrivateKey) -> Iterator[PaymentGateway]:
    gateway = PaymentGateway()
    gateway.register_merchant(APP_ID, public_pem(merchant_key))
    with gateway.serving():
        yield gateway


def add_account(
    session: Session,
    world: World,
    gateway: PaymentGateway,
    merchant_key: rsa.RSAPrivateKey,
    *,
    notify_base_url: str = NOTIFY_BASE,
) -> PaymentAccount:
    account = service.create_account(
        session=session,
        actor=world.actors["admin"],
        data=AccountCreate(
            code="wechat",
            channel=Channel.wechat,
            app_id=APP_ID,
            gateway_url=gateway.base_url,
            notify_base_url=notify_base_url,
            merchant_private_pem=private_pem(merchant_key),
            gateway_public_pem=gateway.public_pem,
            posted_by=world.username("finance"),
        ),
    )
    session.commit()
    return account


@pytest.fixture
def account(
    session: Session, world: World, gateway: PaymentGateway, merchant_key: rsa.RSAPrivateKey
) -> PaymentAccount:
    return add_account(session, world, gateway, merchant_key)


BillMaker = Callable[..., Bill]


@pytest.fixture
def make_bill(session: Session) -> BillMaker:
    """A posted bill of one tenant for a month, with one charge entry per (item, amount)."""

    def make(world: World, tenant: str, code: str, month: int, *items: tuple[str, str]) -> Bill:
        finance = world.actors["finance"]
        start = date(2026, month, 1)
        run = BillingRun(
            org_id=world.org.id,
            scope=code,  # one run per bill keeps the helper simple
            period_start=start,
            period_end=date(2026, month, 28),
            posted_on=start,
            created_by_id=finance.user_id,
        )
        session.add(run)
        session.flush()
        bill = Bill(
            org_id=world.org.id,
            code=code,
            run_id=run.id,
            tenant_id=world.tenants[tenant].id,
            period_start=start,
            period_end=run.period_end,
            issued_on=start,
            due_date=date(2026, month, 15),
        )
        session.add(bill)
        session.flush()
        for item, amount in items:
            ledger.add_entry(
                session=session,
                actor=finance,
                tenant_id=bill.tenant_id,
                kind=EntryKind.charge,
                amount=Decimal(amount),
                item=item,
                entry_date=start,
                due_date=bill.due_date,
                bill_id=bill.id,
            )
        session.commit()
        return bill

    return make


@pytest.fixture
def served_api(database_url: str, engine: object) -> Iterator[str]:
    """The REST API (no UI) over real HTTP on a free port, in a thread of this process."""
    settings = Settings(database_url=database_url, secret_key="test-secret-0123456789")
    app = create_app(settings, ui=False)
    port = free_tcp_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="api")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the API did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()

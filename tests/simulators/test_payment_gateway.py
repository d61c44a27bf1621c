"""The simulated payment gateway over real HTTP: signed calls only, a pay page, and signed
notifications redelivered until the merchant answers 2xx."""

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from cloud.payments.providers import GatewayProvider, ProviderAccount, ProviderError
from protocols.payment_gateway import (
    CREATE_PATH,
    Notification,
    TradeState,
    load_public_key,
    new_private_key,
    private_pem,
    public_pem,
    verify,
)
from simulators.payment_gateway import PaymentGateway
from tests.conftest import free_tcp_port

APP_ID = "ali-test-1"


class Merchant:
    """A notify endpoint that answers 500 to its first `fail_first` notifications."""

    def __init__(self, gateway_public_pem: str, fail_first: int) -> None:
        self.received: list[tuple[Notification, bool]] = []
        merchant = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    verify(load_public_key(gateway_public_pem), body, dict(self.headers.items()))
                    good = True
                except Exception:
                    good = False
                merchant.received.append((Notification.model_validate_json(body), good))
                self.send_response(500 if len(merchant.received) <= fail_first else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"


@pytest.fixture(scope="module")
def merchant_key() -> rsa.RSAPrivateKey:
    return new_private_key()


@pytest.fixture
def gateway(merchant_key: rsa.RSAPrivateKey) -> Iterator[PaymentGateway]:
    gateway = PaymentGateway()
    gateway.register_merchant(APP_ID, public_pem(merchant_key))
    with gateway.serving():
        yield gateway


def provider(gateway: PaymentGateway, key: rsa.RSAPrivateKey) -> GatewayProvider:
    return GatewayProvider(
        ProviderAccount(
            channel="alipay",
            app_id=APP_ID,
            gateway_url=gateway.base_url,
            merchant_private_pem=private_pem(key),
            gateway_public_pem=gateway.public_pem,
        )
    )


def test_unsigned_and_wrongly_signed_calls_are_refused(
    gateway: PaymentGateway, merchant_key: rsa.RSAPrivateKey
) -> None:
    body = {
        "app_id": APP_ID,
        "out_trade_no": "PO000001",
        "description": "rent",
        "amount_fen": 100,
        "notify_url": "http://127.0.0.1:9/notify",
        "channel": "alipay",
    }
    answer = httpx.post(gateway.base_url + CREATE_PATH, json=body)
    assert answer.status_code == 401 and answer.json()["code"] == "SIGN_ERROR"
    with pytest.raises(ProviderError, match="SIGN_ERROR"):
        provider(gateway, new_private_key()).create_order(
            out_trade_no="PO000001", amount=Decimal("1.00"), description="rent", notify_url="x"
        )
    assert gateway.query(APP_ID, "PO000001") is None


def test_create_pay_query_and_notify_until_acknowledged(
    gateway: PaymentGateway, merchant_key: rsa.RSAPrivateKey
) -> None:
    merchant = Merchant(gateway.public_pem, fail_first=2)
    thread = threading.Thread(target=merchant.server.serve_forever)
    thread.start()
    try:
        shop = provider(gateway, merchant_key)
        created = shop.create_order(
            out_trade_no="PO000002",
            amount=Decimal("16200.50"),
            description="rent",
            notify_url=merchant.url,
        )
        assert created.qr_payload == created.pay_url  # Alipay-style: the URL itself
        before = shop.query_order(out_trade_no="PO000002")
        assert before is not None and before.trade_state == TradeState.notpay
        assert before.amount_fen == 1_620_050
        assert shop.query_order(out_trade_no="PO-NONE") is None
        assert "确认支付" in httpx.get(created.pay_url).text
        httpx.post(created.pay_url)  # the payer confirms
        deadline = time.monotonic() + 10
        while len(merchant.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        merchant.server.shutdown()
        merchant.server.server_close()
        thread.join()
    after = shop.query_order(out_trade_no="PO000002")
    assert after is not None and after.trade_state == TradeState.success
    # Redelivered after two 500s, the same notification each time, signed by the gateway.
    assert [good for _, good in merchant.received] == [True, True, True]
    assert len({n.id for n, _ in merchant.received}) == 1
    assert merchant.received[0][0].resource.transaction_id == after.transaction_id
    assert [status for _, status in gateway.deliveries] == [500, 500, 200]
    notification = json.loads(merchant.received[0][0].model_dump_json())
    assert notification["event_type"] == "TRANSACTION.SUCCESS"


def test_the_command_serves_with_its_key_until_interrupted(
    tmp_path: Path, merchant_key: rsa.RSAPrivateKey
) -> None:
    port = free_tcp_port()
    key, pub = tmp_path / "gateway.pem", tmp_path / "merchant.pub.pem"
    pub.write_text(public_pem(merchant_key))
    command = [sys.executable, "-m", "parkops.cli", "sim", "payment-gateway", "--key", str(key)]
    command += ["--port", str(port), "--merchant", f"{APP_ID}={pub}"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not (tmp_path / "gateway.pem.pub").exists() or not _answers(port):
            assert server.poll() is None and time.monotonic() < deadline, server.stdout
            time.sleep(0.1)
        gateway_pem = (tmp_path / "gateway.pem.pub").read_text()
        shop = GatewayProvider(
            ProviderAccount(
                channel="wechat",
                app_id=APP_ID,
                gateway_url=f"http://127.0.0.1:{port}",
                merchant_private_pem=private_pem(merchant_key),
                gateway_public_pem=gateway_pem,
            )
        )
        created = shop.create_order(
            out_trade_no="PO000003",
            amount=Decimal("9.90"),
            description="x",
            notify_url="http://127.0.0.1:9/",
        )
        assert created.qr_payload.startswith("weixin://")
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=20)
    assert server.returncode == 0, output
    assert load_public_key(gateway_pem) is not None and key.exists()


def _answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.TransportError:
        return False
    return True

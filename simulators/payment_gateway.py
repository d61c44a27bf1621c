"""A simulated online payment gateway (WeChat Pay / Alipay shaped) over real HTTP.

Merchants register their public key; the gateway answers signed create and query calls, serves a
pay page for each order, and, once the payer confirms there, sends a signed asynchronous
notification to the order's notify URL, redelivering until the merchant answers 2xx (a bounded
number of times, like the real providers' back-off schedule, shortened).

    gateway = PaymentGateway()
    gateway.register_merchant("wx-app-1", merchant_public_pem)
    with gateway.serving():               # http://127.0.0.1:<port>
        ...
"""

import json
import logging
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from protocols.payment_gateway import (
    APP_HEADER,
    CREATE_PATH,
    Notification,
    OrderCreated,
    OrderRequest,
    OrderState,
    SignatureError,
    TradeState,
    fen_to_yuan,
    load_public_key,
    new_private_key,
    public_pem,
    sign,
    verify,
)

log = logging.getLogger(__name__)

QUERY_PREFIX = "/v3/pay/transactions/out-trade-no/"
PAY_PREFIX = "/pay/"
REDELIVERY_DELAYS_S = (0.0, 0.2, 0.5, 1.0, 2.0)


class PaymentGateway:
    """The gateway's state (merchants, orders) and its HTTP server."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, key: rsa.RSAPrivateKey | None = None
    ) -> None:
        self._key = key or new_private_key()
        self.public_pem = public_pem(self._key)
        self._host, self._port = host, port
        self._merchants: dict[str, str] = {}
        self._orders: dict[tuple[str, str], tuple[OrderRequest, OrderState]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._senders: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.deliveries: list[tuple[str, int]] = []
        """(notification id, HTTP status the merchant answered), in order of delivery."""

    @property
    def base_url(self) -> str:
        """Where it serves; known before it starts when a port was given."""
        if self._server is None:
            assert self._port, "not serving, and no port was given"
            return f"http://{self._host}:{self._port}"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def register_merchant(self, app_id: str, merchant_public_pem: str) -> None:
        load_public_key(merchant_public_pem)  # refuse a bad key now, not at the first call
        self._merchants[app_id] = merchant_public_pem

    @contextmanager
    def serving(self) -> Iterator["PaymentGateway"]:
        """Serve on a thread until the block ends; notifications still in flight stop too."""
        gateway = self

        class Handler(_Handler):
            pass

        Handler.gateway = gateway
        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        thread = threading.Thread(target=self._server.serve_forever, name="payment-gateway")
        thread.start()
        try:
            yield self
        finally:
            self._stopping.set()
            self._server.shutdown()
            self._server.server_close()
            thread.join()
            for sender in self._senders:
                sender.join()

    def create(self, request: OrderRequest) -> OrderCreated:
        key = (request.app_id, request.out_trade_no)
        with self._lock:
            if key in self._orders and self._orders[key][0] != request:
                raise ValueError(f"order {request.out_trade_no} exists with other content")
            state = OrderState(
                app_id=request.app_id,
                out_trade_no=request.out_trade_no,
                trade_state=TradeState.notpay,
                amount_fen=request.amount_fen,
            )
            self._orders.setdefault(key, (request, state))
        pay_url = f"{self.base_url}{PAY_PREFIX}{request.app_id}/{request.out_trade_no}"
        scheme = "weixin://wxpay/bizpayurl?pr=" if request.channel == "wechat" else ""
        return OrderCreated(
            out_trade_no=request.out_trade_no,
            pay_url=pay_url,
            qr_payload=f"{scheme}{pay_url}" if scheme else pay_url,
        )

    def query(self, app_id: str, out_trade_no: str) -> OrderState | None:
        with self._lock:
            found = self._orders.get((app_id, out_trade_no))
        return found[1] if found else None

    def pay(self, app_id: str, out_trade_no: str, *, notify: bool = True) -> OrderState:
        """The payer confirms: the order succeeds once, and the merchant is notified."""
        with self._lock:
            request, state = self._orders[(app_id, out_trade_no)]
            if state.trade_state != TradeState.success:
                state = state.model_copy(
                    update={
                        "trade_state": TradeState.success,
                        "transaction_id": "42" + secrets.token_hex(10),
                        "paid_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    }
                )
                self._orders[(app_id, out_trade_no)] = (request, state)
        if notify:
            self.notify(state, request.notify_url)
        return state

    def notification(self, state: OrderState) -> Notification:
        return Notification(
            id=secrets.token_hex(12),
            event_type=f"TRANSACTION.{state.trade_state.value}",
            create_time=datetime.now(UTC).isoformat(timespec="seconds"),
            resource=state,
        )

    def signed(self, body: bytes) -> dict[str, str]:
        return sign(self._key, body).as_dict()

    def notify(self, state: OrderState, notify_url: str) -> threading.Thread:
        """Send a notification of `state` from a thread, redelivering until a 2xx answer."""
        body = self.notification(state).model_dump_json().encode()
        sender = threading.Thread(
            target=self._deliver, args=(notify_url, body), name="payment-notify", daemon=True
        )
        self._senders.append(sender)
        sender.start()
        return sender

    def send_once(self, notify_url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST one notification exactly as given (tests tamper with it); the HTTP status."""
        request = urllib.request.Request(
            notify_url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = int(response.status)
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            log.info("notify %s failed: %s", notify_url, error)
            status = 0
        return status

    def _deliver(self, notify_url: str, body: bytes) -> None:
        notification_id = json.loads(body)["id"]
        for delay in REDELIVERY_DELAYS_S:
            if self._stopping.wait(delay):
                return
            status = self.send_once(notify_url, body, self.signed(body))
            self.deliveries.append((notification_id, status))
            if 200 <= status < 300:
                return


class _Handler(BaseHTTPRequestHandler):
    gateway: PaymentGateway

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == CREATE_PATH:
            self._create(body)
        elif self.path.startswith(PAY_PREFIX):
            app_id, _, out_trade_no = self.path[len(PAY_PREFIX) :].partition("/")
            try:
                self.gateway.pay(app_id, out_trade_no)
            except KeyError:
                self._reply(404, {"code": "ORDER_NOT_EXIST"})
                return
            self._page(app_id, out_trade_no)
        else:
            self._reply(404, {"code": "NOT_FOUND"})

    def do_GET(self) -> None:
        path, _, _query = self.path.partition("?")
        if path.startswith(QUERY_PREFIX):
            app_id = self.headers.get(APP_HEADER, "")
            if self._merchant_signed(app_id, b"") is None:
                return
            state = self.gateway.query(app_id, path[len(QUERY_PREFIX) :])
            if state is None:
                self._reply(404, {"code": "ORDER_NOT_EXIST"})
            else:
                self._reply(200, state.model_dump(mode="json"))
        elif path.startswith(PAY_PREFIX):
            app_id, _, out_trade_no = path[len(PAY_PREFIX) :].partition("/")
            self._page(app_id, out_trade_no)
        else:
            self._reply(404, {"code": "NOT_FOUND"})

    def _create(self, body: bytes) -> None:
        try:
            request = OrderRequest.model_validate_json(body)
        except ValidationError as error:
            self._reply(400, {"code": "PARAM_ERROR", "message": str(error)})
            return
        if self._merchant_signed(request.app_id, body) is None:
            return
        try:
            created = self.gateway.create(request)
        except ValueError as error:
            self._reply(409, {"code": "ORDER_EXISTS", "message": str(error)})
            return
        self._reply(200, created.model_dump(mode="json"))

    def _merchant_signed(self, app_id: str, body: bytes) -> str | None:
        """The app id when the request is signed by that merchant; else replies 401."""
        pem = self.gateway._merchants.get(app_id)
        if pem is None:
            self._reply(401, {"code": "APPID_NOT_EXIST", "message": f"no merchant {app_id!r}"})
            return None
        try:
            verify(load_public_key(pem), body, dict(self.headers.items()))
        except SignatureError as error:
            self._reply(401, {"code": "SIGN_ERROR", "message": str(error)})
            return None
        return app_id

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in self.gateway.signed(body).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _page(self, app_id: str, out_trade_no: str) -> None:
        """The payer's page: the amount and a confirm button, or the result once paid."""
        state = self.gateway.query(app_id, out_trade_no)
        if state is None:
            self._reply(404, {"code": "ORDER_NOT_EXIST"})
            return
        amount = escape(f"¥{fen_to_yuan(state.amount_fen)}")
        if state.trade_state == TradeState.success:
            inner = f"<p id='result'>支付成功 Paid {amount}</p>"
        else:
            inner = (
                f"<p>{escape(out_trade_no)}</p><p class='amount'>{amount}</p>"
                "<form method='post'><button id='confirm' type='submit'>"
                "确认支付 Confirm payment</button></form>"
            )
        html = (
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width'>"
            f"<title>Payment gateway</title></head><body>{inner}</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(html)))
        self.end_headers()
        self.wfile.write(html)

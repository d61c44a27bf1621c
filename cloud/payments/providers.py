"""Online payment providers behind one interface: create an order, query it, check a
notification. `GatewayProvider` speaks the WeChat Pay / Alipay shaped HTTP API of
`protocols.payment_gateway` (the simulated gateway serves the same)."""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from urllib.parse import quote

from pydantic import ValidationError

from protocols.payment_gateway import (
    APP_HEADER,
    CREATE_PATH,
    QUERY_PATH,
    Notification,
    OrderCreated,
    OrderRequest,
    OrderState,
    SignatureError,
    load_private_key,
    load_public_key,
    sign,
    verify,
    yuan_to_fen,
)

TIMEOUT_S = 10.0


class ProviderError(Exception):
    """The provider could not be reached, or answered with an error or a bad signature."""


@dataclass(frozen=True)
class ProviderAccount:
    """What a provider needs of a merchant account (see `models.PaymentAccount`)."""

    channel: str
    app_id: str
    gateway_url: str
    merchant_private_pem: str
    gateway_public_pem: str


class PaymentProvider(Protocol):
    def create_order(
        self, *, out_trade_no: str, amount: Decimal, description: str, notify_url: str
    ) -> OrderCreated: ...

    def query_order(self, *, out_trade_no: str) -> OrderState | None: ...

    def parse_notification(self, *, body: bytes, headers: dict[str, str]) -> Notification:
        """The notification if its signature verifies; raises SignatureError or ValueError."""
        ...


class GatewayProvider:
    """One merchant account at a gateway speaking `protocols.payment_gateway` over HTTP."""

    def __init__(self, account: ProviderAccount) -> None:
        self._account = account
        self._private = load_private_key(account.merchant_private_pem)
        self._gateway_key = load_public_key(account.gateway_public_pem)

    def create_order(
        self, *, out_trade_no: str, amount: Decimal, description: str, notify_url: str
    ) -> OrderCreated:
        request = OrderRequest(
            app_id=self._account.app_id,
            out_trade_no=out_trade_no,
            description=description[:127],
            amount_fen=yuan_to_fen(amount),
            notify_url=notify_url,
            channel=self._account.channel,
        )
        status, answer = self._call("POST", CREATE_PATH, request.model_dump_json().encode())
        if status != 200:
            raise ProviderError(f"the gateway refused order {out_trade_no}: {status} {answer!r}")
        return OrderCreated.model_validate_json(answer)

    def query_order(self, *, out_trade_no: str) -> OrderState | None:
        path = QUERY_PATH.format(out_trade_no=quote(out_trade_no, safe=""))
        status, answer = self._call("GET", path, b"")
        if status == 404:
            return None
        if status != 200:
            raise ProviderError(f"the gateway could not say how {out_trade_no} stands: {status}")
        return OrderState.model_validate_json(answer)

    def parse_notification(self, *, body: bytes, headers: dict[str, str]) -> Notification:
        verify(self._gateway_key, body, headers)
        try:
            return Notification.model_validate_json(body)
        except ValidationError as error:
            raise ValueError(f"the notification is not of the expected shape: {error}") from None

    def _call(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        """Send a signed request; the status and the body, whose signature is checked."""
        headers = {
            "Content-Type": "application/json",
            APP_HEADER: self._account.app_id,
            **sign(self._private, body).as_dict(),
        }
        url = self._account.gateway_url.rstrip("/") + path
        request = urllib.request.Request(
            url, data=body if method == "POST" else None, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                status, answer, answer_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, answer, answer_headers = error.code, error.read(), error.headers
        except OSError as error:
            raise ProviderError(f"the gateway at {url} is unreachable: {error}") from None
        try:
            verify(self._gateway_key, answer, dict(answer_headers.items()))
        except SignatureError as error:
            raise ProviderError(f"the gateway's answer is not signed by it: {error}") from None
        if status >= 400 and status != 404:
            detail = _message(answer)
            raise ProviderError(f"the gateway answered {status}: {detail}")
        return int(status), answer


def _message(answer: bytes) -> str:
    try:
        payload = json.loads(answer)
    except ValueError:
        return answer[:200].decode(errors="replace")
    return f"{payload.get('code', '')} {payload.get('message', '')}".strip()


def provider_for(account: ProviderAccount) -> PaymentProvider:
    """The provider of an account; both channels speak the same gateway API here."""
    return GatewayProvider(account)

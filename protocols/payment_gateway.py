"""The online payment gateway's wire format, shared by the cloud and the simulated gateway.

Shaped like WeChat Pay v3 and Alipay: JSON bodies, amounts in fen, and every request, response
and asynchronous notification signed RSA-SHA256 (PKCS#1 v1.5) over
`"{timestamp}\\n{nonce}\\n{body}\\n"`, the signature base64 in a header. The merchant signs what
it sends with its private key; the gateway signs what it sends with its own; each side verifies
with the other's public key. Pure: no I/O.
"""

import base64
import binascii
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import BaseModel, Field

TIMESTAMP_HEADER: Final = "Pay-Timestamp"
NONCE_HEADER: Final = "Pay-Nonce"
SIGNATURE_HEADER: Final = "Pay-Signature"
APP_HEADER: Final = "Pay-App-Id"

CREATE_PATH: Final = "/v3/pay/transactions"
QUERY_PATH: Final = "/v3/pay/transactions/out-trade-no/{out_trade_no}"

FEN_PER_YUAN: Final = 100


class TradeState(StrEnum):
    notpay = "NOTPAY"  # created, not paid yet
    userpaying = "USERPAYING"  # the payer is confirming (password, fingerprint)
    success = "SUCCESS"
    closed = "CLOSED"  # expired or closed unpaid


class SignatureError(Exception):
    """A signature is missing, malformed or does not verify with the expected key."""


class OrderRequest(BaseModel):
    """Create an order: what the merchant asks the gateway for."""

    app_id: str
    out_trade_no: str = Field(min_length=6, max_length=32)
    description: str = Field(max_length=127)
    amount_fen: int = Field(gt=0)
    notify_url: str
    channel: str = Field(description="wechat or alipay: the kind of pay URL / QR payload")


class OrderCreated(BaseModel):
    out_trade_no: str
    pay_url: str = Field(description="the page a phone opens to pay")
    qr_payload: str = Field(description="what a QR code for a desk-top payer encodes")


class OrderState(BaseModel):
    """An order as the gateway knows it: the query answer and the notification's content."""

    app_id: str
    out_trade_no: str
    transaction_id: str | None = None
    trade_state: TradeState
    amount_fen: int
    paid_at: str | None = Field(default=None, description="ISO 8601 instant of payment")


class Notification(BaseModel):
    """An asynchronous notification; `id` is the gateway's, the same on every redelivery."""

    id: str
    event_type: str
    create_time: str
    resource: OrderState


@dataclass(frozen=True)
class SignedHeaders:
    timestamp: str
    nonce: str
    signature: str

    def as_dict(self) -> dict[str, str]:
        return {
            TIMESTAMP_HEADER: self.timestamp,
            NONCE_HEADER: self.nonce,
            SIGNATURE_HEADER: self.signature,
        }


def yuan_to_fen(amount: Decimal) -> int:
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"


def sign(key: rsa.RSAPrivateKey, body: bytes, *, now: float | None = None) -> SignedHeaders:
    """Headers that sign `body` with `key` (RSA-SHA256), with a fresh timestamp and nonce."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_hex(16)
    raw = key.sign(_message(timestamp, nonce, body), padding.PKCS1v15(), hashes.SHA256())
    return SignedHeaders(timestamp, nonce, base64.b64encode(raw).decode())


def verify(key: rsa.RSAPublicKey, body: bytes, headers: dict[str, str]) -> None:
    """Raise SignatureError unless `headers` hold a signature of `body` made with `key`'s pair.

    Header names are matched case-insensitively, as HTTP has them."""
    lower = {name.lower(): value for name, value in headers.items()}
    missing = [
        h for h in (TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER) if h.lower() not in lower
    ]
    if missing:
        raise SignatureError(f"the {', '.join(missing)} header is missing")
    timestamp = lower[TIMESTAMP_HEADER.lower()]
    nonce = lower[NONCE_HEADER.lower()]
    signature = lower[SIGNATURE_HEADER.lower()]
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the signature is not base64") from None
    try:
        key.verify(raw, _message(timestamp, nonce, body), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureError(
            "the signature does not verify with the expected public key "
            "(body altered, or signed with another key)"
        ) from None

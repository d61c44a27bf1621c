"""RSA-SHA256 signatures of the payment gateway's messages: good, tampered, wrong key."""

from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from protocols.payment_gateway import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    fen_to_yuan,
    load_private_key,
    load_public_key,
    new_private_key,
    private_pem,
    public_pem,
    sign,
    verify,
    yuan_to_fen,
)

BODY = b'{"out_trade_no":"PO1","amount_fen":1620000}'


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return new_private_key()


def test_a_good_signature_verifies_through_pem_round_trips(key: rsa.RSAPrivateKey) -> None:
    signer = load_private_key(private_pem(key))
    headers = sign(signer, BODY).as_dict()
    verify(load_public_key(public_pem(key)), BODY, headers)
    # HTTP header names arrive in any case.
    verify(key.public_key(), BODY, {name.lower(): value for name, value in headers.items()})


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda b, h: (b.replace(b"1620000", b"1620"), h), id="body"),
        pytest.param(lambda b, h: (b, {**h, TIMESTAMP_HEADER: "1"}), id="timestamp"),
        pytest.param(lambda b, h: (b + b" ", h), id="trailing-space"),
    ],
)
def test_any_change_breaks_the_signature(key: rsa.RSAPrivateKey, change: object) -> None:
    body, headers = change(BODY, sign(key, BODY).as_dict())  # type: ignore[operator]
    with pytest.raises(SignatureError, match="does not verify"):
        verify(key.public_key(), body, headers)


def test_a_signature_by_another_key_does_not_verify(key: rsa.RSAPrivateKey) -> None:
    headers = sign(new_private_key(), BODY).as_dict()
    with pytest.raises(SignatureError, match="does not verify"):
        verify(key.public_key(), BODY, headers)


def test_missing_or_garbled_signature_says_what_is_wrong(key: rsa.RSAPrivateKey) -> None:
    headers = sign(key, BODY).as_dict()
    without = {k: v for k, v in headers.items() if k != SIGNATURE_HEADER}
    with pytest.raises(SignatureError, match=f"{SIGNATURE_HEADER} header is missing"):
        verify(key.public_key(), BODY, without)
    with pytest.raises(SignatureError, match="not base64"):
        verify(key.public_key(), BODY, {**headers, SIGNATURE_HEADER: "***"})


def test_amounts_in_fen() -> None:
    assert yuan_to_fen(Decimal("16200.50")) == 1_620_050
    assert fen_to_yuan(1_620_050) == Decimal("16200.50")
    with pytest.raises(ValueError, match="more than two decimal places"):
        yuan_to_fen(Decimal("0.001"))

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from protocols.gate import (
    AllowList,
    Credential,
    DoorEventData,
    ExitAnswer,
    GatePassageData,
    PlatePass,
    TimeWindow,
    hash_secret,
    supersedes,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SALT = "a1b2c3d4e5f60718"


def _list(version: int) -> AllowList:
    return AllowList(site="park1", version=version, issued_at=NOW)


def test_only_a_higher_version_supersedes_the_list_kept():
    assert supersedes(_list(1), None)
    assert supersedes(_list(2), _list(1))
    assert not supersedes(_list(2), _list(2))
    assert not supersedes(_list(1), _list(2))


def test_a_pass_is_valid_from_its_start_until_just_before_its_end():
    plate_pass = PlatePass(
        plate="京A12345", kind="monthly", valid_from=NOW, valid_until=NOW + timedelta(days=30)
    )
    assert plate_pass.valid_at(NOW)
    assert not plate_pass.valid_at(NOW - timedelta(seconds=1))
    assert not plate_pass.valid_at(NOW + timedelta(days=30))


def test_a_pin_travels_as_a_salted_hash_that_matches_only_its_pin():
    hashed = hash_secret("482913", salt=SALT, iterations=1000)
    assert "482913" not in hashed.model_dump_json()
    assert hashed.matches("482913")
    assert not hashed.matches("482914")
    other_salt = hash_secret("482913", salt="ff" * 8, iterations=1000)
    assert other_salt.digest != hashed.digest


def test_pin_and_qr_credentials_refuse_a_plain_identifier():
    with pytest.raises(ValidationError, match="secret_hash only"):
        Credential(kind="pin", identifier="482913", person="p-1", areas=["B1"])
    with pytest.raises(ValidationError, match="identifier only"):
        Credential(
            kind="card",
            secret_hash=hash_secret("1", salt=SALT, iterations=1),
            person="p",
            areas=["B1"],
        )
    card = Credential(kind="card", identifier="04A1B2C3", person="p-1", areas=["B1"])
    assert card.identifier == "04A1B2C3"


def test_time_windows_take_iso_weekdays_only():
    TimeWindow(days=[1, 5], start=time(8), end=time(18))
    with pytest.raises(ValidationError, match="ISO weekdays"):
        TimeWindow(days=[0], start=time(8), end=time(18))


def test_the_allow_list_round_trips_through_json():
    allow = AllowList(
        site="park1",
        version=7,
        issued_at=NOW,
        plates=[PlatePass(plate="沪AD12345", kind="tenant", tenant="T-01")],
        credentials=[Credential(kind="ble", identifier="key-9", person="p-2", areas=["L3"])],
    )
    assert AllowList.model_validate_json(allow.model_dump_json()) == allow


def test_money_in_answers_and_events_is_decimal_with_two_places():
    answer = ExitAnswer(id="q", plate="京A12345", paid=False, amount_due=Decimal("8.50"))
    assert answer.model_dump(mode="json")["amount_due"] == "8.50"
    with pytest.raises(ValidationError):
        ExitAnswer(id="q", plate="京A12345", paid=False, amount_due=Decimal("8.505"))
    with pytest.raises(ValidationError):
        GatePassageData(
            gate="G",
            direction="exit",
            plate="京A12345",
            opened=True,
            basis="paid",
            amount_due=Decimal("-1"),
        )


def test_door_events_refuse_unknown_deny_reasons():
    DoorEventData(door="D-1", reason="outside_hours")
    with pytest.raises(ValidationError):
        DoorEventData(door="D-1", reason="because")

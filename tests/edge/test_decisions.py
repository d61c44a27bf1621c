from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from edge.decisions import (
    AllowIndex,
    LastPassage,
    decide_door,
    decide_entry,
    decide_exit,
    decide_exit_answer,
    in_window,
)
from protocols.gate import AllowList, Credential, ExitAnswer, PlatePass, TimeWindow, hash_secret
from protocols.gate_config import Gate

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ENTRY = Gate(code="G-IN", direction="entry", area="P1")
EXIT = Gate(code="G-OUT", direction="exit", area="P1")
MONTHLY = "京A12345"
TENANT = "沪AD12345"


def _index(*passes: PlatePass) -> AllowIndex:
    return AllowIndex(AllowList(site="park1", version=4, issued_at=NOW, plates=list(passes)))


INDEX = _index(
    PlatePass(plate=MONTHLY, kind="monthly", valid_until=NOW + timedelta(days=10)),
    PlatePass(plate=TENANT, kind="tenant", tenant="T-01", areas=["P1"]),
    PlatePass(plate="粤B99999", kind="blocked"),
    PlatePass(plate="粤B99999", kind="monthly"),
    PlatePass(plate="苏E88888", kind="monthly", valid_until=NOW - timedelta(days=1)),
    PlatePass(plate="浙C66666", kind="visitor", gates=["G-OTHER"]),
)


def test_a_monthly_pass_opens_entry_and_exit_without_asking_the_cloud():
    entry = decide_entry(ENTRY, MONTHLY, index=INDEX, last=None, at=NOW)
    assert (entry.open, entry.basis, entry.plate_pass.kind) == (True, "pass", "monthly")
    exit_ = decide_exit(EXIT, MONTHLY, index=INDEX, last=LastPassage("entry", NOW), at=NOW)
    assert (exit_.open, exit_.ask_cloud) == (True, False)


def test_a_tenant_car_opens_only_for_its_area():
    assert decide_entry(ENTRY, TENANT, index=INDEX, last=None, at=NOW).basis == "pass"
    elsewhere = Gate(code="G-X", area="P2", temporary_entry="hold")
    refused = decide_entry(elsewhere, TENANT, index=INDEX, last=None, at=NOW)
    assert (refused.open, refused.reason) == (False, "wrong_gate")


def test_a_blocked_plate_never_opens_even_with_a_pass():
    for decide, gate in ((decide_entry, ENTRY), (decide_exit, EXIT)):
        decision = decide(gate, "粤B99999", index=INDEX, last=None, at=NOW)
        assert (decision.open, decision.reason, decision.ask_cloud) == (False, "blocked", False)


@pytest.mark.parametrize(("policy", "opens"), [("open", True), ("hold", False)])
def test_a_temporary_car_enters_per_the_gate_policy(policy, opens):
    gate = Gate(code="G-IN", temporary_entry=policy)
    decision = decide_entry(gate, "川A55555", index=INDEX, last=None, at=NOW)
    assert decision.open is opens
    assert decision.basis == ("temporary" if opens else "denied")
    assert decision.reason == (None if opens else "not_on_list")


def test_an_expired_pass_makes_a_temporary_car_and_says_so_when_held():
    held = decide_entry(
        Gate(code="G", temporary_entry="hold"), "苏E88888", index=INDEX, last=None, at=NOW
    )
    assert held.reason == "expired"
    assert decide_entry(ENTRY, "苏E88888", index=INDEX, last=None, at=NOW).basis == "temporary"
    assert decide_exit(EXIT, "苏E88888", index=INDEX, last=None, at=NOW).ask_cloud


def test_an_unread_plate_is_held():
    decision = decide_entry(ENTRY, "", index=INDEX, last=None, at=NOW)
    assert (decision.open, decision.reason) == (False, "unread")


def test_a_temporary_car_must_ask_the_cloud_to_leave():
    first = decide_exit(EXIT, "川A55555", index=INDEX, last=None, at=NOW)
    assert (first.open, first.ask_cloud) == (False, True)
    paid = ExitAnswer(id="q", plate="川A55555", paid=True, session_id="s-1")
    assert decide_exit_answer(EXIT, first, paid).basis == "paid"
    due = ExitAnswer(
        id="q", plate="川A55555", paid=False, amount_due=Decimal("15.00"), session_id="s"
    )
    unpaid = decide_exit_answer(EXIT, first, due)
    assert (unpaid.open, unpaid.reason, unpaid.amount_due) == (False, "unpaid", Decimal("15.00"))
    free = ExitAnswer(id="q", plate="川A55555", paid=False, session_id="s-2")
    assert decide_exit_answer(EXIT, first, free).basis == "free"
    unknown = ExitAnswer(id="q", plate="川A55555", paid=False)
    assert decide_exit_answer(EXIT, first, unknown).open is False


@pytest.mark.parametrize(
    ("policy", "opens", "basis"), [("open_debt", True, "offline_debt"), ("hold", False, "denied")]
)
def test_with_no_answer_the_offline_exit_policy_decides(policy, opens, basis):
    gate = Gate(code="G-OUT", direction="exit", offline_exit=policy)
    first = decide_exit(gate, "川A55555", index=INDEX, last=None, at=NOW)
    decision = decide_exit_answer(gate, first, None)
    assert (decision.open, decision.basis) == (opens, basis)
    if not opens:
        assert decision.reason == "cloud_unreachable"


def _twice(mode: str, gap_s: float):
    gate = Gate(code="G-IN", anti_passback=mode, passback_window_s=60)
    last = LastPassage("entry", NOW - timedelta(seconds=gap_s))
    return decide_entry(gate, MONTHLY, index=INDEX, last=last, at=NOW)


def test_anti_passback_off_soft_hard_and_timed():
    assert (_twice("off", 5).open, _twice("off", 5).warning) == (True, None)
    assert (_twice("soft", 5).open, _twice("soft", 5).warning) == (True, "passback")
    hard = _twice("hard", 3600)
    assert (hard.open, hard.reason) == (False, "anti_passback")
    assert (_twice("timed", 5).open, _twice("timed", 5).reason) == (False, "anti_passback")
    assert _twice("timed", 120).open is True


def test_anti_passback_lets_the_opposite_direction_through():
    gate = Gate(code="G-IN", anti_passback="hard")
    last = LastPassage("exit", NOW - timedelta(seconds=1))
    assert decide_entry(gate, MONTHLY, index=INDEX, last=last, at=NOW).open


def test_a_confusion_is_tolerated_only_where_the_format_forbids_what_was_read():
    # 8 cannot stand after the province (a letter's place): it was B.
    index = _index(PlatePass(plate="京B12345", kind="monthly"))
    fixed = decide_entry(
        Gate(code="G", temporary_entry="hold"), "京812345", index=index, last=None, at=NOW
    )
    assert (fixed.open, fixed.matched_plate) == (True, "京B12345")
    # 京B1234S and 京B12345 are both valid plates: two cars, no match.
    other = decide_entry(
        Gate(code="G", temporary_entry="hold"), "京B1234S", index=index, last=None, at=NOW
    )
    assert (other.open, other.reason) == (False, "not_on_list")


def test_separators_and_case_do_not_matter():
    index = _index(PlatePass(plate="京A12345", kind="monthly"))
    assert index.match("京a·12345") == ("京A12345", index.match("京A12345")[1])


def test_no_list_at_all_leaves_every_car_temporary():
    decision = decide_entry(ENTRY, MONTHLY, index=AllowIndex(None), last=None, at=NOW)
    assert decision.basis == "temporary"


# --- doors --------------------------------------------------------------------------------------

SALT = "0123456789abcdef"
OFFICE_HOURS = TimeWindow(days=[1, 2, 3, 4, 5], start=time(8), end=time(19))
NIGHT_SHIFT = TimeWindow(days=[5], start=time(22), end=time(6))
CREDENTIALS = AllowList(
    site="park1",
    version=1,
    issued_at=NOW,
    timezone="Asia/Shanghai",
    credentials=[
        Credential(kind="card", identifier="04A1B2C3", person="p-1", areas=["B1"],
                   windows=[OFFICE_HOURS], ref="c-1"),
        Credential(kind="pin", secret_hash=hash_secret("482913", salt=SALT, iterations=100),
                   person="p-2", areas=["B1", "B2"]),
        Credential(kind="qr", secret_hash=hash_secret("visit-77", salt=SALT, iterations=100),
                   person="v-9", areas=["B1"], valid_until=NOW + timedelta(hours=2)),
        Credential(kind="ble", identifier="key-5", person="p-3", areas=["B1"],
                   windows=[NIGHT_SHIFT]),
    ],
)  # fmt: skip
MONDAY_10_SHANGHAI = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday


@pytest.mark.parametrize(
    ("kind", "presented", "area", "at", "grant", "reason"),
    [
        ("card", "04a1b2c3", "B1", MONDAY_10_SHANGHAI, True, None),
        ("card", "04A1B2C3", "B2", MONDAY_10_SHANGHAI, False, "wrong_area"),
        (
            "card",
            "04A1B2C3",
            "B1",
            MONDAY_10_SHANGHAI + timedelta(hours=10),
            False,
            "outside_hours",
        ),
        ("card", "FFFFFFFF", "B1", MONDAY_10_SHANGHAI, False, "unknown_credential"),
        ("pin", "482913", "B2", MONDAY_10_SHANGHAI, True, None),
        ("pin", "482914", "B2", MONDAY_10_SHANGHAI, False, "unknown_credential"),
        ("qr", "visit-77", "B1", NOW, True, None),
        ("qr", "visit-77", "B1", NOW + timedelta(hours=3), False, "expired"),
        ("card", "482913", "B2", MONDAY_10_SHANGHAI, False, "unknown_credential"),
    ],
)
def test_a_door_checks_kind_secret_area_validity_and_hours(
    kind, presented, area, at, grant, reason
):
    decision = decide_door(CREDENTIALS, kind=kind, presented=presented, area=area, at=at)
    assert (decision.grant, decision.reason) == (grant, reason)


def test_a_window_past_midnight_covers_the_small_hours_of_the_next_day():
    friday_23 = datetime(2026, 3, 6, 23, 0)
    saturday_5 = datetime(2026, 3, 7, 5, 0)
    saturday_7 = datetime(2026, 3, 7, 7, 0)
    thursday_23 = datetime(2026, 3, 5, 23, 0)
    assert in_window(NIGHT_SHIFT, friday_23) and in_window(NIGHT_SHIFT, saturday_5)
    assert not in_window(NIGHT_SHIFT, saturday_7) and not in_window(NIGHT_SHIFT, thursday_23)


def test_no_list_opens_no_door():
    assert decide_door(None, kind="card", presented="x", area="B1", at=NOW).grant is False

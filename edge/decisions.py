"""What a barrier does for a plate, decided at the edge so gates keep working with the cloud
down. Pure: the allow-list, the plate's last passage and the cloud's answer come in, a
`Decision` goes out; `edge.gates` does the I/O.

- A blocked plate never opens. A valid pass for this gate and area opens, entry or exit.
- Any other car is temporary: it enters per the gate's `temporary_entry` policy; it leaves once
  the cloud says its session is paid, or, when the cloud does not answer, per `offline_exit`.
- Anti-passback watches pass holders (whose pass could be lent through the fence): a second use
  in the same direction is flagged (`soft`), refused (`hard`) or refused within a window
  (`timed`).
- A read matches a listed plate exactly, or after the confusion fixes of `protocols.plates`,
  which change a character only where the national format does not allow what was read: two
  valid plates one confusion apart stay two cars.

Doors: a credential (card, QR, PIN, BLE key) opens a door of an area if the synced list has it
valid now, for that area, within its weekly hours in the site's time zone.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from protocols.gate import (
    AllowList,
    Credential,
    CredentialKind,
    DenyReason,
    DoorDenyReason,
    ExitAnswer,
    PassageBasis,
    PlatePass,
    TimeWindow,
)
from protocols.gate_config import Gate
from protocols.plates import correct_text, is_valid_plate, normalise

Direction = Literal["entry", "exit"]


@dataclass(frozen=True)
class LastPassage:
    """A plate's last passage through any gate of the site (for anti-passback)."""

    direction: Direction
    at: datetime


@dataclass(frozen=True)
class Decision:
    """Open or not, and why; `ask_cloud` means an exit waits for the cloud's answer first."""

    open: bool
    basis: PassageBasis
    reason: DenyReason | None = None
    plate_pass: PlatePass | None = None
    matched_plate: str | None = None
    warning: str | None = None
    ask_cloud: bool = False
    amount_due: Decimal | None = None
    session_id: str | None = None


class AllowIndex:
    """The allow-list by plate, for matching reads quickly."""

    def __init__(self, allow_list: AllowList | None) -> None:
        self.allow_list = allow_list
        self.version = allow_list.version if allow_list else None
        self._by_plate: dict[str, list[PlatePass]] = {}
        for plate_pass in allow_list.plates if allow_list else []:
            self._by_plate.setdefault(normalise(plate_pass.plate), []).append(plate_pass)

    def __len__(self) -> int:
        return len(self._by_plate)

    def match(self, read: str) -> tuple[str, list[PlatePass]] | None:
        """The listed plate `read` stands for and its passes, or None."""
        text = normalise(read)
        if text in self._by_plate:
            return text, self._by_plate[text]
        if is_valid_plate(text):
            return None  # a valid plate is itself, never a neighbour's misread
        fixed = correct_text(text)
        if fixed is not None and fixed.text in self._by_plate:
            return fixed.text, self._by_plate[fixed.text]
        return None


def decide_entry(
    gate: Gate, plate: str, *, index: AllowIndex, last: LastPassage | None, at: datetime
) -> Decision:
    """Open an entry barrier for `plate`, or not."""
    return _decide(gate, plate, "entry", index=index, last=last, at=at)


def decide_exit(
    gate: Gate, plate: str, *, index: AllowIndex, last: LastPassage | None, at: datetime
) -> Decision:
    """Open an exit barrier for a pass holder, refuse a blocked plate, or ask the cloud."""
    return _decide(gate, plate, "exit", index=index, last=last, at=at)


def decide_exit_answer(gate: Gate, first: Decision, answer: ExitAnswer | None) -> Decision:
    """The exit once the cloud answered (`answer`) or did not in time (None)."""
    if answer is None:
        if gate.offline_exit == "open_debt":
            return Decision(True, "offline_debt", warning="cloud_unreachable")
        return Decision(False, "denied", reason="cloud_unreachable")
    if answer.paid:
        return Decision(True, "paid", session_id=answer.session_id, amount_due=answer.amount_due)
    if answer.amount_due == 0 and answer.session_id is not None:  # free stay, e.g. a short one
        return Decision(True, "free", session_id=answer.session_id, amount_due=answer.amount_due)
    return Decision(
        False, "denied", reason="unpaid", session_id=answer.session_id, amount_due=answer.amount_due
    )


def _decide(
    gate: Gate,
    plate: str,
    direction: Direction,
    *,
    index: AllowIndex,
    last: LastPassage | None,
    at: datetime,
) -> Decision:
    if not plate:
        return Decision(False, "denied", reason="unread")
    found = index.match(plate)
    matched, passes = found if found else (None, [])
    fixed = matched if matched is not None and matched != normalise(plate) else None
    if any(p.kind == "blocked" and p.valid_at(at) for p in passes):
        return Decision(False, "denied", reason="blocked", matched_plate=fixed)
    usable = [p for p in passes if p.kind != "blocked" and _serves(p, gate)]
    current = [p for p in usable if p.valid_at(at)]
    if current:
        return _passback(gate, direction, _strongest(current), fixed, last=last, at=at)
    if direction == "exit":
        return Decision(False, "denied", ask_cloud=True, matched_plate=fixed)
    if gate.temporary_entry == "open":
        return Decision(True, "temporary", matched_plate=fixed)
    return Decision(False, "denied", reason=_why_not(passes, usable, at), matched_plate=fixed)


def _serves(plate_pass: PlatePass, gate: Gate) -> bool:
    if plate_pass.gates and gate.code not in plate_pass.gates:
        return False
    return not (plate_pass.areas and gate.area not in plate_pass.areas)


def _strongest(passes: Iterable[PlatePass]) -> PlatePass:
    """Monthly over tenant over visitor: the pass the event names."""
    order = {"monthly": 0, "tenant": 1, "visitor": 2}
    return min(passes, key=lambda p: order.get(p.kind, 9))


def _why_not(passes: list[PlatePass], usable: list[PlatePass], at: datetime) -> DenyReason:
    if not passes:
        return "not_on_list"
    if not usable:
        return "wrong_gate"
    if all(p.valid_from is not None and at < p.valid_from for p in usable):
        return "not_yet_valid"
    return "expired"


def _passback(
    gate: Gate,
    direction: Direction,
    plate_pass: PlatePass,
    fixed: str | None,
    *,
    last: LastPassage | None,
    at: datetime,
) -> Decision:
    repeated = last is not None and last.direction == direction
    if gate.anti_passback == "timed" and last is not None:
        repeated = repeated and (at - last.at).total_seconds() < gate.passback_window_s
    opened = Decision(True, "pass", plate_pass=plate_pass, matched_plate=fixed)
    if not repeated or gate.anti_passback == "off":
        return opened
    if gate.anti_passback == "soft":
        return Decision(
            True, "pass", plate_pass=plate_pass, matched_plate=fixed, warning="passback"
        )
    return Decision(
        False, "denied", reason="anti_passback", plate_pass=plate_pass, matched_plate=fixed
    )


# --- doors --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoorDecision:
    """Unlock or not, and for whom; the credential is named by its `ref` or card UID only."""

    grant: bool
    reason: DoorDenyReason | None = None
    credential: Credential | None = None


def decide_door(
    allow_list: AllowList | None, *, kind: CredentialKind, presented: str, area: str | None,
    at: datetime,
) -> DoorDecision:  # fmt: skip
    """Let a credential through a door of `area`, checked against the synced list: its kind
    and identifier (or secret, for a PIN or QR), validity, areas and weekly hours."""
    if allow_list is None:
        return DoorDecision(False, "unknown_credential")
    matches = [c for c in allow_list.credentials if c.kind == kind and _shows(c, presented)]
    if not matches:
        return DoorDecision(False, "unknown_credential")
    local = at.astimezone(ZoneInfo(allow_list.timezone))
    reasons: list[DoorDenyReason] = []
    for credential in matches:
        reason = _door_refusal(credential, area, at, local)
        if reason is None:
            return DoorDecision(True, credential=credential)
        reasons.append(reason)
    # The most telling reason first: a person's card for another building says more than its date.
    order: list[DoorDenyReason] = ["wrong_area", "outside_hours", "not_yet_valid", "expired"]
    reason = next(r for r in order if r in reasons)
    return DoorDecision(False, reason, credential=matches[0])


def _shows(credential: Credential, presented: str) -> bool:
    if credential.secret_hash is not None:
        return credential.secret_hash.matches(presented)
    return (credential.identifier or "").casefold() == presented.strip().casefold()


def _door_refusal(
    credential: Credential, area: str | None, at: datetime, local: datetime
) -> DoorDenyReason | None:
    if credential.valid_from is not None and at < credential.valid_from:
        return "not_yet_valid"
    if credential.valid_until is not None and at >= credential.valid_until:
        return "expired"
    if area is None or area not in credential.areas:
        return "wrong_area"
    if credential.windows and not any(in_window(w, local) for w in credential.windows):
        return "outside_hours"
    return None


def in_window(window: TimeWindow, local: datetime) -> bool:
    """Whether the site-local time `local` falls in the weekly `window`."""
    now, day = local.time(), local.isoweekday()
    if window.start <= window.end:
        return day in window.days and window.start <= now < window.end
    # Past midnight: the evening of a listed day, or the small hours of the day after one.
    yesterday = 7 if day == 1 else day - 1
    return (day in window.days and now >= window.start) or (
        yesterday in window.days and now < window.end
    )

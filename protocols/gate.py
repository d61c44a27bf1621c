"""MQTT contract v1 for gates and doors: the allow-list the cloud publishes (`down/lists`,
retained), the exit question and its answer (`up/query`, `down/answer`) and the `data` of gate,
door and lock events. Pure models, no I/O; later changes are additive only."""

import hashlib
import hmac
from datetime import datetime, time
from decimal import Decimal
from typing import Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from protocols.codes import Code
from protocols.messages import PLATE_READ, SCHEMA_VERSION


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- the allow-list (down/lists, retained) -------------------------------------------------------

PassKind = Literal["monthly", "tenant", "visitor", "blocked"]
CredentialKind = Literal["card", "qr", "pin", "ble"]
HASHED_KINDS: Final[frozenset[str]] = frozenset({"qr", "pin"})
"""Credential kinds whose secret travels only as a salted hash."""


class PlatePass(_Message):
    """A vehicle the gates know: a monthly or tenant pass, a booked visitor, or a blocked plate
    (which never opens, whatever else says so)."""

    plate: str = Field(min_length=1, max_length=16, description="normalised, e.g. 京A12345")
    kind: PassKind
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    gates: list[Code] = Field(default_factory=list, description="gate codes; empty = all gates")
    areas: list[Code] = Field(default_factory=list, description="area codes; empty = all areas")
    tenant: Code | None = Field(default=None, description="the tenant's code, for tenant cars")
    ref: str | None = Field(default=None, max_length=64, description="the cloud's pass id")

    def valid_at(self, at: datetime) -> bool:
        starts_ok = self.valid_from is None or self.valid_from <= at
        return starts_ok and (self.valid_until is None or at < self.valid_until)


class TimeWindow(_Message):
    """Weekly hours in the site's time zone: ISO weekdays (1 = Monday) from `start` to `end`;
    an `end` before `start` runs past midnight into the next day."""

    days: list[int] = Field(min_length=1, max_length=7)
    start: time
    end: time

    @model_validator(mode="after")
    def _days_are_iso_weekdays(self) -> "TimeWindow":
        if any(not 1 <= day <= 7 for day in self.days):
            raise ValueError("days are ISO weekdays 1..7")
        return self


class SecretHash(_Message):
    """A PIN or QR secret as PBKDF2-HMAC-SHA256 over a per-credential salt; never the secret."""

    algorithm: Literal["pbkdf2_sha256"] = "pbkdf2_sha256"
    iterations: int = Field(ge=1, le=1_000_000)
    salt: str = Field(min_length=16, max_length=64, pattern=r"^[0-9a-f]+$")
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(_pbkdf2(secret, self.salt, self.iterations), self.digest)


def _pbkdf2(secret: str, salt: str, iterations: int) -> str:
    raw = hashlib.pbkdf2_hmac("sha256", secret.encode(), bytes.fromhex(salt), iterations)
    return raw.hex()


def hash_secret(secret: str, *, salt: str, iterations: int = 20_000) -> SecretHash:
    """What the cloud publishes for a PIN or QR secret; `salt` is hex, fresh per credential."""
    return SecretHash(iterations=iterations, salt=salt, digest=_pbkdf2(secret, salt, iterations))


class Credential(_Message):
    """Something a person shows a door or lock: a card UID or BLE key id in the clear, a PIN or
    QR secret only as `secret_hash`. It opens doors in `areas` during `windows` (none = always)."""

    kind: CredentialKind
    identifier: str | None = Field(
        default=None, max_length=64, description="card UID (hex) or BLE key id; none for pin/qr"
    )
    secret_hash: SecretHash | None = None
    person: str = Field(min_length=1, max_length=64, description="the cloud's person id")
    person_name: str | None = Field(default=None, max_length=128)
    areas: list[Code] = Field(min_length=1)
    windows: list[TimeWindow] = Field(default_factory=list)
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    ref: str | None = Field(default=None, max_length=64, description="the cloud's credential id")

    @model_validator(mode="after")
    def _secret_only_hashed(self) -> "Credential":
        if self.kind in HASHED_KINDS:
            if self.secret_hash is None or self.identifier is not None:
                raise ValueError(f"a {self.kind} credential carries secret_hash only")
        elif self.identifier is None or self.secret_hash is not None:
            raise ValueError(f"a {self.kind} credential carries identifier only")
        return self

    def valid_at(self, at: datetime) -> bool:
        starts_ok = self.valid_from is None or self.valid_from <= at
        return starts_ok and (self.valid_until is None or at < self.valid_until)


class AllowList(_Message):
    """`down/lists` (retained): every plate pass and credential of the agent's site, as one
    version. The agent keeps the highest version it has seen (persisted, so a reboot with the
    cloud down still has it) and ignores any older or equal one."""

    v: Literal[1] = SCHEMA_VERSION
    site: Code
    version: int = Field(ge=1, description="grows with every change the cloud publishes")
    issued_at: AwareDatetime
    timezone: str = Field(
        default="Asia/Shanghai", min_length=1, description="IANA zone of the time windows"
    )
    plates: list[PlatePass] = Field(default_factory=list)
    credentials: list[Credential] = Field(default_factory=list)


def supersedes(incoming: AllowList, current: AllowList | None) -> bool:
    """Whether the agent should replace `current` with `incoming`."""
    return current is None or incoming.version > current.version


# --- the exit question (up/query) and its answer (down/answer) -----------------------------------


class ExitQuery(_Message):
    """`up/query`: is the parking session of this plate paid? Asked at an exit gate; the agent
    waits for the answer with the same `id` until a timeout, then follows its offline policy."""

    v: Literal[1] = SCHEMA_VERSION
    kind: Literal["exit"] = "exit"
    id: str = Field(min_length=1, max_length=64, description="correlation id, echoed back")
    site: Code
    agent: Code
    gate: Code
    plate: str = Field(min_length=1, max_length=16)
    ts: AwareDatetime


class ExitAnswer(_Message):
    """`down/answer`: the cloud's answer to the query with the same `id`. `paid` lets the car
    out; otherwise `amount_due` is what is owed (0 with no `session_id`: no session found)."""

    v: Literal[1] = SCHEMA_VERSION
    kind: Literal["exit"] = "exit"
    id: str = Field(min_length=1, max_length=64)
    plate: str = Field(min_length=1, max_length=16)
    paid: bool
    amount_due: Decimal = Field(default=Decimal("0.00"), ge=0, max_digits=14, decimal_places=2)
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    session_id: str | None = Field(default=None, max_length=64)
    leave_by: AwareDatetime | None = Field(
        default=None, description="a paid car must be out by then, or owes more"
    )
    detail: str = Field(default="", max_length=200)


# --- event data (EventRecord.data) --------------------------------------------------------------

GATE_ENTRY: Final = "gate_entry"
GATE_EXIT: Final = "gate_exit"
GATE_MANUAL_OPEN: Final = "gate_manual_open"
GATE_STATE: Final = "gate_state"

PassageBasis = Literal[
    "pass",  # on the allow-list (monthly, tenant, visitor)
    "temporary",  # not on the list: entered by the temporary-vehicle policy
    "paid",  # exit: the cloud said paid
    "free",  # exit: nothing due
    "offline_debt",  # exit: the cloud did not answer; opened and recorded as owed
    "denied",  # nothing opened
]
DenyReason = Literal[
    "blocked",
    "not_on_list",
    "expired",
    "not_yet_valid",
    "wrong_gate",
    "anti_passback",
    "unpaid",
    "cloud_unreachable",
    "full",
    "unread",
]


class GatePassageData(_Message):
    """`data` of `gate_entry` and `gate_exit`: what the agent decided for a plate at a gate."""

    gate: Code
    direction: Literal["entry", "exit"]
    plate: str = Field(max_length=16)
    opened: bool
    basis: PassageBasis
    reason: DenyReason | None = Field(default=None, description="why it stayed shut")
    pass_kind: PassKind | None = None
    tenant: Code | None = None
    matched_plate: str | None = Field(
        default=None, max_length=16, description="the listed plate, when matched with a confusion"
    )
    query_id: str | None = Field(default=None, description="the exit query's correlation id")
    session_id: str | None = None
    amount_due: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    list_version: int | None = Field(default=None, ge=1)
    warning: str | None = Field(default=None, max_length=64, description="e.g. soft passback")


class ManualOpenData(_Message):
    """`data` of `gate_manual_open`: a person opened a barrier by hand, and why."""

    gate: Code
    reason: str = Field(min_length=1, max_length=200)
    by: str = Field(min_length=1, max_length=64, description="who: user id or name")
    via: Literal["local", "cloud"] = "local"
    opened: bool = Field(default=True, description="false if the barrier did not take it")
    plate: str | None = Field(default=None, max_length=16)
    command_id: str | None = Field(default=None, description="the down/cmd id, if via cloud")


class GateStateData(_Message):
    """`data` of `gate_state`: the barrier moved, or a loop saw a vehicle come or go."""

    gate: Code
    barrier: Literal["open", "closed", "unknown"]
    entry_loop: bool | None = None
    exit_loop: bool | None = None


OPEN_BARRIER: Final = "open_barrier"
"""`Command.action` for a remote manual open; `args` are `reason` and `by`."""

DOOR_GRANTED: Final = "door_granted"
DOOR_DENIED: Final = "door_denied"
DOOR_OPENED: Final = "door_opened"
DOOR_CLOSED: Final = "door_closed"
DOOR_FORCED_OPEN: Final = "door_forced_open"
DOOR_HELD_OPEN: Final = "door_held_open"
DOOR_REQUEST_TO_EXIT: Final = "door_request_to_exit"
DOOR_EVENTS: Final = (
    DOOR_GRANTED,
    DOOR_DENIED,
    DOOR_OPENED,
    DOOR_CLOSED,
    DOOR_FORCED_OPEN,
    DOOR_HELD_OPEN,
    DOOR_REQUEST_TO_EXIT,
)
DoorDenyReason = Literal[
    "unknown_credential", "expired", "not_yet_valid", "wrong_area", "outside_hours", "bad_secret"
]


class DoorEventData(_Message):
    """`data` of every `door_*` event. The credential is named by kind and the cloud's `ref`
    (or a card's UID), never by a PIN or QR secret."""

    door: Code
    area: Code | None = None
    credential_kind: CredentialKind | None = None
    credential_ref: str | None = Field(default=None, max_length=64)
    person: str | None = Field(default=None, max_length=64)
    reason: DoorDenyReason | None = Field(default=None, description="set on door_denied")
    held_s: float | None = Field(default=None, ge=0, description="set on door_held_open")


UNLOCK_DOOR: Final = "unlock_door"
LOCK_UNLOCKED: Final = "lock_unlocked"
LOCK_LOCKED: Final = "lock_locked"
LOCK_UNLOCK_FAILED: Final = "lock_unlock_failed"


class LockEventData(_Message):
    """`data` of `lock_*` events of a BLE lock."""

    lock: Code
    attempts: int | None = Field(default=None, ge=1, description="tries an unlock took")
    person: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="", max_length=200)


EQUIPMENT_EVENTS: Final = frozenset(
    {GATE_ENTRY, GATE_EXIT, GATE_MANUAL_OPEN, GATE_STATE, *DOOR_EVENTS}
    | {LOCK_UNLOCKED, LOCK_LOCKED, LOCK_UNLOCK_FAILED, PLATE_READ}
)
"""Events of the agent's gates, doors, locks and gate cameras: their `device` is the gate, door,
lock or camera code from the site config, not a registered meter (a camera's plate reads are
the evidence behind each passage, so ingest keeps them too)."""

EVENT_DATA_MODELS: Final[tuple[type[BaseModel], ...]] = (
    GatePassageData,
    ManualOpenData,
    GateStateData,
    DoorEventData,
    LockEventData,
)

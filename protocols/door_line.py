"""The door controller line protocol: newline-delimited JSON over one TCP connection, the agent
the client and the controller the server. Pure, no I/O.

The controller reports (one object per line, `type` first):

    {"type": "hello", "door": "D-1", "firmware": "..."}          on connect
    {"type": "credential", "kind": "card", "value": "04A1B2C3"}  a card UID, QR text, PIN or
                                                                 BLE key id shown at the reader
    {"type": "door", "state": "opened"}                          or "closed" (door contact)
    {"type": "forced"}                                           opened while locked
    {"type": "held", "seconds": 31.0}                            open past its allowed time
    {"type": "rex"}                                              the request-to-exit button
    {"type": "ack", "id": "u-17"}                                an unlock or deny was done

The agent commands:

    {"type": "unlock", "id": "u-17", "seconds": 5}               release the lock for a while
    {"type": "deny", "id": "u-18"}                               red light and beep

The controller decides nothing: the agent checks credentials against the synced list. A line
is at most MAX_LINE_BYTES; anything else on the line is ignored by both sides.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from protocols.gate import CredentialKind

MAX_LINE_BYTES = 4096


class _Line(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Hello(_Line):
    type: Literal["hello"] = "hello"
    door: str = ""
    firmware: str = ""


class Shown(_Line):
    type: Literal["credential"] = "credential"
    kind: CredentialKind
    value: str = Field(min_length=1, max_length=256)


class DoorState(_Line):
    type: Literal["door"] = "door"
    state: Literal["opened", "closed"]


class Forced(_Line):
    type: Literal["forced"] = "forced"


class Held(_Line):
    type: Literal["held"] = "held"
    seconds: float = Field(ge=0)


class RequestToExit(_Line):
    type: Literal["rex"] = "rex"


class Done(_Line):
    type: Literal["ack"] = "ack"
    id: str


class Unlock(_Line):
    type: Literal["unlock"] = "unlock"
    id: str
    seconds: float = Field(gt=0, le=60)


class Deny(_Line):
    type: Literal["deny"] = "deny"
    id: str


Report = Annotated[
    Hello | Shown | DoorState | Forced | Held | RequestToExit | Done, Field(discriminator="type")
]
Order = Annotated[Unlock | Deny, Field(discriminator="type")]
REPORTS: TypeAdapter[Report] = TypeAdapter(Report)
ORDERS: TypeAdapter[Order] = TypeAdapter(Order)


def encode(message: _Line) -> bytes:
    return message.model_dump_json().encode() + b"\n"

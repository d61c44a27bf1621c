"""The site config of barriers, doors and BLE locks (part of `protocols.site_config`): where
each one is wired and the policies the agent decides by when the cloud is out of reach."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from protocols.codes import Code

TemporaryEntry = Literal["open", "hold"]
"""A car on no list at an entry: `open` (a paying visitor; the cloud opens its session from the
entry event) or `hold` (staff decide, by a manual open)."""
OfflineExit = Literal["open_debt", "hold"]
"""An exit the cloud did not answer in time: `open_debt` (let it out, the exit event records
the debt) or `hold` (keep it until the cloud answers or staff open by hand)."""
AntiPassback = Literal["off", "soft", "hard", "timed"]
"""A pass used twice the same way (in, in): `soft` opens and flags the event, `hard` refuses,
`timed` refuses only within `passback_window_s` of the last use."""


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Gate(_Config):
    """A barrier: its relay board on a Modbus bus (a coil pulsed to open, discrete inputs for
    the loops and the barrier's position), the camera whose plates it decides on, its policies."""

    code: Code
    direction: Literal["entry", "exit"] = "entry"
    area: Code | None = Field(default=None, description="the car park it leads into or out of")
    camera: Code | None = Field(default=None, description="the camera reading plates here")
    bus: Code | None = Field(default=None, description="the bus of its relay board")
    unit_id: int | None = Field(default=None, ge=1, le=247)
    open_coil: int | None = Field(default=None, ge=0, le=0xFFFF)
    pulse_s: float = Field(default=0.5, gt=0, le=5, description="how long the coil is held on")
    loop_input: int | None = Field(
        default=None, ge=0, le=0xFFFF, description="discrete input of the vehicle loop"
    )
    open_input: int | None = Field(
        default=None, ge=0, le=0xFFFF, description="discrete input: barrier is up"
    )
    state_poll_s: float = Field(
        default=1.0, gt=0, le=60, description="how often the loop and position inputs are read"
    )
    temporary_entry: TemporaryEntry = "open"
    offline_exit: OfflineExit = "open_debt"
    anti_passback: AntiPassback = "soft"
    passback_window_s: float = Field(default=300.0, gt=0, le=86_400)
    exit_query_timeout_s: float = Field(default=2.0, gt=0, le=30)

    @model_validator(mode="after")
    def _board_complete(self) -> "Gate":
        wired = (self.bus, self.unit_id, self.open_coil)
        if any(v is not None for v in wired) and any(v is None for v in wired):
            raise ValueError(f"gate {self.code}: bus, unit_id and open_coil go together")
        return self


class Door(_Config):
    """A door controller reached over TCP (see `edge.drivers.door` for its line protocol)."""

    code: Code
    host: str
    port: int = Field(ge=1, le=65_535)
    area: Code | None = Field(default=None, description="the area the door lets people into")
    unlock_s: float = Field(default=5.0, gt=0, le=60, description="how long a grant unlocks")


class BleLock(_Config):
    """A Bluetooth LE lock, found by its address."""

    code: Code
    address: str = Field(pattern=r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")
    area: Code | None = None
    attempts: int = Field(default=3, ge=1, le=10, description="tries per unlock")

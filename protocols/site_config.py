"""The site config an edge agent runs from (`firmware-configs/*.yaml`), validated here.

A site has buses of meters (Modbus TCP, Modbus RTU on a serial line, RTU frames through a
transparent TCP gateway, DL/T 645 on a serial line), device profiles of its own beside the
built-in ones, the other device kinds as placeholders (cameras, gates, doors, BLE locks), the
broker link and the outbox.
"""

import hashlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    field_validator,
    model_validator,
)

from protocols import dlt645
from protocols.codecs import DataType, WordOrder
from protocols.codes import Code
from protocols.gate_config import BleLock, Door, Gate
from protocols.profiles import PROFILES, DeviceProfile, MeasuredValue
from protocols.register_plan import RegisterBlock, plan_reads
from protocols.serial_timing import (
    BAUD_RATES,
    Parity,
    StopBits,
    frame_time_s,
    rtu_read_transaction_s,
)


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlacedProblems(ValueError):
    """Problems found by a rule over the whole site, each with the place it concerns (a path
    like ("buses", 0)), so the YAML reader can point at the line."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


# --- device profiles written in the site YAML ---------------------------------------------------


class ValueSpec(_Config):
    """One measured value of a profile written in the site config (see protocols.profiles)."""

    metric: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    address: int = Field(ge=0, le=0xFFFF)
    data_type: DataType
    unit: str = ""
    function_code: Literal[3, 4] = 3
    word_order: WordOrder = "big"
    scale: float = 1.0
    cumulative: bool = False


class ProfileSpec(_Config):
    """A device profile of this site's own, for a meter no built-in profile describes."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    manufacturer: str = "generic"
    model: str = ""
    values: list[ValueSpec] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _not_built_in(cls, name: str) -> str:
        if name in PROFILES:
            raise ValueError(f"{name!r} is a built-in profile; give this one another name")
        return name

    @model_validator(mode="after")
    def _a_valid_profile(self) -> "ProfileSpec":
        self.to_profile()  # the overlap and scale checks of DeviceProfile, as config errors
        return self

    def to_profile(self) -> DeviceProfile:
        return DeviceProfile(
            name=self.name,
            manufacturer=self.manufacturer,
            model=self.model or self.name,
            values=tuple(MeasuredValue(**value.model_dump()) for value in self.values),
        )


_SITE_PROFILE_NAMES: ContextVar[frozenset[str]] = ContextVar("site_profiles", default=frozenset())
"""Names of the profiles the site config being validated defines, so a device may use them."""


# --- devices ------------------------------------------------------------------------------------


class _Metered(_Config):
    code: Code
    poll_interval_s: float = Field(default=5.0, gt=0, le=86_400)
    billing: bool = Field(default=False, description="its energy register is used for bills")
    ct_ratio: float = Field(
        default=1.0, gt=0, description="current transformer ratio (primary/secondary)"
    )
    pt_ratio: float = Field(
        default=1.0, gt=0, description="voltage transformer ratio (primary/secondary)"
    )
    """Readings go up as the meter measures them (secondary side); the cloud applies the
    ratios, so a CT changed on site is one edit in the meter registry, not a rewrite of data."""


class MeterDevice(_Metered):
    """A Modbus meter: a unit id on a bus, read through a device profile."""

    profile: str
    unit_id: int = Field(default=1, ge=1, le=247, description="Modbus unit (slave) id")

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, name: str) -> str:
        known = set(PROFILES) | _SITE_PROFILE_NAMES.get()
        if name not in known:
            raise ValueError(f"unknown profile {name!r}; known: {', '.join(sorted(known))}")
        return name


class Dlt645Device(_Metered):
    """A DL/T 645-2007 meter, addressed by the 12-digit number on its nameplate."""

    address: str = Field(pattern=r"^\d{12}$", description="12 decimal digits, as printed")


# --- buses --------------------------------------------------------------------------------------


class _Bus(_Config):
    code: Code
    max_gap_registers: int | None = Field(
        default=None,
        ge=0,
        le=64,
        description="merge two reads across at most this many unlisted registers; by default "
        "the profile's own `max_gap`; 0 never reads a register the profile does not list (many "
        "meters answer those with an exception)",
    )


class _Line(_Config):
    """The RS-485 line a bus runs on: its speed decides timeouts and how much fits in a poll."""

    baud: int = 9600
    parity: Parity = "N"
    stop_bits: StopBits = 1
    turnaround_s: float = Field(
        default=0.1, gt=0, le=5, description="how long a device may think before it answers"
    )
    timeout_s: float | None = Field(
        default=None,
        gt=0,
        le=30,
        description="per request; by default the request's and answer's line time plus turnaround",
    )

    @field_validator("baud")
    @classmethod
    def _standard_baud(cls, baud: int) -> int:
        if baud not in BAUD_RATES:
            rates = ", ".join(str(rate) for rate in BAUD_RATES)
            raise ValueError(f"{baud} is not a serial baud rate meters use ({rates})")
        return baud

    def read_timeout_s(self, count: int) -> float:
        """How long to wait for the answer to a read of `count` registers."""
        if self.timeout_s is not None:
            return self.timeout_s
        return rtu_read_transaction_s(count, self.baud, self.parity, self.stop_bits) + (
            self.turnaround_s
        )

    def line_time_s(self, reads: list[int]) -> float:
        """Line time of one snapshot made of reads of these register counts (physical limit)."""
        return sum(rtu_read_transaction_s(n, self.baud, self.parity, self.stop_bits) for n in reads)


class _ModbusBus(_Bus):
    devices: list[MeterDevice] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_unit_ids(self) -> "_ModbusBus":
        seen: set[int] = set()
        for device in self.devices:
            if device.unit_id in seen:
                raise ValueError(f"bus {self.code}: unit id {device.unit_id} is used twice")
            seen.add(device.unit_id)
        return self


class ModbusTcpBus(_ModbusBus):
    """Meters behind a Modbus TCP gateway (or a meter with its own Ethernet port)."""

    kind: Literal["modbus_tcp"] = "modbus_tcp"
    host: str
    port: int = Field(default=502, ge=1, le=65_535)
    timeout_s: float = Field(default=1.0, gt=0, le=30)

    def read_timeout_s(self, count: int) -> float:
        return self.timeout_s


class ModbusRtuBus(_ModbusBus, _Line):
    """Meters on an RS-485 line on this machine's serial port (e.g. a USB adapter)."""

    kind: Literal["modbus_rtu"] = "modbus_rtu"
    port: str = Field(min_length=1, description="serial device, e.g. /dev/ttyUSB0")


class ModbusRtuOverTcpBus(_ModbusBus, _Line):
    """RTU frames through a transparent serial-to-Ethernet converter: the line behind it still
    sets the pace, so it carries the line's settings too."""

    kind: Literal["modbus_rtu_over_tcp"] = "modbus_rtu_over_tcp"
    host: str
    port: int = Field(default=502, ge=1, le=65_535)


DLT645_ENERGY_EXCHANGE_BYTES = dlt645.frame_bytes(4) + dlt645.frame_bytes(8)
"""A read of total energy: the request carries the identifier (4 bytes), the answer the
identifier and the 4-byte BCD value, each framed with its wake-up bytes."""


class Dlt645Bus(_Bus, _Line):
    """DL/T 645-2007 meters on an RS-485 line (2400 baud, even parity by the standard)."""

    kind: Literal["dlt645"] = "dlt645"
    port: str = Field(min_length=1, description="serial device, e.g. /dev/ttyUSB1")
    baud: int = 2400
    parity: Parity = "E"
    turnaround_s: float = Field(default=0.5, gt=0, le=5)
    devices: list[Dlt645Device] = Field(min_length=1)

    def answer_timeout_s(self) -> float:
        """How long to wait for a meter's answer to one energy read."""
        if self.timeout_s is not None:
            return self.timeout_s
        line_s = frame_time_s(DLT645_ENERGY_EXCHANGE_BYTES, self.baud, self.parity, self.stop_bits)
        return line_s + self.turnaround_s

    @model_validator(mode="after")
    def _unique_addresses(self) -> "Dlt645Bus":
        seen: set[str] = set()
        for device in self.devices:
            if device.address in seen:
                raise ValueError(f"bus {self.code}: meter address {device.address} is used twice")
            seen.add(device.address)
        return self


Bus = Annotated[
    ModbusTcpBus | ModbusRtuBus | ModbusRtuOverTcpBus | Dlt645Bus, Field(discriminator="kind")
]
AnyBus = ModbusTcpBus | ModbusRtuBus | ModbusRtuOverTcpBus | Dlt645Bus
SerialBus = ModbusRtuBus | ModbusRtuOverTcpBus | Dlt645Bus
"""Buses whose pace is set by an RS-485 line."""
Device = MeterDevice | Dlt645Device


# --- the other device kinds: placeholders the parking and access work fills in -----------------


PUSH_SOURCE = "push"
"""A camera's `source` when it reads plates itself and pushes them (see `AnprPushSettings`)."""


class Camera(_Config):
    """A camera at a gate: frames the agent reads plates from, or an ANPR camera that reads
    them itself and pushes each one to the agent (`source: push`)."""

    code: Code
    source: str = Field(
        min_length=1,
        description="rtsp:// or http:// URL, a USB camera (/dev/videoN or its index), a video "
        "file, a folder of images, or `push` for an ANPR camera that pushes its reads",
    )
    fps: float = Field(default=2.0, gt=0, le=30, description="frames read per second at most")
    passage_gap_s: float = Field(
        default=3.0,
        gt=0,
        le=60,
        description="a vehicle's passage ends when its plate has not been seen this long",
    )

    @property
    def pushes(self) -> bool:
        return self.source == PUSH_SOURCE


class AnprPushSettings(_Config):
    """The HTTP endpoint ANPR cameras push plate events to: POST /anpr/{camera code}."""

    host: str = "0.0.0.0"
    port: int = Field(default=8089, ge=1, le=65_535)


# --- links --------------------------------------------------------------------------------------


class MqttLink(_Config):
    url: str = Field(default="mqtt://127.0.0.1:1883", pattern=r"^mqtts?://[^/:]+(:\d+)?/?$")
    protocol: Literal["3.1.1", "5"] = "5"
    username: str | None = None
    password: str | None = None
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    ca_file: str | None = Field(default=None, description="CA bundle for mqtts:// (PEM)")
    cert_file: str | None = Field(default=None, description="client certificate (PEM)")
    key_file: str | None = Field(default=None, description="client key (PEM)")

    @model_validator(mode="after")
    def _tls_files_with_mqtts(self) -> "MqttLink":
        if (self.ca_file or self.cert_file) and not self.url.startswith("mqtts://"):
            raise ValueError("ca_file and cert_file need an mqtts:// url")
        if bool(self.cert_file) != bool(self.key_file):
            raise ValueError("cert_file and key_file go together")
        return self


class OutboxSettings(_Config):
    path: str = "var/edge/outbox.sqlite3"
    batch_max_records: int = Field(default=500, ge=1, le=10_000)
    batch_interval_s: float = Field(default=1.0, gt=0, le=60)
    resend_after_s: float = Field(default=15.0, gt=0, le=3600)
    max_bytes: int = Field(
        default=256 * 2**20, ge=2**20, description="disk budget; telemetry beyond it drops oldest"
    )
    alarm_fraction: float = Field(
        default=0.8, gt=0, lt=1, description="raise `outbox_nearly_full` at this fill"
    )
    replay_records_per_s: float = Field(
        default=5000, gt=0, description="backlog pace, beside live data"
    )


class SiteConfig(_Config):
    version: Literal[1] = 1
    site: Code
    agent: Code
    name: str = ""
    profiles: list[ProfileSpec] = Field(default_factory=list)
    buses: list[Bus] = Field(default_factory=list)
    cameras: list[Camera] = Field(default_factory=list)
    gates: list[Gate] = Field(default_factory=list)
    doors: list[Door] = Field(default_factory=list)
    locks: list[BleLock] = Field(default_factory=list)
    anpr_push: AnprPushSettings | None = None
    mqtt: MqttLink = Field(default_factory=MqttLink)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)

    @model_validator(mode="wrap")
    @classmethod
    def _with_site_profiles(
        cls, data: Any, handler: ModelWrapValidatorHandler["SiteConfig"]
    ) -> "SiteConfig":
        """Let devices name the profiles this config defines, checked where they are named."""
        token = _SITE_PROFILE_NAMES.set(frozenset(_profile_names(data)))
        try:
            return handler(data)
        finally:
            _SITE_PROFILE_NAMES.reset(token)

    @model_validator(mode="after")
    def _unique_codes(self) -> "SiteConfig":
        seen: set[str] = set()
        for code in self._codes():
            if code in seen:
                raise ValueError(f"code {code!r} is used twice in this site")
            seen.add(code)
        return self

    @model_validator(mode="after")
    def _pushing_cameras_have_an_endpoint(self) -> "SiteConfig":
        pushing = [camera.code for camera in self.cameras if camera.pushes]
        if pushing and self.anpr_push is None:
            raise ValueError(
                f"cameras {', '.join(pushing)} push their reads: add `anpr_push` (host, port)"
            )
        return self

    @model_validator(mode="after")
    def _gates_name_what_exists(self) -> "SiteConfig":
        cameras = {camera.code for camera in self.cameras}
        modbus = {bus.code for bus in self.buses if not isinstance(bus, Dlt645Bus)}
        for gate in self.gates:
            if gate.camera is not None and gate.camera not in cameras:
                raise ValueError(f"gate {gate.code}: no camera {gate.camera!r} in this site")
            if gate.bus is not None and gate.bus not in modbus:
                raise ValueError(f"gate {gate.code}: no Modbus bus {gate.bus!r} in this site")
        return self

    @model_validator(mode="after")
    def _unique_profile_names(self) -> "SiteConfig":
        names = [p.name for p in self.profiles]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"profile {name!r} is defined twice")
        return self

    @model_validator(mode="after")
    def _lines_can_keep_up(self) -> "SiteConfig":
        """Every serial line can carry its devices' polls at their intervals."""
        placed: list[tuple[tuple[str | int, ...], str]] = []
        for index, bus in enumerate(self.buses):
            if not isinstance(bus, SerialBus):
                continue
            problems = []
            for device in bus.devices:
                needed = self.snapshot_line_time_s(bus, device)
                if needed > device.poll_interval_s:
                    problems.append(
                        f"{device.code} needs {needed:.3f} s of line time per poll at "
                        f"{bus.baud} baud, more than its poll_interval_s {device.poll_interval_s:g}"
                    )
            load = self.line_load(bus)
            if load > 1:
                problems.append(
                    f"its devices need {load:.0%} of the line at {bus.baud} baud; lengthen "
                    "poll intervals, raise the baud rate or split the line"
                )
            if problems:
                placed.append((("buses", index), f"bus {bus.code}: " + "; ".join(problems)))
        if placed:
            raise PlacedProblems(placed)
        return self

    def _codes(self) -> Iterator[str]:
        yield from (bus.code for bus in self.buses)
        yield from (device.code for _, device in self.meters())
        for kind in (self.cameras, self.gates, self.doors, self.locks):
            yield from (item.code for item in kind)

    def meters(self) -> list[tuple[AnyBus, Device]]:
        """Every (bus, device) of the site, in config order."""
        return [(bus, device) for bus in self.buses for device in bus.devices]

    def profile(self, name: str) -> DeviceProfile:
        """The profile `name`: this site's own, or a built-in one."""
        for spec in self.profiles:
            if spec.name == name:
                return spec.to_profile()
        try:
            return PROFILES[name]
        except KeyError:
            raise KeyError(f"unknown profile {name!r}") from None

    def read_plan(self, bus: AnyBus, device: MeterDevice) -> tuple[RegisterBlock, ...]:
        """The requests one poll of a Modbus `device` on `bus` makes."""
        profile = self.profile(device.profile)
        gap = profile.max_gap if bus.max_gap_registers is None else bus.max_gap_registers
        return plan_reads(profile, max_gap=gap)

    def snapshot_line_time_s(self, bus: SerialBus, device: Device) -> float:
        """The shortest line time one poll of `device` can take on `bus`."""
        if isinstance(device, Dlt645Device):
            return frame_time_s(DLT645_ENERGY_EXCHANGE_BYTES, bus.baud, bus.parity, bus.stop_bits)
        return bus.line_time_s([block.count for block in self.read_plan(bus, device)])

    def line_load(self, bus: SerialBus) -> float:
        """Fraction of the line's time its devices' polls need (1 = every moment)."""
        return sum(
            self.snapshot_line_time_s(bus, device) / device.poll_interval_s
            for device in bus.devices
        )

    def config_hash(self) -> str:
        """A short fingerprint the agent announces, so the cloud sees config drift.

        It goes out in a retained status every subscriber sees, so the broker credentials stay
        out of it: a hash of them would let anyone try passwords offline."""
        secrets = {"mqtt": {"username", "password"}}
        canonical = json.dumps(self.model_dump(mode="json", exclude=secrets), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _profile_names(data: Any) -> list[str]:
    if not isinstance(data, dict) or not isinstance(data.get("profiles"), list):
        return []
    return [p["name"] for p in data["profiles"] if isinstance(p, dict) and "name" in p]

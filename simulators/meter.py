"""Simulated meters, and a Modbus TCP gateway serving them (RS-485 meters behind one IP:port).

The register map comes from the device profile in `protocols`; each meter's behaviour over time
(power or water flow follows an office day, energy or volume only grows) is a named task beside
the pymodbus server. The simulated RTU line (simulators.rtu) serves the same meters through
`LiveMeter.read_registers`.
This and simulators.barrier (relay boards) are the simulator modules that touch pymodbus.
"""

import asyncio
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from protocols import modbus_rtu as rtu
from protocols.codecs import encode
from protocols.profiles import (
    ENERGY_IMPORT,
    WATER_FLOW,
    WATER_VOLUME,
    DeviceProfile,
    MeasuredValue,
    get_profile,
)
from protocols.register_plan import plan_reads
from simulators.load_curve import OfficeLoad

log = logging.getLogger(__name__)

SITE_TIMEZONE = ZoneInfo("Asia/Shanghai")
"""The simulated meters live in the org's default time zone, so office hours look right."""
TICK_S = 0.2
"""How often (real seconds) a meter's registers are recomputed."""
PHASES = ("l1", "l2", "l3")
PHASE_SHARES = (0.36, 0.33, 0.31)
"""How an office floor's load splits over the three phases: never quite balanced."""
PHASE_VOLTAGE_OFFSETS = (0.8, -0.6, 0.3)
"""Each phase sits a little apart from the others, as on a real low-voltage feeder."""
SIMULATED_METRICS = (
    "voltage",
    "current",
    *(f"voltage_{p}" for p in PHASES),
    *(f"current_{p}" for p in PHASES),
    "active_power",
    "frequency",
    ENERGY_IMPORT,
    WATER_VOLUME,
    WATER_FLOW,
)


class Refusal(Exception):
    """A request a simulated device turns down with a Modbus exception code, as the real one
    would (rather than an answer of made-up data)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"exception {code:#04x}: {reason}")
        self.code = code


@dataclass(frozen=True)
class SimulatedMeter:
    """One meter on the simulated RS-485 line: what it is and how it starts."""

    unit_id: int
    profile: str | DeviceProfile = "chint-ddsu666"
    """A built-in profile's name, or a profile itself (one a site config defines)."""
    start_energy_kwh: float = 0.0
    seed: int = 0
    speed: float = 1.0
    """Simulated seconds per real second: 60 makes an office day pass in 24 minutes."""
    load: OfficeLoad = field(default_factory=OfficeLoad)
    start_volume_m3: float = 0.0
    """A water meter's starting reading."""
    water: OfficeLoad = field(
        default_factory=lambda: OfficeLoad(base_kw=0.02, peak_kw=1.2, noise=0.15)
    )
    """A water meter's flow in m³/h: the office-day shape (its `power_kw` read as m³/h)."""

    def __post_init__(self) -> None:
        if not 1 <= self.unit_id <= 247:
            raise ValueError(f"unit id {self.unit_id} is outside 1..247")
        if self.speed <= 0:
            raise ValueError("speed must be positive")
        if self.start_energy_kwh < 0 or self.start_volume_m3 < 0:
            raise ValueError("start energy and volume cannot be negative")
        profile = self.device_profile
        unknown = {v.metric for v in profile.values} - set(SIMULATED_METRICS)
        if unknown:
            raise ValueError(f"profile {profile.name}: cannot simulate {sorted(unknown)}")

    @property
    def device_profile(self) -> DeviceProfile:
        if isinstance(self.profile, DeviceProfile):
            return self.profile
        return get_profile(self.profile)


class LiveMeter:
    """A meter's changing physical state and the registers it serves for it."""

    def __init__(self, meter: SimulatedMeter, *, started_at: datetime) -> None:
        self.meter = meter
        self.profile: DeviceProfile = meter.device_profile
        self.energy_kwh = meter.start_energy_kwh
        self.volume_m3 = meter.start_volume_m3
        self.simulated_at = started_at
        self.values: dict[str, float] = {}
        self._words: dict[int, int] = {}
        self._defined = _defined_registers(self.profile)
        self._refresh(elapsed_s=0.0)

    def advance(self, real_seconds: float) -> None:
        """Move simulated time on by `real_seconds * speed`, integrating power into energy."""
        elapsed_s = max(0.0, real_seconds) * self.meter.speed
        self.simulated_at += timedelta(seconds=elapsed_s)
        self._refresh(elapsed_s=elapsed_s)

    def _refresh(self, *, elapsed_s: float) -> None:
        power_kw = self.meter.load.power_kw(self.simulated_at, seed=self.meter.seed)
        flow_m3h = self.meter.water.power_kw(self.simulated_at, seed=self.meter.seed)
        self.energy_kwh += power_kw * elapsed_s / 3600.0
        self.volume_m3 += flow_m3h * elapsed_s / 3600.0
        hour = self.simulated_at.hour + self.simulated_at.minute / 60
        # Grid voltage is high at night and sags a little under the day's load.
        voltage = 227.5 + 4.0 * math.cos(2 * math.pi * (hour - 3) / 24) - 0.15 * power_kw
        voltage = min(235.0, max(220.0, voltage))
        self.values = {
            "voltage": voltage,
            "current": power_kw * 1000.0 / voltage,
            "active_power": power_kw,
            "frequency": 50.0 + 0.03 * math.sin(self.simulated_at.timestamp() / 37.0),
            ENERGY_IMPORT: self.energy_kwh,
            WATER_VOLUME: self.volume_m3,
            WATER_FLOW: flow_m3h,
        }
        for phase, share, offset in zip(PHASES, PHASE_SHARES, PHASE_VOLTAGE_OFFSETS, strict=True):
            phase_voltage = voltage + offset
            self.values[f"voltage_{phase}"] = phase_voltage
            self.values[f"current_{phase}"] = power_kw * share * 1000.0 / phase_voltage
        for measured in self.profile.values:
            for offset, word in enumerate(_encode(measured, self.values[measured.metric])):
                self._words[measured.address + offset] = word

    def register_map(self) -> list[SimData]:
        """The addresses this meter answers, read-only like a real meter's measurements: its
        profile's values and, as on the real meter, the registers between them that the
        profile says are defined (`max_gap`), which read as 0 here."""
        return [
            SimData(
                address=block.address,
                values=[self._words.get(block.address + i, 0) for i in range(block.count)],
                datatype=DataType.REGISTERS,
                readonly=True,
            )
            for block in plan_reads(self.profile, max_gap=self.profile.max_gap)
        ]

    def read_registers(self, function_code: int, address: int, count: int) -> list[int]:
        """A register read as the meter answers it, from its current words.

        Like a real meter it refuses the whole read with exception 02 (illegal data address)
        if any register lies outside its map: the profile's values and the gaps between them
        the profile says are defined (`max_gap`, read as 0). Measurements are read-only, so a
        write is refused with 01 (illegal function), as is anything but function 3 or 4.
        """
        if function_code in rtu.REGISTER_READS:
            defined = self._defined.get(function_code, frozenset())
            for register in range(address, address + count):
                if register not in defined:
                    raise Refusal(rtu.ILLEGAL_DATA_ADDRESS, f"register {register:#06x} undefined")
            return [self._words.get(register, 0) for register in range(address, address + count)]
        if function_code in (
            rtu.WRITE_SINGLE_COIL,
            rtu.WRITE_SINGLE_REGISTER,
            rtu.WRITE_MULTIPLE_REGISTERS,
        ):
            raise Refusal(rtu.ILLEGAL_FUNCTION, "measurements are read-only")
        raise Refusal(rtu.ILLEGAL_FUNCTION, f"function {function_code} is not supported")

    async def serve_registers(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """pymodbus action hook: put the current values in place just before they are read."""
        for register in range(address, address + count):
            if register in self._words:
                registers[register - start_address] = self._words[register]
        return None

    async def run(self) -> None:
        """Behaviour over time; runs until cancelled."""
        await keep_advancing(self.advance)


async def keep_advancing(advance: Callable[[float], None]) -> None:
    """Move a simulated device on by the real seconds passed, every TICK_S, until cancelled."""
    loop = asyncio.get_running_loop()
    last = loop.time()
    while True:
        await asyncio.sleep(TICK_S)
        now = loop.time()
        advance(now - last)
        last = now


def _defined_registers(profile: DeviceProfile) -> dict[int, frozenset[int]]:
    """Function code -> the registers a meter of `profile` answers: the same blocks its TCP
    register map serves, so both simulated buses define the same addresses."""
    defined: dict[int, set[int]] = {}
    for block in plan_reads(profile, max_gap=profile.max_gap):
        defined.setdefault(block.function_code, set()).update(
            range(block.address, block.address + block.count)
        )
    return {code: frozenset(registers) for code, registers in defined.items()}


def _encode(measured: MeasuredValue, value: float) -> list[int]:
    """The registers a meter shows for `value`: raw = value / scale, in its data type."""
    return encode(value / measured.scale, measured.data_type, measured.word_order)


async def _gateway_target_failed(*_args: object) -> ExcCodes:
    return ExcCodes.GATEWAY_NO_RESPONSE


def _absent_units() -> SimDevice:
    """Unit ids with no meter behind the gateway answer 0x0B, as a real TCP/RS-485 gateway does."""
    everywhere = SimData(address=0, count=0x10000, values=0, datatype=DataType.REGISTERS)
    return SimDevice(id=0, simdata=[everywhere], action=_gateway_target_failed)


async def serve_meters(
    *,
    host: str,
    port: int,
    meters: list[SimulatedMeter],
    ready: asyncio.Event | None = None,
    extra: Sequence[SimDevice] = (),
) -> None:
    """Serve `meters` as unit ids of one Modbus TCP gateway until cancelled; `extra` are other
    units on the same line (a barrier's relay board, simulators.barrier)."""
    unit_ids = [m.unit_id for m in meters] + [device.id for device in extra]
    if len(set(unit_ids)) != len(unit_ids):
        raise ValueError(f"unit ids must be unique on one gateway: {unit_ids}")
    started_at = datetime.now(SITE_TIMEZONE)
    live = [LiveMeter(meter, started_at=started_at) for meter in meters]
    devices = [
        SimDevice(id=m.meter.unit_id, simdata=m.register_map(), action=m.serve_registers)
        for m in live
    ]
    server = ModbusTcpServer([*devices, *extra, _absent_units()], address=(host, port))
    try:
        await server.serve_forever(background=True)
    except RuntimeError as exc:  # pymodbus' way of saying the address is unusable
        raise OSError(f"cannot listen on {host}:{port}") from exc
    log.info("simulated gateway on %s:%d serves units %s", host, port, unit_ids)
    try:
        async with asyncio.TaskGroup() as behaviours:
            for meter in live:
                behaviours.create_task(meter.run(), name=f"meter {port}/{meter.meter.unit_id}")
            if ready is not None:
                ready.set()
    finally:
        await server.shutdown()  # type: ignore[no-untyped-call]

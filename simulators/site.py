"""A whole simulated building: every bus and meter named in a site config, each on the kind of
link the config gives it (TCP gateway, serial line on a pty, serial-to-TCP converter), DL/T 645
meters included, profiles the site defines included."""

import asyncio
import logging
import zlib
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymodbus.simulator import SimDevice

from protocols.profiles import DeviceProfile, get_profile
from protocols.site_config import (
    AnyBus,
    Dlt645Bus,
    ModbusRtuBus,
    ModbusRtuOverTcpBus,
    ModbusTcpBus,
    SiteConfig,
)
from simulators.barrier import LiveBarrier, SimulatedBarrier
from simulators.dlt645 import SimulatedDlt645Meter, serve_dlt645_bus
from simulators.load_curve import OfficeLoad
from simulators.meter import SimulatedMeter, serve_meters
from simulators.rtu import RtuBus, serve_rtu_line, serve_rtu_over_tcp

log = logging.getLogger(__name__)

ModbusBus = ModbusTcpBus | ModbusRtuBus | ModbusRtuOverTcpBus

REGISTERS_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""When the simulated meters were (notionally) installed; their registers count on from it."""


def meters_of(
    bus: ModbusBus,
    *,
    speed: float = 1.0,
    now: datetime | None = None,
    profile_of: Callable[[str], DeviceProfile] = get_profile,
) -> list[SimulatedMeter]:
    """One simulated meter per device on the bus, each with its own stable seed and reading.

    The start reading grows smoothly with `now` (default: the wall clock) by as much as the
    meter could possibly have counted since `REGISTERS_EPOCH`, so a site started again later
    never serves a lower register than a run at real speed served before it. `profile_of`
    finds a device's profile (a site config's `profile` also knows the site's own).
    """
    load = OfficeLoad()
    meters = []
    for device in bus.devices:
        seed = _seed(device.code)
        meters.append(
            SimulatedMeter(
                unit_id=device.unit_id,
                profile=profile_of(device.profile),
                start_energy_kwh=_start_energy_kwh(seed, load, now),
                seed=seed,
                speed=speed,
                load=load,
            )
        )
    return meters


def dlt645_meters_of(
    bus: Dlt645Bus, *, speed: float = 1.0, now: datetime | None = None
) -> list[SimulatedDlt645Meter]:
    """One simulated DL/T 645 meter per device on the bus, started like `meters_of`'s."""
    load = OfficeLoad()
    return [
        SimulatedDlt645Meter(
            address=device.address,
            start_energy_kwh=_start_energy_kwh(_seed(device.code), load, now),
            seed=_seed(device.code),
            speed=speed,
            load=load,
        )
        for device in bus.devices
    ]


def _seed(code: str) -> int:
    return zlib.crc32(code.encode())  # stable across runs, unlike hash()


def _start_energy_kwh(seed: int, load: OfficeLoad, now: datetime | None) -> float:
    now = now or datetime.now(UTC)
    days_in_service = max(0.0, (now - REGISTERS_EPOCH).total_seconds() / 86_400)
    return 1000.0 + seed % 9000 + days_in_service * load.ceiling_kw * 24


def barriers_of(config: SiteConfig) -> dict[str, LiveBarrier]:
    """Gate code -> a simulated relay board for every gate wired to a Modbus TCP bus."""
    tcp = {bus.code for bus in config.buses if isinstance(bus, ModbusTcpBus)}
    return {
        gate.code: LiveBarrier(
            SimulatedBarrier(
                unit_id=gate.unit_id,
                open_coil=gate.open_coil,
                loop_input=gate.loop_input if gate.loop_input is not None else 0,
                open_input=gate.open_input if gate.open_input is not None else 1,
            )
        )
        for gate in config.gates
        if gate.bus in tcp and gate.unit_id is not None and gate.open_coil is not None
    }


async def serve_site(
    config: SiteConfig,
    *,
    speed: float = 1.0,
    ready: asyncio.Event | None = None,
    barriers: dict[str, LiveBarrier] | None = None,
) -> None:
    """Serve every bus of the site until cancelled; `ready` is set once all listen. Gates'
    relay boards sit on their Modbus TCP bus: `barriers` (from `barriers_of`) lets a caller
    watch them, else they are made here."""
    boards = barriers_of(config) if barriers is None else barriers
    buses_ready: list[asyncio.Event] = []
    async with asyncio.TaskGroup() as gateways:
        for bus in config.buses:
            bus_ready = asyncio.Event()
            on_bus = [
                boards[g.code].device()
                for g in config.gates
                if g.bus == bus.code and g.code in boards
            ]
            serving = serve_bus(
                bus, speed=speed, ready=bus_ready, profile_of=config.profile, extra=on_bus
            )
            buses_ready.append(bus_ready)
            gateways.create_task(serving, name=f"gateway {bus.code}")
        for bus_ready in buses_ready:
            await bus_ready.wait()
        if ready is not None:
            ready.set()


def serve_bus(
    bus: AnyBus,
    *,
    speed: float = 1.0,
    ready: asyncio.Event | None = None,
    profile_of: Callable[[str], DeviceProfile] = get_profile,
    extra: Sequence[SimDevice] = (),
) -> Coroutine[Any, Any, None]:
    """The coroutine serving one bus of a site config on its link; `extra` units (relay
    boards) are served on a Modbus TCP bus only."""
    if isinstance(bus, Dlt645Bus):
        return serve_dlt645_bus(
            link=Path(bus.port),
            baud=bus.baud,
            parity=bus.parity,
            stop_bits=bus.stop_bits,
            meters=dlt645_meters_of(bus, speed=speed),
            ready=ready,
        )
    meters = meters_of(bus, speed=speed, profile_of=profile_of)
    if isinstance(bus, ModbusTcpBus):
        return serve_meters(host=bus.host, port=bus.port, meters=meters, ready=ready, extra=extra)
    if isinstance(bus, ModbusRtuBus):
        return serve_rtu_line(
            RtuBus(meters),
            link=Path(bus.port),
            baud=bus.baud,
            parity=bus.parity,
            stop_bits=bus.stop_bits,
            ready=ready,
        )
    return serve_rtu_over_tcp(
        RtuBus(meters),
        host=bus.host,
        port=bus.port,
        baud=bus.baud,
        parity=bus.parity,
        stop_bits=bus.stop_bits,
        ready=ready,
    )


def where(bus: AnyBus) -> str:
    """Where a client finds the simulated bus: host:port or the serial device's path."""
    if isinstance(bus, ModbusRtuBus):
        return f"serial {bus.port} ({bus.baud} 8{bus.parity}{bus.stop_bits})"
    if isinstance(bus, ModbusRtuOverTcpBus):
        return f"RTU over TCP {bus.host}:{bus.port} (line {bus.baud} 8{bus.parity}{bus.stop_bits})"
    if isinstance(bus, ModbusTcpBus):
        return f"Modbus TCP {bus.host}:{bus.port}"
    return f"{bus.kind} {bus.port}"

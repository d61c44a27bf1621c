"""A whole simulated building: every Modbus bus and meter named in a site config, each on the
kind of link the config gives it (TCP gateway, serial line on a pty, serial-to-TCP converter)."""

import asyncio
import logging
import zlib
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from protocols.site_config import (
    AnyBus,
    ModbusRtuBus,
    ModbusRtuOverTcpBus,
    ModbusTcpBus,
    SiteConfig,
)
from simulators.load_curve import OfficeLoad
from simulators.meter import SimulatedMeter, serve_meters
from simulators.rtu import RtuBus, serve_rtu_line, serve_rtu_over_tcp

log = logging.getLogger(__name__)

ModbusBus = ModbusTcpBus | ModbusRtuBus | ModbusRtuOverTcpBus

REGISTERS_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""When the simulated meters were (notionally) installed; their registers count on from it."""


def meters_of(
    bus: ModbusBus, *, speed: float = 1.0, now: datetime | None = None
) -> list[SimulatedMeter]:
    """One simulated meter per device on the bus, each with its own stable seed and reading.

    The start reading grows smoothly with `now` (default: the wall clock) by as much as the
    meter could possibly have counted since `REGISTERS_EPOCH`, so a site started again later
    never serves a lower register than a run at real speed served before it.
    """
    now = now or datetime.now(UTC)
    days_in_service = max(0.0, (now - REGISTERS_EPOCH).total_seconds() / 86_400)
    load = OfficeLoad()
    most_kwh_per_day = load.ceiling_kw * 24
    meters = []
    for device in bus.devices:
        seed = zlib.crc32(device.code.encode())  # stable across runs, unlike hash()
        meters.append(
            SimulatedMeter(
                unit_id=device.unit_id,
                profile=device.profile,
                start_energy_kwh=1000.0 + seed % 9000 + days_in_service * most_kwh_per_day,
                seed=seed,
                speed=speed,
                load=load,
            )
        )
    return meters


async def serve_site(
    config: SiteConfig, *, speed: float = 1.0, ready: asyncio.Event | None = None
) -> None:
    """Serve every Modbus bus of the site until cancelled; `ready` is set once all listen.

    DL/T 645 buses are left to their own simulator (simulators.dlt645)."""
    buses_ready: list[asyncio.Event] = []
    async with asyncio.TaskGroup() as gateways:
        for bus in config.buses:
            bus_ready = asyncio.Event()
            serving = serve_bus(bus, speed=speed, ready=bus_ready)
            if serving is None:
                log.info("bus %s (%s) is not simulated here; skipping it", bus.code, bus.kind)
                continue
            buses_ready.append(bus_ready)
            gateways.create_task(serving, name=f"gateway {bus.code}")
        for bus_ready in buses_ready:
            await bus_ready.wait()
        if ready is not None:
            ready.set()


def serve_bus(
    bus: AnyBus, *, speed: float = 1.0, ready: asyncio.Event | None = None
) -> Coroutine[Any, Any, None] | None:
    """The coroutine serving one bus of a site config on its link, or None for a kind of bus
    this module does not simulate."""
    if isinstance(bus, ModbusTcpBus):
        meters = meters_of(bus, speed=speed)
        return serve_meters(host=bus.host, port=bus.port, meters=meters, ready=ready)
    if isinstance(bus, ModbusRtuBus):
        return serve_rtu_line(
            RtuBus(meters_of(bus, speed=speed)),
            link=Path(bus.port),
            baud=bus.baud,
            parity=bus.parity,
            stop_bits=bus.stop_bits,
            ready=ready,
        )
    if isinstance(bus, ModbusRtuOverTcpBus):
        return serve_rtu_over_tcp(
            RtuBus(meters_of(bus, speed=speed)),
            host=bus.host,
            port=bus.port,
            baud=bus.baud,
            parity=bus.parity,
            stop_bits=bus.stop_bits,
            ready=ready,
        )
    return None


def where(bus: AnyBus) -> str:
    """Where a client finds the simulated bus: host:port or the serial device's path."""
    if isinstance(bus, ModbusRtuBus):
        return f"serial {bus.port} ({bus.baud} 8{bus.parity}{bus.stop_bits})"
    if isinstance(bus, ModbusRtuOverTcpBus):
        return f"RTU over TCP {bus.host}:{bus.port} (line {bus.baud} 8{bus.parity}{bus.stop_bits})"
    if isinstance(bus, ModbusTcpBus):
        return f"Modbus TCP {bus.host}:{bus.port}"
    return f"{bus.kind} {bus.port}"

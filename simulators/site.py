"""A whole simulated building: every Modbus TCP gateway and meter named in a site config."""

import asyncio
import zlib
from datetime import UTC, datetime

from protocols.site_config import ModbusTcpBus, SiteConfig
from simulators.load_curve import OfficeLoad
from simulators.meter import SimulatedMeter, serve_meters

REGISTERS_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""When the simulated meters were (notionally) installed; their registers count on from it."""


def meters_of(
    bus: ModbusTcpBus, *, speed: float = 1.0, now: datetime | None = None
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
    """Serve every gateway of the site until cancelled; `ready` is set once all listen."""
    buses_ready = [asyncio.Event() for _ in config.buses]
    async with asyncio.TaskGroup() as gateways:
        for bus, bus_ready in zip(config.buses, buses_ready, strict=True):
            gateways.create_task(
                serve_meters(
                    host=bus.host,
                    port=bus.port,
                    meters=meters_of(bus, speed=speed),
                    ready=bus_ready,
                ),
                name=f"gateway {bus.code}",
            )
        for bus_ready in buses_ready:
            await bus_ready.wait()
        if ready is not None:
            ready.set()

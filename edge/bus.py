"""One worker per physical bus: polls each device at its own interval, one call on the wire at a
time, and hands every reading to the outbox. A dead device costs its timeout, never the others'."""

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from edge.drivers.meter import MeterDriver
from edge.errors import TransportError
from edge.health import LinkHealth
from edge.transports.modbus import RegisterReader
from protocols.profiles import get_profile
from protocols.site_config import MeterDevice, ModbusTcpBus

log = logging.getLogger(__name__)


class ReadingSink(Protocol):
    """Where readings go (the outbox, or a list in tests)."""

    def append_reading(
        self, *, device: str, ts: datetime, values: dict[str, float], flags: Sequence[str] = ()
    ) -> int: ...


class PolledMeter:
    """A meter on this bus, with its driver and its health."""

    def __init__(self, *, bus: ModbusTcpBus, device: MeterDevice, transport: RegisterReader):
        self.device = device
        self.driver = MeterDriver(
            transport=transport, profile=get_profile(device.profile), unit_id=device.unit_id
        )
        where = f"meter {device.code} ({bus.code} unit {device.unit_id})"
        self.health = LinkHealth(where, logger=log)
        # Connect + one timeout per request: beyond this the device is dead for this round.
        self.deadline_s = bus.timeout_s * (len(self.driver.reads) + 1)


class BusWorker:
    """Polls every device of one bus until cancelled."""

    def __init__(self, *, bus: ModbusTcpBus, transport: RegisterReader, sink: ReadingSink) -> None:
        self.bus = bus
        self.sink = sink
        self.meters = [
            PolledMeter(bus=bus, device=device, transport=transport) for device in bus.devices
        ]
        # One request at a time: an RS-485 line behind a gateway carries one frame at a time.
        self._wire = asyncio.Lock()

    def __repr__(self) -> str:
        return f"BusWorker({self.bus.code}, {len(self.meters)} devices)"

    async def run(self) -> None:
        async with asyncio.TaskGroup() as pollers:
            for meter in self.meters:
                pollers.create_task(self._poll_forever(meter), name=f"poll {meter.device.code}")

    async def poll(self, meter: PolledMeter) -> dict[str, float] | None:
        """Read one meter once and store the reading; None if it did not answer in time."""
        async with self._wire:
            try:
                async with asyncio.timeout(meter.deadline_s):
                    values = await meter.driver.read()
            except (TransportError, TimeoutError) as exc:
                meter.health.failed(str(exc) or f"no answer within {meter.deadline_s:g} s")
                return None
        meter.health.succeeded()
        if values:
            self.sink.append_reading(device=meter.device.code, ts=datetime.now(UTC), values=values)
        return values

    async def _poll_forever(self, meter: PolledMeter) -> None:
        loop = asyncio.get_running_loop()
        next_due = loop.time()
        while True:
            await self.poll(meter)
            next_due += meter.device.poll_interval_s
            now = loop.time()
            if next_due < now:  # the bus fell behind: skip missed polls instead of bursting
                next_due = now
            await asyncio.sleep(next_due - now)

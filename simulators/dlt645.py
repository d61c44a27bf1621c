"""Simulated DL/T 645-2007 meters on a simulated RS-485 line (a pty with real byte timing).

Each meter's energy follows an office day, as the Modbus meters' does; the line hands every
request to the meters and lets the one addressed answer, as the meters on a real line each
listen and only one speaks.
"""

import asyncio
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from protocols import dlt645
from protocols.serial_timing import Parity, StopBits
from simulators.load_curve import OfficeLoad
from simulators.meter import SITE_TIMEZONE, keep_advancing
from simulators.serial_line import SimulatedLine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulatedDlt645Meter:
    """One DL/T 645 meter on the simulated line: what it is, how it starts, what ails it."""

    address: str
    """The 12 digits on its nameplate."""
    start_energy_kwh: float = 0.0
    seed: int = 0
    speed: float = 1.0
    """Simulated seconds per real second."""
    load: OfficeLoad = field(default_factory=OfficeLoad)
    dead: bool = False
    """Never answers, like a meter with a cut cable or no power."""
    slow_s: float = 0.0
    """Thinks this long before answering, on top of the line's own timing."""

    def __post_init__(self) -> None:
        if not (len(self.address) == 12 and self.address.isascii() and self.address.isdecimal()):
            raise ValueError(f"meter address {self.address!r} is not 12 digits")
        if self.address == dlt645.BROADCAST_ADDRESS:
            raise ValueError(f"{dlt645.BROADCAST_ADDRESS} is the broadcast address, not a meter's")
        if self.speed <= 0:
            raise ValueError("speed must be positive")
        if not 0 <= self.start_energy_kwh < dlt645.ENERGY_LIMIT_KWH:
            raise ValueError("start energy must fit the register: 0 <= kWh < 1,000,000")
        if self.slow_s < 0:
            raise ValueError("slow_s cannot be negative")


class LiveDlt645Meter:
    """A meter's growing energy register and its answers to requests addressed to it."""

    def __init__(self, meter: SimulatedDlt645Meter, *, started_at: datetime) -> None:
        self.meter = meter
        self.energy_kwh = meter.start_energy_kwh
        self.simulated_at = started_at

    @property
    def register_kwh(self) -> float:
        """What the meter shows: whole hundredths (it never rounds up), rolling over at 1 GWh."""
        hundredths = math.floor(self.energy_kwh * 100) % round(dlt645.ENERGY_LIMIT_KWH * 100)
        return hundredths / 100

    def advance(self, real_seconds: float) -> None:
        """Move simulated time on by `real_seconds * speed`, integrating power into energy."""
        elapsed_s = max(0.0, real_seconds) * self.meter.speed
        self.simulated_at += timedelta(seconds=elapsed_s)
        power_kw = self.meter.load.power_kw(self.simulated_at, seed=self.meter.seed)
        self.energy_kwh += power_kw * elapsed_s / 3600.0

    def answer(self, request: dlt645.Frame) -> bytes:
        """The answer to a request meant for this meter: the energy asked for, or a refusal."""
        address = self.meter.address
        try:
            identifier = dlt645.requested_identifier(request)
        except dlt645.FrameError:
            return dlt645.abnormal_answer(address, dlt645.OTHER_ERROR, command=request.control)
        if identifier != dlt645.FORWARD_ACTIVE_TOTAL:
            return dlt645.abnormal_answer(address, dlt645.NO_REQUESTED_DATA)
        return dlt645.energy_answer(address, self.register_kwh)

    async def run(self) -> None:
        """Behaviour over time; runs until cancelled."""
        await keep_advancing(self.advance)


class Dlt645Meters:
    """The meters sharing one line: who answers a request, and how."""

    def __init__(self, meters: list[LiveDlt645Meter]) -> None:
        addresses = [m.meter.address for m in meters]
        if len(set(addresses)) != len(addresses):
            raise ValueError(f"meter addresses must be unique on one line: {addresses}")
        self.meters = meters

    async def answer(self, request: bytes) -> bytes | None:
        """The addressed meter's answer, or None (silence) when no meter would speak: a
        damaged frame, another device's answer, a broadcast, a dead meter, or a wildcard that
        fits several live meters (on a real line their answers would collide into noise)."""
        try:
            frame = dlt645.decode(request)
        except dlt645.Dlt645Error as exc:
            log.debug("simulated DL/T 645 line ignores %s: %s", request.hex(" "), exc)
            return None
        if frame.control & dlt645.FROM_METER:
            return None
        speaking = [
            m
            for m in self.meters
            if dlt645.addressed_to(m.meter.address, frame.address) and not m.meter.dead
        ]
        if len(speaking) != 1:
            return None
        meter = speaking[0]
        if meter.meter.slow_s:
            await asyncio.sleep(meter.meter.slow_s)
        return meter.answer(frame)


async def serve_dlt645_bus(
    *,
    link: Path,
    baud: int,
    parity: Parity = "E",
    stop_bits: StopBits = 1,
    meters: list[SimulatedDlt645Meter],
    ready: asyncio.Event | None = None,
) -> None:
    """Serve `meters` on a simulated line reachable at `link` until cancelled."""
    started_at = datetime.now(SITE_TIMEZONE)
    line = Dlt645Meters([LiveDlt645Meter(meter, started_at=started_at) for meter in meters])
    simulated = SimulatedLine(link=link, baud=baud, parity=parity, stop_bits=stop_bits)
    async with asyncio.TaskGroup() as behaviours:
        for meter in line.meters:
            behaviours.create_task(meter.run(), name=f"dlt645 meter {meter.meter.address}")
        behaviours.create_task(simulated.serve(line.answer, ready=ready), name=f"dlt645 {link}")

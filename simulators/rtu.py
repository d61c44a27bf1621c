"""A simulated Modbus RTU bus: meters and relay boards sharing one RS-485 line, served on a pty
(a client opens it like /dev/ttyUSB0) or through a simulated serial-to-TCP converter.

As on a real line, a frame for a unit nobody has, or with a bad CRC, gets no answer at all:
silence, which the master can only learn by its timeout. Units can be made dead (never answer)
or slow (answer late) to test what a master does then.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from protocols import modbus_rtu as rtu
from protocols.serial_timing import Parity, StopBits
from simulators.meter import SITE_TIMEZONE, LiveMeter, Refusal, SimulatedMeter
from simulators.serial_line import SimulatedConverter, SimulatedLine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnitFault:
    """How a unit misbehaves: `dead` never answers; `slow_s` thinks that long before answering."""

    dead: bool = False
    slow_s: float = 0.0

    def __post_init__(self) -> None:
        if self.slow_s < 0:
            raise ValueError("slow_s cannot be negative")


@dataclass
class RelayBoard:
    """A relay output board (barrier contacts): coils read with function 1, switched with 5."""

    unit_id: int
    coils: list[bool] = field(default_factory=lambda: [False] * 8)

    def answer(self, request: rtu.Request) -> bytes:
        if request.function_code == rtu.READ_COILS:
            return rtu.bits_answer(request, self._coils(request.address, request.count))
        if request.function_code == rtu.WRITE_SINGLE_COIL:
            self._coils(request.address, 1)
            if request.values[0] not in (rtu.COIL_ON, rtu.COIL_OFF):
                raise Refusal(rtu.ILLEGAL_DATA_VALUE, "a coil is written 0xFF00 or 0x0000")
            self.coils[request.address] = request.values[0] == rtu.COIL_ON
            return rtu.write_answer(request)
        raise Refusal(rtu.ILLEGAL_FUNCTION, f"function {request.function_code} not supported")

    def _coils(self, address: int, count: int) -> list[bool]:
        if address + count > len(self.coils):
            raise Refusal(rtu.ILLEGAL_DATA_ADDRESS, f"board has {len(self.coils)} coils")
        return self.coils[address : address + count]


class RtuBus:
    """The devices of one line, answering frames addressed to them.

    `faults` may be changed while the bus is served: a test makes a unit dead mid-run.
    """

    def __init__(
        self,
        meters: list[SimulatedMeter],
        *,
        relay_boards: list[RelayBoard] | None = None,
        faults: dict[int, UnitFault] | None = None,
        started_at: datetime | None = None,
    ) -> None:
        started_at = started_at or datetime.now(SITE_TIMEZONE)
        self.meters = {m.unit_id: LiveMeter(m, started_at=started_at) for m in meters}
        self.relay_boards = {board.unit_id: board for board in relay_boards or []}
        shared = self.meters.keys() & self.relay_boards.keys()
        if len(self.meters) != len(meters) or len(self.relay_boards) != len(relay_boards or []):
            raise ValueError("unit ids must be unique on one line")
        if shared:
            raise ValueError(f"unit ids {sorted(shared)} are both a meter and a relay board")
        self.faults = dict(faults or {})

    def __repr__(self) -> str:
        return f"RtuBus(units {sorted(self.meters.keys() | self.relay_boards.keys())})"

    async def answer(self, frame: bytes) -> bytes | None:
        """The answer the line carries back for `frame`, or None for silence."""
        try:
            request = rtu.parse_request(frame)
        except rtu.FrameError as exc:
            log.debug("ignoring a garbled frame %s: %s", frame.hex(" "), exc)
            return None
        fault = self.faults.get(request.unit_id, UnitFault())
        if fault.dead or request.unit_id == rtu.BROADCAST_UNIT:
            return None
        if fault.slow_s:
            await asyncio.sleep(fault.slow_s)
        try:
            return self._device_answer(request)
        except Refusal as refusal:
            return rtu.exception_answer(request, refusal.code)

    def _device_answer(self, request: rtu.Request) -> bytes | None:
        meter = self.meters.get(request.unit_id)
        if meter is not None:
            words = meter.read_registers(request.function_code, request.address, request.count)
            return rtu.registers_answer(request, words)
        board = self.relay_boards.get(request.unit_id)
        if board is not None:
            return board.answer(request)
        return None  # nobody on the line has this unit id

    async def run(self) -> None:
        """The meters' behaviour over time, until cancelled."""
        async with asyncio.TaskGroup() as behaviours:
            for unit_id, meter in self.meters.items():
                behaviours.create_task(meter.run(), name=f"rtu meter {unit_id}")


async def serve_rtu_line(
    bus: RtuBus,
    *,
    link: Path,
    baud: int,
    parity: Parity = "N",
    stop_bits: StopBits = 1,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve `bus` on a pty reachable at `link`, meters running, until cancelled."""
    line = SimulatedLine(link=link, baud=baud, parity=parity, stop_bits=stop_bits)
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(bus.run(), name=f"rtu bus {link}")
        tasks.create_task(line.serve(bus.answer, ready=ready), name=f"rtu line {link}")


async def serve_rtu_over_tcp(
    bus: RtuBus,
    *,
    host: str,
    port: int,
    baud: int,
    parity: Parity = "N",
    stop_bits: StopBits = 1,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve `bus` behind a simulated serial-to-TCP converter on host:port until cancelled."""
    converter = SimulatedConverter(
        host=host, port=port, baud=baud, parity=parity, stop_bits=stop_bits
    )
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(bus.run(), name=f"rtu bus {host}:{port}")
        tasks.create_task(converter.serve(bus.answer, ready=ready), name=f"rtu tcp {port}")

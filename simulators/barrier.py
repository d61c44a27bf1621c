"""A simulated barrier relay board on Modbus: a coil that, pulsed, lifts the barrier for a while,
and discrete inputs for the vehicle loop and the barrier's position.

A board is a pymodbus `SimDevice` (a unit id), so it can sit on its own server or beside the
simulated meters of a gateway (`simulators.meter.serve_meters(extra=...)`). It keeps every coil
switch-on time, so tests and the `gate` benchmark see exactly when a pulse reached it.
"""

import asyncio
import logging
import time
from dataclasses import dataclass, field

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from protocols import modbus_rtu as rtu

log = logging.getLogger(__name__)

COILS = 16
INPUTS = 16
BITS_PER_REGISTER = 16
WRITE_MULTIPLE_COILS = 15


@dataclass(frozen=True)
class SimulatedBarrier:
    """One relay board driving one barrier: which coil lifts it, which inputs report."""

    unit_id: int
    open_coil: int = 0
    loop_input: int = 0
    open_input: int = 1
    up_s: float = 3.0
    """How long the barrier stays up after a pulse (a real one waits for the car to pass)."""

    def __post_init__(self) -> None:
        if not 1 <= self.unit_id <= 247:
            raise ValueError(f"unit id {self.unit_id} is outside 1..247")
        if not 0 <= self.open_coil < COILS:
            raise ValueError(f"open coil {self.open_coil} is outside 0..{COILS - 1}")
        for name, bit in (("loop", self.loop_input), ("open", self.open_input)):
            if not 0 <= bit < INPUTS:
                raise ValueError(f"{name} input {bit} is outside 0..{INPUTS - 1}")


@dataclass
class LiveBarrier:
    """A board's state: coils, a vehicle on the loop (set by whoever drives the scene), and
    when the barrier went up."""

    board: SimulatedBarrier
    vehicle_on_loop: bool = False
    coils: list[bool] = field(default_factory=lambda: [False] * COILS)
    pulses: list[float] = field(default_factory=list)
    """`time.perf_counter()` of every write switching the open coil on (also while it is on:
    each is an open command, and keeps the barrier up longer)."""
    up_until: float = 0.0
    pulse_seen: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def barrier_up(self) -> bool:
        return time.perf_counter() < self.up_until

    def device(self) -> SimDevice:
        """The board as a unit of a pymodbus server: coils and discrete inputs of its own."""
        bits = SimData(0, count=COILS, values=False, datatype=DataType.BITS)
        inputs = SimData(0, count=INPUTS, values=False, datatype=DataType.BITS)
        unused = SimData(0, count=1, values=0, datatype=DataType.REGISTERS, readonly=True)
        return SimDevice(
            id=self.board.unit_id, simdata=([bits], [inputs], [unused], [unused]), action=self.act
        )

    def switch(self, coil: int, on: bool) -> None:
        if on and coil == self.board.open_coil:
            now = time.perf_counter()
            self.pulses.append(now)
            self.up_until = now + self.board.up_s
            self.pulse_seen.set()
            log.debug("barrier unit %d: up", self.board.unit_id)
        self.coils[coil] = on

    def inputs(self) -> list[bool]:
        state = [False] * INPUTS
        state[self.board.loop_input] = self.vehicle_on_loop
        state[self.board.open_input] = self.barrier_up
        return state

    async def act(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """pymodbus action hook: record coil writes, show the inputs before they are read."""
        if function_code in (rtu.WRITE_SINGLE_COIL, WRITE_MULTIPLE_COILS) and set_values:
            for offset, value in enumerate(set_values):
                if address + offset < COILS:
                    self.switch(address + offset, bool(value))
        elif function_code == rtu.READ_DISCRETE_INPUTS:
            bits = self.inputs()
            for i in range(len(registers)):
                first = (start_address + i) * BITS_PER_REGISTER
                chunk = bits[first : first + BITS_PER_REGISTER]
                registers[i] = sum(1 << b for b, on in enumerate(chunk) if on)
        return None


async def serve_barriers(
    *,
    host: str,
    port: int,
    boards: list[LiveBarrier],
    ready: asyncio.Event | None = None,
) -> None:
    """Serve relay boards as units of one Modbus TCP server until cancelled."""
    server = ModbusTcpServer([board.device() for board in boards], address=(host, port))
    try:
        await server.serve_forever(background=True)
    except RuntimeError as exc:  # pymodbus' way of saying the address is unusable
        raise OSError(f"cannot listen on {host}:{port}") from exc
    log.info("simulated relay boards on %s:%d", host, port)
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        await server.shutdown()  # type: ignore[no-untyped-call]

"""A barrier on a relay board: pulse a coil to lift it, read discrete inputs for the vehicle
loop and the barrier's position.

Every transaction goes through the bus's command lane (`BusWorker.submit`), so a pulse waits
for no poll and never interleaves with one on a shared RS-485 line or gateway. The coil is
switched off again even if whoever asked for the opening is cancelled meanwhile: a relay left
on would hold the barrier up.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class CommandLane(Protocol):
    """Where bus transactions are queued (`edge.bus.BusWorker`)."""

    async def submit(self, job: Callable[[], Awaitable[T]]) -> T: ...


class RelayBoard(Protocol):
    """What the driver needs of a Modbus transport."""

    async def write_coil(self, *, unit_id: int, address: int, value: bool) -> None: ...

    async def read_discrete_inputs(
        self, *, unit_id: int, address: int, count: int
    ) -> list[bool]: ...


class BarrierDriver:
    """One barrier: its board's unit id, open coil, and the inputs that report on it."""

    def __init__(
        self,
        *,
        lane: CommandLane,
        board: RelayBoard,
        unit_id: int,
        open_coil: int,
        pulse_s: float = 0.5,
        loop_input: int | None = None,
        open_input: int | None = None,
    ) -> None:
        self.lane, self.board = lane, board
        self.unit_id, self.open_coil, self.pulse_s = unit_id, open_coil, pulse_s
        self.loop_input, self.open_input = loop_input, open_input
        self._opens = 0
        """Opens so far: a release switches off only if no open came after its own."""
        self._releases: set[asyncio.Task[None]] = set()
        """Coil releases under way; held so they are not collected mid-pulse."""

    def __repr__(self) -> str:
        return f"BarrierDriver(unit {self.unit_id}, coil {self.open_coil})"

    async def open(self) -> None:
        """Switch the open coil on (returns once the board confirmed it), off after the pulse
        in the background. TransportError if the board did not take the switch-on."""
        await self._switch(True)
        self._opens += 1
        release = self._release(self._opens)
        task = asyncio.create_task(release, name=f"barrier {self.unit_id} release")
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    async def settle(self) -> None:
        """Wait until every coil switched on has been switched off again (shutdown, tests)."""
        while self._releases:
            await asyncio.gather(*self._releases, return_exceptions=True)

    async def _release(self, opened: int) -> None:
        await asyncio.sleep(self.pulse_s)
        if opened != self._opens:
            return  # opened again meanwhile (the next car): that pulse's release switches off
        for attempt in range(3):
            try:
                await self._switch(False)
                return
            except Exception as exc:  # noqa: BLE001 - retried, then told
                log.warning(
                    "barrier unit %d: coil off failed (%s), try %d", self.unit_id, exc, attempt + 1
                )
        log.error("barrier unit %d: open coil may still be on", self.unit_id)

    async def _switch(self, on: bool) -> None:
        async def write() -> None:
            await self.board.write_coil(unit_id=self.unit_id, address=self.open_coil, value=on)

        await self.lane.submit(write)

    async def read(self) -> dict[str, float]:
        """The loop and position inputs as 0/1 (only those wired), read in the command lane."""
        wired = {
            name: bit
            for name, bit in (("loop", self.loop_input), ("barrier_up", self.open_input))
            if bit is not None
        }
        if not wired:
            return {}
        first = min(wired.values())
        count = max(wired.values()) - first + 1

        async def read() -> list[bool]:
            return await self.board.read_discrete_inputs(
                unit_id=self.unit_id, address=first, count=count
            )

        bits = await self.lane.submit(read)
        return {name: float(bits[bit - first]) for name, bit in wired.items()}

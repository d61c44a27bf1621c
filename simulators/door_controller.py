"""A simulated door controller speaking `protocols.door_line` on TCP: a reader, a lock, a door
contact and an exit button. Tests and demos drive the door (`show`, `open_door`, `close_door`,
`press_exit`); the agent on the other end decides and unlocks.

Like a real controller it notices on its own when the door is opened while locked (forced) or
stays open past `held_after_s` (held open), and relocks when an unlock runs out.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from pydantic import ValidationError

from protocols import door_line as line
from protocols.gate import CredentialKind

log = logging.getLogger(__name__)


@dataclass
class SimulatedDoor:
    """The door's physical state and what the agent ordered."""

    code: str = "D-1"
    held_after_s: float = 30.0
    unlocked_until: float = 0.0
    is_open: bool = False
    denied: int = 0
    unlocks: list[float] = field(default_factory=list)
    """perf_counter() of every unlock order received."""
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)
    _held: asyncio.Task[None] | None = None

    @property
    def unlocked(self) -> bool:
        return time.perf_counter() < self.unlocked_until

    # --- the world acting on the door --------------------------------------------------------

    async def show(self, kind: CredentialKind, value: str) -> None:
        await self._tell(line.Shown(kind=kind, value=value))

    async def press_exit(self) -> None:
        await self._tell(line.RequestToExit())

    async def open_door(self) -> None:
        if self.is_open:
            return
        self.is_open = True
        if not self.unlocked:
            await self._tell(line.Forced())
        await self._tell(line.DoorState(state="opened"))
        self._held = asyncio.create_task(self._watch_held(), name=f"door {self.code} held")

    async def close_door(self) -> None:
        if not self.is_open:
            return
        self.is_open = False
        if self._held is not None:
            self._held.cancel()
            await asyncio.gather(self._held, return_exceptions=True)
            self._held = None
        await self._tell(line.DoorState(state="closed"))

    async def _watch_held(self) -> None:
        opened = time.perf_counter()
        await asyncio.sleep(self.held_after_s)
        await self._tell(line.Held(seconds=round(time.perf_counter() - opened, 1)))

    # --- the agent's side --------------------------------------------------------------------

    async def _tell(self, report: line.Hello | line.Shown | line.DoorState | line.Forced
                    | line.Held | line.RequestToExit | line.Done) -> None:  # fmt: skip
        for writer in list(self._writers):
            try:
                writer.write(line.encode(report))
                await writer.drain()
            except ConnectionError:
                self._writers.remove(writer)

    def _obey(self, order: line.Unlock | line.Deny) -> None:
        if isinstance(order, line.Unlock):
            now = time.perf_counter()
            self.unlocks.append(now)
            self.unlocked_until = now + order.seconds
        else:
            self.denied += 1

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        try:
            await self._tell(line.Hello(door=self.code, firmware="parkops-sim"))
            while raw := await reader.readline():
                try:
                    order = line.ORDERS.validate_json(raw[: line.MAX_LINE_BYTES])
                except ValidationError:
                    log.warning("door %s: ignoring %r", self.code, raw[:80])
                    continue
                self._obey(order)
                await self._tell(line.Done(id=order.id))
        except ConnectionError:
            pass
        finally:
            if writer in self._writers:
                self._writers.remove(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def serve_door(
    door: SimulatedDoor, *, host: str, port: int, ready: asyncio.Event | None = None
) -> None:
    """Serve the door controller until cancelled."""
    server = await asyncio.start_server(door.connection, host, port)
    log.info("simulated door controller %s on %s:%d", door.code, host, port)
    if ready is not None:
        ready.set()
    try:
        async with server:
            await server.serve_forever()
    finally:
        if door._held is not None:
            door._held.cancel()

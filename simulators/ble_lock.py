"""A simulated BLE lock for the edge's fake BLE transport (there is no radio here): it speaks the
lock profile of `protocols.ble_lock`, relocks by itself, and can be told to miss scans, drop
connections or lose writes, so retries can be tested."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from protocols.ble_lock import COMMAND, LOCKED, STATE, UNLOCK, UNLOCKED


@dataclass
class SimulatedBleLock:
    """A lock's state, and the trouble it is to cause next."""

    address: str
    unlocked_until: float = 0.0
    unlocks: int = 0
    missed_scans: int = 0
    """Scans that will not find it (out of range, asleep)."""
    dropped_connections: int = 0
    """Connections that will fail."""
    silent_writes: int = 0
    """Writes taken at the link layer but never acted on (no state notification)."""
    _listeners: list[Callable[[bytes], None]] = field(default_factory=list)

    def refusal(self) -> str | None:
        """Why a connection fails now, if it does (each planned failure happens once)."""
        if self.missed_scans > 0:
            self.missed_scans -= 1
            return "not found by a scan"
        if self.dropped_connections > 0:
            self.dropped_connections -= 1
            return "connection failed"
        return None

    def write(self, characteristic: str, data: bytes) -> None:
        if characteristic != COMMAND:
            raise ValueError(f"characteristic {characteristic} is not writable")
        self.command(data)

    def subscribe(
        self, characteristic: str, callback: Callable[[bytes], None]
    ) -> Callable[[], None]:
        if characteristic != STATE:
            raise ValueError(f"characteristic {characteristic} does not notify")
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    @property
    def unlocked(self) -> bool:
        return time.monotonic() < self.unlocked_until

    def command(self, data: bytes) -> None:
        if self.silent_writes > 0:
            self.silent_writes -= 1
            return
        if data[:1] == bytes([UNLOCK]) and len(data) >= 2:
            self.unlocked_until = time.monotonic() + data[1]
            self.unlocks += 1
        else:
            self.unlocked_until = 0.0
        state = bytes([UNLOCKED if self.unlocked else LOCKED])
        loop = asyncio.get_running_loop()
        for listener in list(self._listeners):
            loop.call_soon(listener, state)  # notifications arrive after the write returns

"""A simulated BLE lock behind a fake BLE transport (there is no radio here): it speaks the
lock profile of `edge.drivers.ble_lock`, relocks by itself, and can be told to miss scans, drop
connections or lose writes, so retries can be tested."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from edge.drivers.ble_lock import COMMAND, LOCKED, STATE, UNLOCK, UNLOCKED
from edge.errors import TransportError
from edge.transports.ble import BleConnection


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


class FakeBleTransport:
    """A `BleTransport` over simulated locks, by address."""

    def __init__(self, locks: list[SimulatedBleLock], *, latency_s: float = 0.005) -> None:
        self.locks = {lock.address.upper(): lock for lock in locks}
        self.latency_s = latency_s
        self.connects = 0

    async def connect(self, address: str, *, timeout_s: float) -> BleConnection:
        await asyncio.sleep(self.latency_s)
        lock = self.locks.get(address.upper())
        if lock is None or lock.missed_scans > 0:
            if lock is not None:
                lock.missed_scans -= 1
            raise TransportError(f"BLE device {address} not found by a {timeout_s:g} s scan")
        if lock.dropped_connections > 0:
            lock.dropped_connections -= 1
            raise TransportError(f"BLE device {address}: connection failed")
        self.connects += 1
        return _FakeConnection(lock, self.latency_s)


class _FakeConnection:
    def __init__(self, lock: SimulatedBleLock, latency_s: float) -> None:
        self.lock, self.latency_s = lock, latency_s
        self._mine: list[Callable[[bytes], None]] = []

    async def write(self, characteristic: str, data: bytes) -> None:
        if characteristic != COMMAND:
            raise TransportError(f"characteristic {characteristic} is not writable")
        await asyncio.sleep(self.latency_s)
        self.lock.command(data)

    async def notify(self, characteristic: str, callback: Callable[[bytes], None]) -> None:
        if characteristic != STATE:
            raise TransportError(f"characteristic {characteristic} does not notify")
        self._mine.append(callback)
        self.lock._listeners.append(callback)

    async def close(self) -> None:
        for callback in self._mine:
            self.lock._listeners.remove(callback)
        self._mine.clear()

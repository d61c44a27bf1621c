"""Bluetooth LE for door locks: what a lock driver needs (find a device, connect, write a GATT
characteristic, hear its notifications) behind a small interface, and that interface on bleak
(BlueZ over D-Bus on the edge box), and a fake transport over simulated devices (no radio
here; `simulators.ble_lock` has a lock) that tests plug in.

bleak is imported only when the real transport connects, so an agent without locks, and every
test, runs without a Bluetooth stack.
"""

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Protocol

from edge.errors import TransportError


class BleConnection(Protocol):
    """One GATT connection to a device."""

    async def write(self, characteristic: str, data: bytes) -> None: ...

    async def notify(self, characteristic: str, callback: Callable[[bytes], None]) -> None: ...

    async def close(self) -> None: ...


class BleTransport(Protocol):
    """Finds a device by address by scanning, and connects to what the scan found."""

    async def connect(self, address: str, *, timeout_s: float) -> BleConnection: ...


class BleakTransport:
    """The real radio through bleak."""

    def __repr__(self) -> str:
        return "BleakTransport()"

    async def connect(self, address: str, *, timeout_s: float) -> BleConnection:
        from bleak import BleakClient, BleakScanner
        from bleak.exc import BleakError

        try:
            # Connecting from the scanned device (not the bare address) lets BlueZ use what the
            # scan learnt (address type, services) and fails fast when the lock is out of range.
            device = await BleakScanner.find_device_by_address(address, timeout=timeout_s)
            if device is None:
                raise TransportError(f"BLE device {address} not found by a {timeout_s:g} s scan")
            client = BleakClient(device, timeout=timeout_s)
            await client.connect()
        except (BleakError, OSError, TimeoutError) as exc:
            raise TransportError(f"BLE device {address}: {exc}") from exc
        return _BleakConnection(client, address)


class _BleakConnection:
    def __init__(self, client: Any, address: str) -> None:
        self.client, self.address = client, address

    async def write(self, characteristic: str, data: bytes) -> None:
        from bleak.exc import BleakError

        try:
            # With response: the lock acknowledges at the link layer before we wait for its state.
            await self.client.write_gatt_char(characteristic, data, response=True)
        except (BleakError, OSError, TimeoutError) as exc:
            raise TransportError(f"BLE device {self.address}: write failed: {exc}") from exc

    async def notify(self, characteristic: str, callback: Callable[[bytes], None]) -> None:
        from bleak.exc import BleakError

        def received(_sender: Any, data: bytearray) -> None:
            callback(bytes(data))

        try:
            await self.client.start_notify(characteristic, received)
        except (BleakError, OSError, TimeoutError) as exc:
            raise TransportError(f"BLE device {self.address}: notify failed: {exc}") from exc

    async def close(self) -> None:
        from bleak.exc import BleakError

        with contextlib.suppress(BleakError, OSError, TimeoutError):  # already gone
            await self.client.disconnect()


class BlePeer(Protocol):
    """A simulated device the fake transport reaches, by its address."""

    address: str

    def refusal(self) -> str | None:
        """None if a connection may be made now, else why not (a missed scan, a dropped link)."""
        ...

    def write(self, characteristic: str, data: bytes) -> None:
        """Take a write; ValueError for a characteristic that is not writable."""
        ...

    def subscribe(
        self, characteristic: str, callback: Callable[[bytes], None]
    ) -> Callable[[], None]:
        """Notify `callback`; returns how to stop. ValueError if it does not notify."""
        ...


class FakeBleTransport:
    """A `BleTransport` over simulated devices, with a link latency."""

    def __init__(self, peers: list[BlePeer], *, latency_s: float = 0.005) -> None:
        self.peers = {peer.address.upper(): peer for peer in peers}
        self.latency_s = latency_s
        self.connects = 0

    async def connect(self, address: str, *, timeout_s: float) -> BleConnection:
        await asyncio.sleep(self.latency_s)
        peer = self.peers.get(address.upper())
        refusal = "not found by a scan" if peer is None else peer.refusal()
        if peer is None or refusal is not None:
            raise TransportError(f"BLE device {address} {refusal} ({timeout_s:g} s)")
        self.connects += 1
        return _FakeConnection(peer, self.latency_s)


class _FakeConnection:
    def __init__(self, peer: BlePeer, latency_s: float) -> None:
        self.peer, self.latency_s = peer, latency_s
        self._stops: list[Callable[[], None]] = []

    async def write(self, characteristic: str, data: bytes) -> None:
        await asyncio.sleep(self.latency_s)
        try:
            self.peer.write(characteristic, data)
        except ValueError as exc:
            raise TransportError(str(exc)) from None

    async def notify(self, characteristic: str, callback: Callable[[bytes], None]) -> None:
        try:
            self._stops.append(self.peer.subscribe(characteristic, callback))
        except ValueError as exc:
            raise TransportError(str(exc)) from None

    async def close(self) -> None:
        for stop in self._stops:
            stop()
        self._stops.clear()

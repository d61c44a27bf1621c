"""Bluetooth LE for door locks: what a lock driver needs (find a device, connect, write a GATT
characteristic, hear its notifications) behind a small interface, and that interface on bleak
(BlueZ over D-Bus on the edge box). Tests plug in `simulators.ble_lock.FakeBleTransport`.

bleak is imported only when the real transport connects, so an agent without locks, and every
test, runs without a Bluetooth stack.
"""

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

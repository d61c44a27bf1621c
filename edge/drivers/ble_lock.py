"""A BLE door lock: connect, subscribe to its state, write an unlock, and wait for the lock to
say it is open; retried with a pause, since BLE links drop and scans miss. The lock profile is
`protocols.ble_lock`."""

import asyncio
import logging

from edge.errors import TransportError
from edge.transports.ble import BleConnection, BleTransport
from protocols.ble_lock import COMMAND, STATE, UNLOCK, UNLOCKED

log = logging.getLogger(__name__)


class BleLockDriver:
    """One lock by address, over a BLE transport."""

    def __init__(
        self,
        *,
        transport: BleTransport,
        address: str,
        attempts: int = 3,
        timeout_s: float = 5.0,
        pause_s: float = 0.5,
    ) -> None:
        self.transport, self.address = transport, address
        self.attempts, self.timeout_s, self.pause_s = attempts, timeout_s, pause_s

    def __repr__(self) -> str:
        return f"BleLockDriver({self.address})"

    async def unlock(self, seconds: int = 5) -> int:
        """Unlock for `seconds`; how many attempts it took. TransportError after the last."""
        if not 1 <= seconds <= 255:
            raise ValueError("a lock opens for 1..255 seconds")
        failure: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                await self._unlock_once(seconds)
                return attempt
            except (TransportError, TimeoutError) as exc:
                failure = exc
                log.info("lock %s: unlock try %d failed: %s", self.address, attempt, exc)
                if attempt < self.attempts:
                    await asyncio.sleep(self.pause_s * attempt)
        raise TransportError(
            f"lock {self.address}: not unlocked in {self.attempts} tries: {failure}"
        )

    async def _unlock_once(self, seconds: int) -> None:
        unlocked = asyncio.Event()

        def state(data: bytes) -> None:
            if data[:1] == bytes([UNLOCKED]):
                unlocked.set()

        async with asyncio.timeout(self.timeout_s):
            connection: BleConnection = await self.transport.connect(
                self.address, timeout_s=self.timeout_s
            )
            try:
                await connection.notify(STATE, state)
                await connection.write(COMMAND, bytes([UNLOCK, seconds]))
                await unlocked.wait()  # written is not open: the lock says so itself
            finally:
                await connection.close()

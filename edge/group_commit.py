"""Group commit: the readings of every bus that arrive within one short window go into the
outbox in one transaction, so one fsync covers them all.

One fsync per reading is what an SD card cannot keep up with: 200 meters polled every second
would ask for 200 flushes a second, and each blocks the agent while it runs. Grouped, the same
readings cost WINDOW_S⁻¹ flushes a second at most. The bus schedulers hand a reading over and
go on polling; it is on disk within WINDOW_S. An agent killed in that window loses those
readings as if the polls had not happened yet: no (boot, seq) was handed out for them, so the
cloud sees no gap, and the next poll of each meter reads its cumulative registers again.
Events (a door forced, a plate read) do not come this way: they are stored one by one.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from edge.outbox import NewReading, Outbox

log = logging.getLogger(__name__)

WINDOW_S = 0.05
"""How long a reading waits for others to share its transaction."""


class GroupCommit:
    """A reading sink for the bus schedulers that stores readings in groups (see above)."""

    def __init__(self, outbox: Outbox, *, window_s: float = WINDOW_S) -> None:
        self.outbox = outbox
        self.window_s = window_s
        self._waiting: list[NewReading] = []
        self._arrived = asyncio.Event()
        self.groups = 0
        """Transactions committed so far (for the benchmark)."""

    def __repr__(self) -> str:
        return f"GroupCommit({self.outbox!r}, window {self.window_s:g} s)"

    def append_reading(
        self,
        *,
        device: str,
        ts: datetime,
        values: dict[str, float],
        flags: Sequence[str] = (),
        billing: bool = False,
    ) -> None:
        """Take one poll; it is stored with the others of its window."""
        reading = NewReading(
            device=device, ts=ts, values=values, flags=tuple(flags), billing=billing
        )
        self._waiting.append(reading)
        self._arrived.set()

    async def run(self) -> None:
        """Store each window's readings until cancelled; what waits then is stored at once."""
        try:
            while True:
                await self._arrived.wait()
                await asyncio.sleep(self.window_s)
                self.flush()
        finally:
            self.flush()

    def flush(self) -> None:
        """Store every reading waiting now, in one transaction."""
        self._arrived.clear()
        if not self._waiting:
            return
        readings, self._waiting = self._waiting, []
        self.outbox.append_readings(readings)
        self.groups += 1
        log.debug("stored %d readings in one transaction", len(readings))

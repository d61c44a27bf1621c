"""One scheduler per physical bus: everything that goes on the wire of one bus goes through it,
one transaction at a time, in priority order.

Lanes, highest first: commands (a write, a re-read someone asked for), billing snapshots, then
telemetry. Within a lane the device most overdue goes first, so a saturated line shares its
time fairly instead of starving the last device in the list.

A device that stops answering costs its timeout, then is quarantined: its polls back off
exponentially (up to QUARANTINE_MAX_S) so a dead meter on a 9600-baud line does not eat the
healthy meters' time, and one probe per back-off notices when it returns. A device that answers
but slowly (over SLOW_FRACTION of its timeout) is polled no more often than its answers allow.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Protocol, TypeVar

from edge.errors import TransportError
from edge.health import LinkHealth

log = logging.getLogger(__name__)

T = TypeVar("T")

QUARANTINE_AFTER_FAILURES = 2
"""Consecutive failed polls before a device is polled on back-off instead of its interval."""
QUARANTINE_MAX_S = 300.0
"""Longest pause between probes of a quarantined device."""
SLOW_FRACTION = 0.5
"""An answer that takes more than this share of its timeout marks the device slow."""


class Lane(IntEnum):
    COMMAND = 0
    BILLING = 1
    TELEMETRY = 2


class ReadingSink(Protocol):
    """Where readings go (the outbox's group commit, the outbox itself, or a list in tests)."""

    def append_reading(
        self,
        *,
        device: str,
        ts: datetime,
        values: dict[str, float],
        flags: Sequence[str] = (),
        billing: bool = False,
    ) -> object: ...


class SnapshotReader(Protocol):
    """A device driver: one snapshot of everything it measures (MeterDriver, Dlt645Driver)."""

    async def read(self) -> dict[str, float]: ...


class ReadingCheck(Protocol):
    """Sanity of a snapshot before it is stored: returns flags, never drops anything."""

    def check(self, device: str, values: dict[str, float]) -> list[str]: ...


@dataclass
class PolledDevice:
    """A device on the bus, how often to read it, and what the scheduler knows about it."""

    code: str
    driver: SnapshotReader
    poll_interval_s: float
    deadline_s: float
    """Longest a snapshot may take (every request's timeout): beyond it the poll has failed."""
    billing: bool = False
    where: str = ""
    """Where an engineer finds it (bus and unit id), for the log."""
    health: LinkHealth = field(init=False)
    next_due: float = 0.0
    answer_s: float = 0.0
    """How long the last good snapshot took."""

    def __post_init__(self) -> None:
        where = f" ({self.where})" if self.where else ""
        self.health = LinkHealth(f"device {self.code}{where}", logger=log)

    @property
    def lane(self) -> Lane:
        return Lane.BILLING if self.billing else Lane.TELEMETRY

    @property
    def quarantined(self) -> bool:
        return self.health.failures >= QUARANTINE_AFTER_FAILURES

    def pause_after_poll_s(self) -> float:
        """Until the next poll: the interval, longer for a quarantined or slow device."""
        if self.quarantined:
            backoff: float = self.poll_interval_s * 2.0 ** (self.health.failures - 1)
            return min(QUARANTINE_MAX_S, max(self.poll_interval_s, backoff))
        if self.answer_s > SLOW_FRACTION * self.deadline_s:
            return max(self.poll_interval_s, 2 * self.answer_s)
        return self.poll_interval_s


@dataclass(frozen=True)
class _Command:
    job: Callable[[], Awaitable[object]]
    done: asyncio.Future[object]


class BusWorker:
    """Polls every device of one bus and runs commands on it, until cancelled."""

    def __init__(
        self,
        *,
        code: str,
        devices: list[PolledDevice],
        sink: ReadingSink,
        check: ReadingCheck | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.code = code
        self.devices = devices
        self.sink = sink
        self.check = check
        self._clock = clock
        self._commands: deque[_Command] = deque()
        self._wake = asyncio.Event()
        self.transactions = 0
        """Snapshots and commands run so far (for benchmarks and health)."""

    def __repr__(self) -> str:
        return f"BusWorker({self.code}, {len(self.devices)} devices)"

    def device(self, code: str) -> PolledDevice:
        for device in self.devices:
            if device.code == code:
                return device
        raise KeyError(f"bus {self.code} has no device {code!r}")

    async def submit(self, job: Callable[[], Awaitable[T]]) -> T:
        """Run `job` on the wire ahead of every poll (the command lane); its result or error."""
        done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._commands.append(_Command(job, done))
        self._wake.set()
        return await done  # type: ignore[return-value]

    async def reread(self, code: str) -> dict[str, float] | None:
        """Poll one device now, in the command lane; its values, or None if it did not answer."""
        device = self.device(code)
        return await self.submit(lambda: self.poll(device))

    async def run(self) -> None:
        now = self._clock()
        for each in self.devices:
            each.next_due = now
        while True:
            if self._commands:
                await self._run_command(self._commands.popleft())
                continue
            device = self._most_urgent()
            if device is not None and device.next_due <= self._clock():
                await self.poll(device)
                self._reschedule(device)
                continue
            await self._idle_until(device.next_due if device is not None else None)

    async def _idle_until(self, due: float | None) -> None:
        """Sleep until `due` (forever if None), or until a command arrives."""
        self._wake.clear()
        try:
            async with asyncio.timeout(None if due is None else due - self._clock()):
                await self._wake.wait()
        except TimeoutError:
            pass

    async def poll(self, device: PolledDevice) -> dict[str, float] | None:
        """Read one device once and store the reading; None if it did not answer in time."""
        started = self._clock()
        self.transactions += 1
        try:
            async with asyncio.timeout(device.deadline_s):
                values = await device.driver.read()
        except (TransportError, TimeoutError) as exc:
            device.health.failed(str(exc) or f"no answer within {device.deadline_s:g} s")
            return None
        device.answer_s = self._clock() - started
        device.health.succeeded()
        if values:
            flags = self.check.check(device.code, values) if self.check else []
            self.sink.append_reading(
                device=device.code,
                ts=datetime.now(UTC),
                values=values,
                flags=flags,
                billing=device.billing,
            )
        return values

    def _most_urgent(self) -> PolledDevice | None:
        """The due device of the highest lane, most overdue first; else the next to come due.

        A failing device's probe waits behind the healthy devices due at the same time (on
        RS-485 a silent device costs a whole timeout, which would make every poll after it
        late), but for no longer than one of its intervals, so it is still probed on a busy
        line."""
        if not self.devices:
            return None
        now = self._clock()
        due = [d for d in self.devices if d.next_due <= now]
        if due:
            return min(due, key=lambda d: (_yields(d, now), d.lane, d.next_due))
        return min(self.devices, key=lambda d: d.next_due)

    def _reschedule(self, device: PolledDevice) -> None:
        now = self._clock()
        device.next_due += device.pause_after_poll_s()
        if device.next_due < now:  # the bus fell behind: skip missed polls instead of bursting
            device.next_due = now

    async def _run_command(self, command: _Command) -> None:
        self.transactions += 1
        try:
            result = await command.job()
        except asyncio.CancelledError:
            command.done.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - the submitter gets it, the bus goes on
            if not command.done.done():
                command.done.set_exception(exc)
        else:
            if not command.done.done():
                command.done.set_result(result)


def _yields(device: PolledDevice, now: float) -> bool:
    """A failing device lets healthy ones go first, unless it is an interval overdue."""
    return device.health.failures > 0 and now - device.next_due < device.poll_interval_s

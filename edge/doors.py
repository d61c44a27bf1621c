"""The site's doors at work: each credential shown at a reader is checked locally against the
synced allow-list (`edge.decisions.decide_door`), the lock released or the reader told no, and
every happening stored as a `door_*` event in the outbox. Works with the cloud down. BLE locks
unlock on an `unlock_door` command, audited as `lock_*` events."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from edge.anpr_push import EventSink
from edge.commands import CommandRefused
from edge.decisions import decide_door
from edge.drivers.ble_lock import BleLockDriver
from edge.drivers.door import DoorLink
from edge.errors import TransportError
from edge.gate_memory import GateMemory
from edge.health import LinkHealth
from edge.transports.ble import BleTransport
from protocols import door_line as line
from protocols.gate import (
    DOOR_CLOSED,
    DOOR_DENIED,
    DOOR_FORCED_OPEN,
    DOOR_GRANTED,
    DOOR_HELD_OPEN,
    DOOR_OPENED,
    DOOR_REQUEST_TO_EXIT,
    HASHED_KINDS,
    LOCK_UNLOCK_FAILED,
    LOCK_UNLOCKED,
    DoorEventData,
    LockEventData,
)
from protocols.gate_config import BleLock, Door
from protocols.messages import Command

log = logging.getLogger(__name__)

RETRY_S = 5.0


class DoorWatcher:
    """One door: its link, the list it checks against, where its events go."""

    def __init__(
        self,
        door: Door,
        *,
        memory: GateMemory,
        sink: EventSink,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        retry_s: float = RETRY_S,
    ) -> None:
        self.door, self.memory, self.sink = door, memory, sink
        self._now = now
        self.retry_s = retry_s
        self.health = LinkHealth(f"door {door.code}", logger=log)
        self.connected = asyncio.Event()

    async def run(self) -> None:
        """Stay connected to the controller and act on its reports, until cancelled."""
        while True:
            try:
                async with DoorLink(host=self.door.host, port=self.door.port) as link:
                    self.health.succeeded()
                    self.connected.set()
                    async for report in link.reports():
                        await self.on_report(link, report)
            except TransportError as exc:
                self.health.failed(exc)
            finally:
                self.connected.clear()
            await asyncio.sleep(self.retry_s)

    async def on_report(self, link: DoorLink, report: line.Report) -> None:
        if isinstance(report, line.Shown):
            await self._check(link, report)
        elif isinstance(report, line.RequestToExit):
            await link.unlock(self.door.unlock_s)  # leaving needs no credential
            self._event(DOOR_REQUEST_TO_EXIT)
        elif isinstance(report, line.DoorState):
            self._event(DOOR_OPENED if report.state == "opened" else DOOR_CLOSED)
        elif isinstance(report, line.Forced):
            self._event(DOOR_FORCED_OPEN)
        elif isinstance(report, line.Held):
            self._event(DOOR_HELD_OPEN, held_s=report.seconds)

    async def _check(self, link: DoorLink, shown: line.Shown) -> None:
        at = self._now()
        decision = decide_door(
            self.memory.allow_list,
            kind=shown.kind,
            presented=shown.value,
            area=self.door.area,
            at=at,
        )
        credential = decision.credential
        # A card or key id may be named in the audit; a PIN or QR secret never.
        ref = credential.ref if credential is not None else None
        if ref is None and shown.kind not in HASHED_KINDS:
            ref = shown.value[:64]
        if decision.grant:
            await link.unlock(self.door.unlock_s)
        else:
            await link.deny()
        self._event(
            DOOR_GRANTED if decision.grant else DOOR_DENIED,
            at=at,
            credential_kind=shown.kind,
            credential_ref=ref,
            person=credential.person if credential is not None else None,
            reason=decision.reason,
        )

    def _event(self, event: str, *, at: datetime | None = None, **fields: object) -> None:
        data = DoorEventData.model_validate(
            {"door": self.door.code, "area": self.door.area, **fields}
        )
        self.sink.append_event(
            device=self.door.code,
            ts=at or self._now(),
            event=event,
            data=data.model_dump(mode="json", exclude_none=True),
        )


class LockUnlocker:
    """A BLE lock on command: unlock with retries, audited as `lock_unlocked` (with the tries
    it took) or `lock_unlock_failed`."""

    def __init__(
        self,
        lock: BleLock,
        *,
        transport: BleTransport,
        sink: EventSink,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        pause_s: float = 0.5,
    ) -> None:
        self.lock, self.sink, self._now = lock, sink, now
        self.driver = BleLockDriver(
            transport=transport, address=lock.address, attempts=lock.attempts, pause_s=pause_s
        )

    async def unlock(self, *, seconds: int = 5, person: str | None = None) -> LockEventData:
        try:
            attempts = await self.driver.unlock(seconds)
        except TransportError as exc:
            data = LockEventData(lock=self.lock.code, person=person, detail=str(exc)[:200])
            event = LOCK_UNLOCK_FAILED
        else:
            data = LockEventData(lock=self.lock.code, person=person, attempts=attempts)
            event = LOCK_UNLOCKED
        self.sink.append_event(
            device=self.lock.code,
            ts=self._now(),
            event=event,
            data=data.model_dump(mode="json", exclude_none=True),
        )
        return data


class _UnlockArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: int = Field(default=5, ge=1, le=255)
    by: str | None = Field(default=None, max_length=64)


def unlock_door_action(unlockers: list[LockUnlocker]) -> Callable[[Command], Awaitable[str]]:
    """The `unlock_door` command for BLE locks (device: the lock; args: seconds, by)."""
    by_code = {u.lock.code: u for u in unlockers}

    async def unlock_door(command: Command) -> str:
        unlocker = by_code.get(command.device or "")
        if unlocker is None:
            raise CommandRefused(f"no lock {command.device!r} on this agent")
        args = _UnlockArgs.model_validate(command.args)
        done = await unlocker.unlock(seconds=args.seconds, person=args.by)
        if done.attempts is None:
            raise CommandRefused(done.detail)
        return f"lock {unlocker.lock.code} unlocked for {args.seconds} s ({done.attempts} tries)"

    return unlock_door

"""The site's doors at work: each credential shown at a reader is checked locally against the
synced allow-list (`edge.decisions.decide_door`), the lock released or the reader told no, and
every happening stored as a `door_*` event in the outbox. Works with the cloud down."""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from edge.anpr_push import EventSink
from edge.decisions import decide_door
from edge.drivers.door import DoorLink
from edge.errors import TransportError
from edge.gate_memory import GateMemory
from edge.health import LinkHealth
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
    DoorEventData,
)
from protocols.gate_config import Door

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

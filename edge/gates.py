"""The gates of a site at work: a plate read at a gate's camera is decided locally
(`edge.decisions`), the barrier lifted through its relay board, and the passage stored as a
`gate_entry` or `gate_exit` event in the outbox (durable, never dropped). Exits of cars without
a pass ask the cloud, with a timeout; a manual open is stored as `gate_manual_open` with who and
why. The barrier moves before the event is written, so the fsync does not keep a car waiting.
"""

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from edge.anpr_push import EventSink
from edge.commands import BusHandle, CommandRefused
from edge.decisions import Decision, decide_entry, decide_exit, decide_exit_answer
from edge.drivers.barrier import BarrierDriver
from edge.errors import EdgeError
from edge.gate_memory import GateMemory
from protocols.gate import (
    GATE_ENTRY,
    GATE_EXIT,
    GATE_MANUAL_OPEN,
    GATE_STATE,
    ExitAnswer,
    ExitQuery,
    GatePassageData,
    GateStateData,
    ManualOpenData,
)
from protocols.gate_config import Gate
from protocols.messages import PLATE_READ, Command
from protocols.plates import normalise
from protocols.site_config import SiteConfig

log = logging.getLogger(__name__)


class Barrier(Protocol):
    """What a gate needs of its barrier (`edge.drivers.barrier.BarrierDriver`)."""

    async def open(self) -> None: ...


class ExitAsker(Protocol):
    """Who answers exit questions (`edge.uplink.Uplink`): None if no answer came in time."""

    async def ask_exit(self, query: ExitQuery, *, timeout_s: float) -> ExitAnswer | None: ...


class GateController:
    """One gate: decides for each plate read at its camera and for manual opens."""

    def __init__(
        self,
        *,
        gate: Gate,
        site: str,
        agent: str,
        barrier: Barrier | None,
        memory: GateMemory,
        sink: EventSink,
        asker: ExitAsker | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.gate, self.site, self.agent = gate, site, agent
        self.barrier = barrier
        self.memory = memory
        self.sink = sink
        self.asker = asker
        self._now = now

    def __repr__(self) -> str:
        return f"GateController({self.gate.code}, {self.gate.direction})"

    async def on_plate(self, plate: str, *, at: datetime | None = None) -> GatePassageData:
        """Decide for `plate` read now (or `at`), lift the barrier if so, store the passage."""
        at = at or self._now()
        read = normalise(plate)
        index = self.memory.index
        found = index.match(read) if read else None
        key = found[0] if found else read
        last = self.memory.last_passage(key) if key else None
        query_id = None
        if self.gate.direction == "entry":
            decision = decide_entry(self.gate, read, index=index, last=last, at=at)
        else:
            decision = decide_exit(self.gate, read, index=index, last=last, at=at)
            if decision.ask_cloud:
                query_id = uuid.uuid4().hex
                answer = await self._ask(query_id, read, at)
                decision = _keep_match(decide_exit_answer(self.gate, decision, answer), decision)
        opened, warning = await self._lift() if decision.open else (False, None)
        if opened:
            self.memory.record_passage(key, self.gate.direction, at)
        data = _passage_data(self.gate, read, decision, opened=opened, warning=warning)
        data = data.model_copy(update={"query_id": query_id, "list_version": index.version})
        event = GATE_ENTRY if self.gate.direction == "entry" else GATE_EXIT
        self.sink.append_event(device=self.gate.code, ts=at, event=event, data=_json(data))
        return data

    async def manual_open(
        self,
        *,
        reason: str,
        by: str,
        via: Literal["local", "cloud"] = "local",
        plate: str | None = None,
        command_id: str | None = None,
    ) -> ManualOpenData:
        """Lift the barrier by hand; audited as a `gate_manual_open` event whatever happens."""
        data = ManualOpenData(
            gate=self.gate.code, reason=reason, by=by, via=via, plate=plate, command_id=command_id
        )
        opened, _ = await self._lift()
        data = data.model_copy(update={"opened": opened})
        self.sink.append_event(
            device=self.gate.code, ts=self._now(), event=GATE_MANUAL_OPEN, data=_json(data)
        )
        return data

    @property
    def has_inputs(self) -> bool:
        """Whether the barrier's board reports a loop or its position."""
        wired = self.gate.loop_input is not None or self.gate.open_input is not None
        return isinstance(self.barrier, BarrierDriver) and wired

    async def watch_state(self) -> None:
        """Read the barrier's loop and position inputs every `state_poll_s` and store a
        `gate_state` event whenever they change, until cancelled."""
        assert isinstance(self.barrier, BarrierDriver) and self.has_inputs, "nothing to watch"
        last: dict[str, float] | None = None
        while True:
            try:
                now: dict[str, float] | None = await self.barrier.read()
            except EdgeError as exc:  # the bus worker's health logs the board's trouble
                log.debug("gate %s: inputs not read: %s", self.gate.code, exc)
                now = None
            if now is not None and now != last:
                state = _state_data(self.gate, now)
                self.sink.append_event(
                    device=self.gate.code, ts=self._now(), event=GATE_STATE, data=_json(state)
                )
                last = now
            await asyncio.sleep(self.gate.state_poll_s)

    async def _ask(self, query_id: str, plate: str, at: datetime) -> ExitAnswer | None:
        if self.asker is None:
            return None
        query = ExitQuery(
            id=query_id, site=self.site, agent=self.agent, gate=self.gate.code, plate=plate, ts=at
        )
        answer = await self.asker.ask_exit(query, timeout_s=self.gate.exit_query_timeout_s)
        if answer is not None and answer.id != query_id:
            return None
        return answer

    async def _lift(self) -> tuple[bool, str | None]:
        if self.barrier is None:
            return False, "no_barrier"
        try:
            await self.barrier.open()
        except (EdgeError, OSError) as exc:
            log.error("gate %s: barrier did not open: %s", self.gate.code, exc)
            return False, "barrier_failed"
        return True, None


def _keep_match(decision: Decision, first: Decision) -> Decision:
    if first.matched_plate is None:
        return decision
    return dataclasses.replace(decision, matched_plate=first.matched_plate)


def _passage_data(
    gate: Gate, plate: str, decision: Decision, *, opened: bool, warning: str | None
) -> GatePassageData:
    plate_pass = decision.plate_pass
    return GatePassageData(
        gate=gate.code,
        direction=gate.direction,
        plate=plate,
        opened=opened,
        basis=decision.basis if opened or not decision.open else "denied",
        reason=decision.reason,
        pass_kind=plate_pass.kind if plate_pass else None,
        tenant=plate_pass.tenant if plate_pass else None,
        matched_plate=decision.matched_plate,
        session_id=decision.session_id,
        amount_due=decision.amount_due,
        warning=warning or decision.warning,
    )


def _state_data(gate: Gate, inputs: dict[str, float]) -> GateStateData:
    barrier: Literal["open", "closed", "unknown"] = "unknown"
    if "barrier_up" in inputs:
        barrier = "open" if inputs["barrier_up"] else "closed"
    loop = bool(inputs["loop"]) if "loop" in inputs else None
    if gate.direction == "entry":
        return GateStateData(gate=gate.code, barrier=barrier, entry_loop=loop)
    return GateStateData(gate=gate.code, barrier=barrier, exit_loop=loop)


def _json(data: GatePassageData | ManualOpenData | GateStateData) -> dict[str, Any]:
    return data.model_dump(mode="json", exclude_none=True)


class GateEvents:
    """The event sink cameras write to: everything goes to the outbox as before, and a plate
    read at a gate's camera also goes to that gate's controller."""

    def __init__(self, sink: EventSink, controllers: list[GateController]) -> None:
        self.sink = sink
        self.controllers = controllers
        self.by_camera = {c.gate.camera: c for c in controllers if c.gate.camera is not None}
        self._deciding: set[asyncio.Task[GatePassageData]] = set()

    def append_event(
        self, *, device: str, ts: datetime, event: str, data: dict[str, Any] | None = None
    ) -> int:
        seq = self.sink.append_event(device=device, ts=ts, event=event, data=data)
        controller = self.by_camera.get(device)
        if event == PLATE_READ and controller is not None and data is not None:
            plate = str(data.get("plate", ""))
            task = asyncio.get_running_loop().create_task(
                controller.on_plate(plate, at=ts), name=f"gate {controller.gate.code}"
            )
            self._deciding.add(task)
            task.add_done_callback(self._deciding.discard)
        return seq

    async def settle(self, *, timeout_s: float = 5.0) -> None:
        """Wait for decisions and barrier pulses under way (shutdown, tests); cancel what is
        left after `timeout_s`."""
        # Every gate's, not only those with cameras: a manual open's coil must be released too.
        barriers = [c.barrier for c in self.controllers if isinstance(c.barrier, BarrierDriver)]
        try:
            async with asyncio.timeout(timeout_s):
                while self._deciding:
                    await asyncio.gather(*self._deciding, return_exceptions=True)
                for barrier in barriers:
                    await barrier.settle()
        except TimeoutError:
            log.warning("gave up waiting for %d gate decisions", len(self._deciding))
        for task in self._deciding:
            task.cancel()
        await asyncio.gather(*self._deciding, return_exceptions=True)


def gate_controllers(
    site: SiteConfig,
    *,
    buses: dict[str, BusHandle],
    memory: GateMemory,
    sink: EventSink,
    asker: ExitAsker | None,
) -> list[GateController]:
    """A controller for every gate of `site`, its barrier on the bus worker of its board."""
    controllers = []
    for gate in site.gates:
        barrier = None
        if gate.bus is not None and gate.unit_id is not None and gate.open_coil is not None:
            handle = buses[gate.bus]
            board: Any = handle.transport  # every Modbus transport reads discrete inputs
            barrier = BarrierDriver(
                lane=handle.worker,
                board=board,
                unit_id=gate.unit_id,
                open_coil=gate.open_coil,
                pulse_s=gate.pulse_s,
                loop_input=gate.loop_input,
                open_input=gate.open_input,
            )
        controllers.append(
            GateController(
                gate=gate,
                site=site.site,
                agent=site.agent,
                barrier=barrier,
                memory=memory,
                sink=sink,
                asker=asker,
            )
        )
    return controllers


class _OpenArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=200)
    by: str = Field(min_length=1, max_length=64)
    plate: str | None = Field(default=None, max_length=16)


def open_barrier_action(
    controllers: list[GateController],
) -> Callable[[Command], Awaitable[str]]:
    """The `open_barrier` command (device: the gate; args: reason, by), audited like a manual
    open at the gate."""
    by_code = {c.gate.code: c for c in controllers}

    async def open_barrier(command: Command) -> str:
        controller = by_code.get(command.device or "")
        if controller is None:
            raise CommandRefused(f"no gate {command.device!r} on this agent")
        args = _OpenArgs.model_validate(command.args)
        done = await controller.manual_open(
            reason=args.reason, by=args.by, via="cloud", plate=args.plate, command_id=command.id
        )
        if not done.opened:
            raise CommandRefused(f"gate {controller.gate.code}: the barrier did not open")
        return f"gate {controller.gate.code} opened"

    return open_barrier

"""The edge agent: one scheduler per bus, the outbox, its state, commands and the uplink, started
and stopped together."""

import asyncio
import logging
from contextlib import AsyncExitStack
from pathlib import Path

from edge.buses import bus_worker, cumulative_registers_of, open_link
from edge.commands import BusHandle, CommandRunner
from edge.doors import DoorWatcher, LockUnlocker, unlock_door_action
from edge.gate_memory import GateMemory
from edge.gates import GateController, GateEvents, gate_controllers, open_barrier_action
from edge.group_commit import GroupCommit
from edge.outbox import Outbox
from edge.sanity import CumulativeGuard
from edge.state import AgentState
from edge.uplink import Uplink
from protocols.site_config import SiteConfig

log = logging.getLogger(__name__)

GATES_SETTLE_S = 3.0
"""How long a stopping agent lets gate decisions and barrier pulses under way finish."""
UPLINK_GOODBYE_S = 3.0
"""How long a stopping agent waits for the uplink to announce it is going offline."""


class Agent:
    """An agent for one site config; `outbox` and `uplink` are there to observe.

    The outbox opens (and starts a new boot) on construction and closes when `run` ends, so
    make one Agent per run.
    """

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        settings = config.outbox
        self.outbox = Outbox(
            settings.path,
            agent=config.agent,
            resend_after_s=settings.resend_after_s,
            max_bytes=settings.max_bytes,
            alarm_fraction=settings.alarm_fraction,
            replay_records_per_s=settings.replay_records_per_s,
        )
        self.readings = GroupCommit(self.outbox)
        self.state = AgentState(state_path(config))
        registers = cumulative_registers_of(config)
        self.guard = CumulativeGuard(memory=self.state, registers=lambda d: registers.get(d, ()))
        self.buses: dict[str, BusHandle] = {}
        self.gate_memory = GateMemory(gate_memory_path(config), site=config.site)
        self.gates: list[GateController] = []
        self.doors: list[DoorWatcher] = []
        self.locks: list[LockUnlocker] = []
        self.events = GateEvents(self.outbox, [])
        """Where cameras store their reads: the outbox, and a gate's controller for its camera."""
        self.commands = CommandRunner(state=self.state, buses=self.buses)
        self.uplink = Uplink(
            config=config,
            outbox=self.outbox,
            commands=self.commands,
            on_lists=self.gate_memory.offer,
        )

    def __repr__(self) -> str:
        return f"Agent({self.config.site}/{self.config.agent}, boot {self.outbox.boot})"

    async def run(self, *, stop: asyncio.Event | None = None) -> None:
        """Poll and forward until `stop` is set or the task is cancelled; then close everything."""
        stop = stop or asyncio.Event()
        log.info(
            "agent %s/%s starting: boot %d, %d records waiting in the outbox",
            self.config.site,
            self.config.agent,
            self.outbox.boot,
            self.outbox.pending_count(),
        )
        async with AsyncExitStack() as resources:
            resources.callback(self.outbox.close)
            resources.callback(self.state.close)
            resources.callback(self.gate_memory.close)
            for bus in self.config.buses:
                link = await resources.enter_async_context(open_link(bus))
                self.buses[bus.code] = bus_worker(
                    self.config, bus, link, sink=self.readings, check=self.guard
                )
            self._start_gates()
            polling = [
                asyncio.create_task(handle.worker.run(), name=f"bus {code}")
                for code, handle in self.buses.items()
            ]
            storing = asyncio.create_task(self.readings.run(), name="group commit")
            if self.config.cameras:
                # Imported here: OpenCV and the OCR models load only for a site with cameras.
                from edge.cameras import camera_tasks

                state_dir = state_path(self.config).parent
                for name, job in camera_tasks(self.config, sink=self.events, state_dir=state_dir):
                    polling.append(asyncio.create_task(job, name=name))
            self.doors = [
                DoorWatcher(door, memory=self.gate_memory, sink=self.outbox)
                for door in self.config.doors
            ]
            for gate in (g for g in self.gates if g.has_inputs):
                name = f"gate {gate.gate.code} inputs"
                polling.append(asyncio.create_task(gate.watch_state(), name=name))
            for watcher in self.doors:
                name = f"door {watcher.door.code}"
                polling.append(asyncio.create_task(watcher.run(), name=name))
            uplink = asyncio.create_task(self.uplink.run(stop=stop), name="uplink")
            try:
                await _until_stop_or_failure(stop, [*polling, storing, uplink])
            finally:
                stop.set()
                # Decisions and coil releases under way need their bus: finish them first.
                await self.events.settle(timeout_s=GATES_SETTLE_S)
                for task in polling:
                    task.cancel()
                await asyncio.gather(*polling, return_exceptions=True)
                storing.cancel()  # stores what the last polls read
                await asyncio.gather(storing, return_exceptions=True)
                # The uplink sees `stop` and says goodbye on `up/status` before it disconnects.
                await asyncio.wait({uplink}, timeout=UPLINK_GOODBYE_S)
                uplink.cancel()
                await asyncio.gather(uplink, return_exceptions=True)
        log.info("agent %s/%s stopped", self.config.site, self.config.agent)

    def _start_gates(self) -> None:
        """Controllers for the site's gates, on the buses just opened; `open_barrier` commands."""
        self.gates = gate_controllers(
            self.config,
            buses=self.buses,
            memory=self.gate_memory,
            sink=self.outbox,
            asker=self.uplink,
        )
        self.events = GateEvents(self.outbox, self.gates)
        self.commands.actions["open_barrier"] = open_barrier_action(self.gates)
        if self.config.locks:
            from edge.transports.ble import BleakTransport

            radio = BleakTransport()
            self.locks = [
                LockUnlocker(lock, transport=radio, sink=self.outbox) for lock in self.config.locks
            ]
            self.commands.actions["unlock_door"] = unlock_door_action(self.locks)


def state_path(config: SiteConfig) -> Path:
    """The agent's state file (edge.state) lives beside its outbox."""
    outbox = Path(config.outbox.path)
    return outbox.with_name(f"{outbox.stem}-state.sqlite3")


def gate_memory_path(config: SiteConfig) -> Path:
    """The gates' memory (allow-list, last passages) lives beside the outbox."""
    outbox = Path(config.outbox.path)
    return outbox.with_name(f"{outbox.stem}-gates.sqlite3")


async def run_agent(config: SiteConfig, *, stop: asyncio.Event | None = None) -> None:
    """Run an agent for `config` until `stop` is set or the task is cancelled."""
    await Agent(config).run(stop=stop)


async def _until_stop_or_failure(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Return when `stop` is set; raise if a worker or the uplink dies (they never return)."""
    stopping = asyncio.create_task(stop.wait(), name="agent stop")
    try:
        done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        await asyncio.gather(stopping, return_exceptions=True)
    for task in done:
        if task is not stopping and not task.cancelled() and task.exception() is not None:
            raise RuntimeError(f"{task.get_name()} failed") from task.exception()

"""Commands from the cloud on `down/cmd`: run each id once, before it expires, on the bus it
concerns (in that bus's command lane, so a write never collides with a poll), and keep the
result until it has been published on `up/cmd-result`.

Actions (`args` in brackets):
- `reread` a device now (device);
- `write_coil` (bus, unit_id, address, value: bool), `write_register` (bus, unit_id, address,
  value: int, or values: [int]), where a configured `device` may stand in for bus and unit_id;
- `reboot_bus` (bus): drop the bus's connection; the next request opens it afresh.

At most once: the id is on disk before the command runs. If the agent stops while one runs,
the command is reported as interrupted after the restart, never run a second time.
"""

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.bus import BusWorker
from edge.errors import EdgeError
from edge.state import AgentState
from protocols.messages import Command, CommandResult

log = logging.getLogger(__name__)


class WritableTransport(Protocol):
    async def write_coil(self, *, unit_id: int, address: int, value: bool) -> None: ...

    async def write_registers(self, *, unit_id: int, address: int, values: list[int]) -> None: ...

    def close(self) -> object: ...


@dataclass(frozen=True)
class BusHandle:
    """What commands need of a bus: its scheduler and its transport."""

    worker: BusWorker
    transport: WritableTransport | None
    """None for a bus that cannot write (DL/T 645 meters are read only here)."""
    units: dict[str, int]
    """Device code -> unit id, for commands that name a device instead of a unit."""


class CommandRefused(EdgeError):
    """The command cannot run as given; the message says why."""


class _WriteArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bus: str | None = None
    unit_id: int | None = Field(default=None, ge=0, le=247)
    address: int = Field(ge=0, le=0xFFFF)
    value: int | bool | None = None
    values: list[int] | None = Field(default=None, min_length=1, max_length=123)


class CommandRunner:
    """Takes command payloads, runs them once, stores and hands back their results."""

    def __init__(
        self,
        *,
        state: AgentState,
        buses: dict[str, BusHandle],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        actions: dict[str, Callable[[Command], Awaitable[str]]] | None = None,
    ) -> None:
        self.state = state
        self.buses = buses
        self.actions = actions if actions is not None else {}
        """More actions by name (e.g. `open_barrier` from edge.gates): each returns its detail
        or raises CommandRefused."""
        self._now = now
        for command_id in state.unfinished_commands():
            state.finish_command(
                self._result(command_id, ok=False, detail="interrupted by an agent restart")
            )

    def unpublished(self) -> list[CommandResult]:
        """Results not yet known to have reached the broker (sent on every connect)."""
        return self.state.unpublished_results()

    def published(self, result: CommandResult) -> None:
        self.state.mark_published(result.id)

    async def handle(self, payload: bytes | str) -> CommandResult | None:
        """Run the command in `payload`; its result, or None if this id is already running.
        A repeated id gets its first result again (its earlier publish may have been lost)."""
        try:
            command = Command.model_validate_json(payload)
        except ValidationError as exc:
            return self._refuse_invalid(payload, exc)
        taken = self.state.take_command(command.id)
        if taken == "running":
            return None
        if isinstance(taken, CommandResult):
            log.info("command %s was run before; sending its result again", command.id)
            return taken
        result = await self._run(command)
        self.state.finish_command(result)
        return result

    async def _run(self, command: Command) -> CommandResult:
        left_s = (command.expires_at - self._now()).total_seconds()
        if left_s <= 0:
            return self._result(command.id, ok=False, detail="expired before it could run")
        try:
            async with asyncio.timeout(left_s):
                detail = await self._perform(command)
        except TimeoutError:
            return self._result(command.id, ok=False, detail="expired while running")
        except (CommandRefused, EdgeError, ValidationError, KeyError) as exc:
            return self._result(command.id, ok=False, detail=_reason(exc))
        log.info("command %s (%s) done: %s", command.id, command.action, detail)
        return self._result(command.id, ok=True, detail=detail)

    async def _perform(self, command: Command) -> str:
        action = command.action
        if action == "reread":
            handle, code = self._device(command)
            values = await handle.worker.reread(code)
            if values is None:
                raise CommandRefused(f"device {code} did not answer")
            return json.dumps(values, sort_keys=True)
        if action == "reboot_bus":
            handle = self._bus(command.args.get("bus"))
            await handle.worker.submit(lambda: _maybe_await(self._transport(handle).close()))
            return "connection dropped; the next request reconnects"
        if action in ("write_coil", "write_register"):
            return await self._write(command)
        if action in self.actions:
            return await self.actions[action](command)
        known = ", ".join(["reread", "write_coil", "write_register", "reboot_bus", *self.actions])
        raise CommandRefused(f"unknown action {action!r}; known: {known}")

    async def _write(self, command: Command) -> str:
        args = _WriteArgs.model_validate(command.args)
        handle, unit_id = self._write_target(command, args)
        transport = self._transport(handle)
        if command.action == "write_coil":
            if not isinstance(args.value, bool):
                raise CommandRefused("write_coil needs `value`: true or false")
            value = args.value
            await handle.worker.submit(
                lambda: transport.write_coil(unit_id=unit_id, address=args.address, value=value)
            )
            return f"coil {args.address} of unit {unit_id} set to {value}"
        words = args.values if args.values is not None else _one_word(args.value)
        await handle.worker.submit(
            lambda: transport.write_registers(unit_id=unit_id, address=args.address, values=words)
        )
        return f"{len(words)} register(s) from {args.address} of unit {unit_id} written"

    def _write_target(self, command: Command, args: _WriteArgs) -> tuple[BusHandle, int]:
        if command.device is not None:
            handle, code = self._device(command)
            return handle, handle.units[code]
        if args.unit_id is None:
            raise CommandRefused("a write needs `device`, or `bus` and `unit_id` in args")
        return self._bus(args.bus), args.unit_id

    def _device(self, command: Command) -> tuple[BusHandle, str]:
        code = command.device
        for handle in self.buses.values():
            if code is not None and any(d.code == code for d in handle.worker.devices):
                return handle, code
        raise CommandRefused(f"no device {code!r} on this agent")

    def _bus(self, code: object) -> BusHandle:
        if not isinstance(code, str) or code not in self.buses:
            raise CommandRefused(f"no bus {code!r} on this agent; known: {', '.join(self.buses)}")
        return self.buses[code]

    def _transport(self, handle: BusHandle) -> WritableTransport:
        if handle.transport is None:
            raise CommandRefused(f"bus {handle.worker.code} takes no writes")
        return handle.transport

    def _refuse_invalid(self, payload: bytes | str, exc: ValidationError) -> CommandResult | None:
        command_id = _id_of(payload)
        log.warning("invalid command %s: %s", command_id or "(no id)", exc)
        if command_id is None or self.state.take_command(command_id) != "new":
            return None
        result = self._result(command_id, ok=False, detail=f"invalid command: {_reason(exc)}")
        self.state.finish_command(result)
        return result

    def _result(self, command_id: str, *, ok: bool, detail: str) -> CommandResult:
        return CommandResult(id=command_id, ok=ok, detail=detail[:500], ts=self._now())


def _one_word(value: int | bool | None) -> list[int]:
    if value is None or isinstance(value, bool) or not 0 <= value <= 0xFFFF:
        raise CommandRefused("write_register needs `value` (0..65535) or `values`")
    return [value]


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        return f"{place}: {first['msg']}" if place else str(first["msg"])
    return str(exc.args[0]) if exc.args else type(exc).__name__


def _id_of(payload: bytes | str) -> str | None:
    """The id of a command that failed validation, if one can be read, to answer it."""
    try:
        data: Any = json.loads(payload)
    except ValueError:
        return None
    command_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(command_id, str) and 0 < len(command_id) <= 64:
        return command_id
    return None


async def _maybe_await(result: object) -> None:
    if inspect.isawaitable(result):
        await result

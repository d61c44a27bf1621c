import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from edge.bus import BusWorker
from edge.commands import BusHandle, CommandRunner
from edge.state import AgentState
from protocols.messages import Command, CommandResult
from tests.edge.test_bus import Readings, _scripted


class RelayBoard:
    """A transport that records writes; `hang` makes the next write never return."""

    def __init__(self, wire: list[str]) -> None:
        self.wire = wire
        self.hang = False
        self.closed = 0

    async def write_coil(self, *, unit_id: int, address: int, value: bool) -> None:
        if self.hang:
            await asyncio.sleep(3600)
        self.wire.append(f"coil {unit_id}/{address}={value}")

    async def write_registers(self, *, unit_id: int, address: int, values: list[int]) -> None:
        self.wire.append(f"registers {unit_id}/{address}={values}")

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
async def site(tmp_path):
    wire: list[str] = []
    board = RelayBoard(wire)
    worker = BusWorker(
        code="rs485-1", devices=[_scripted(wire, "EM-1", interval_s=0.05)], sink=Readings()
    )
    state = AgentState(tmp_path / "state.sqlite3")
    runner = CommandRunner(
        state=state,
        buses={"rs485-1": BusHandle(worker=worker, transport=board, units={"EM-1": 7})},
    )
    polling = asyncio.create_task(worker.run())
    yield runner, board, wire
    polling.cancel()
    await asyncio.gather(polling, return_exceptions=True)
    state.close()


def _cmd(action: str, *, id: str = "c1", device: str | None = None, expires_in_s=3600, **args):
    # An hour by default: parametrised payloads are made when the suite is collected, minutes
    # before their test runs.
    expires_at = datetime.now(UTC) + timedelta(seconds=expires_in_s)
    command = Command(id=id, action=action, device=device, args=args, expires_at=expires_at)
    return command.model_dump_json()


async def test_a_coil_write_runs_on_the_bus_and_reports_what_it_did(site):
    runner, _, wire = site
    result = await runner.handle(
        _cmd("write_coil", bus="rs485-1", unit_id=3, address=0, value=True)
    )
    assert result.ok and "coil 0 of unit 3" in result.detail
    assert "coil 3/0=True" in wire


async def test_a_device_stands_in_for_bus_and_unit(site):
    runner, _, wire = site
    result = await runner.handle(_cmd("write_register", device="EM-1", address=10, value=5))
    assert result.ok, result.detail
    assert "registers 7/10=[5]" in wire


async def test_a_repeated_id_runs_once_and_gets_the_same_result_again(site, tmp_path):
    runner, _, wire = site
    payload = _cmd("write_coil", id="open-gate-1", bus="rs485-1", unit_id=3, address=0, value=True)
    first = await runner.handle(payload)
    again = await runner.handle(payload)
    assert again == first
    assert wire.count("coil 3/0=True") == 1
    # ...and across a restart of the agent.
    restarted = CommandRunner(state=AgentState(tmp_path / "state.sqlite3"), buses=runner.buses)
    assert await restarted.handle(payload) == first
    assert wire.count("coil 3/0=True") == 1


async def test_an_expired_command_does_not_run(site):
    runner, _, wire = site
    result = await runner.handle(
        _cmd("write_coil", bus="rs485-1", unit_id=3, address=0, value=True, expires_in_s=-1)
    )
    assert not result.ok and "expired" in result.detail
    assert not any(w.startswith("coil") for w in wire)


async def test_a_command_that_outlives_its_expiry_is_reported_expired(site):
    runner, board, _ = site
    board.hang = True
    payload = _cmd("write_coil", bus="rs485-1", unit_id=3, address=0, value=True, expires_in_s=0.3)
    result = await runner.handle(payload)
    assert not result.ok and result.detail == "expired while running"


async def test_reread_returns_the_fresh_values(site):
    runner, _, wire = site
    result = await runner.handle(_cmd("reread", device="EM-1"))
    assert result.ok and json.loads(result.detail) == {"energy_import": 100.0}


async def test_reboot_bus_drops_the_connection(site):
    runner, board, _ = site
    result = await runner.handle(_cmd("reboot_bus", bus="rs485-1"))
    assert result.ok and board.closed == 1


@pytest.mark.parametrize(
    ("make_payload", "reason"),
    [
        (lambda: _cmd("fly", bus="rs485-1"), "unknown action 'fly'"),
        (lambda: _cmd("write_coil", bus="nope", unit_id=1, address=0, value=True), "no bus 'nope'"),
        (lambda: _cmd("write_coil", bus="rs485-1", address=0, value=True), "needs `device`"),
        (lambda: _cmd("write_coil", bus="rs485-1", unit_id=1, address=0, value=3), "true or false"),
        (lambda: _cmd("write_register", bus="rs485-1", unit_id=1, address=-1, value=3), "address"),
        (lambda: _cmd("reread", device="EM-9"), "no device 'EM-9'"),
        (lambda: '{"id": "c9", "action": "write_coil"}', "invalid command: expires_at"),
    ],
)
async def test_a_command_that_cannot_run_says_why(site, make_payload, reason):
    runner, _, _ = site
    result = await runner.handle(make_payload())  # built now: commands expire
    assert isinstance(result, CommandResult) and not result.ok
    assert reason in result.detail


async def test_an_invalid_payload_without_an_id_is_dropped(site):
    runner, _, _ = site
    assert await runner.handle(b"not json") is None


async def test_results_wait_until_published(site):
    runner, _, _ = site
    result = await runner.handle(_cmd("reboot_bus", bus="rs485-1"))
    assert runner.unpublished() == [result]
    runner.published(result)
    assert runner.unpublished() == []


async def test_a_command_cut_off_by_a_restart_is_reported_not_repeated(tmp_path):
    state = AgentState(tmp_path / "state.sqlite3")
    assert state.take_command("c-cut") == "new"
    state.close()
    runner = CommandRunner(state=AgentState(tmp_path / "state.sqlite3"), buses={})
    [result] = runner.unpublished()
    assert result.id == "c-cut" and not result.ok and "interrupted" in result.detail

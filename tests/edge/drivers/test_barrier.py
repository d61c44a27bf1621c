"""The barrier driver against the simulated relay board over real Modbus TCP, through a bus
worker's command lane."""

import asyncio
import time

import pytest

from edge.bus import BusWorker
from edge.drivers.barrier import BarrierDriver
from edge.errors import TransportError
from edge.transports.modbus import ModbusTcpTransport
from simulators.barrier import LiveBarrier, SimulatedBarrier, serve_barriers
from tests.conftest import free_tcp_port
from tests.support import eventually, running


class _Sink:
    def append_reading(self, **_: object) -> None:
        return None


async def _with_board(test, *, board: LiveBarrier, pulse_s: float = 0.1, unit_id: int = 3):
    port = free_tcp_port()
    worker = BusWorker(code="B-1", devices=[], sink=_Sink())
    async with (
        running(
            lambda ready: serve_barriers(host="127.0.0.1", port=port, boards=[board], ready=ready)
        ),
        ModbusTcpTransport(host="127.0.0.1", port=port, timeout_s=1.0) as transport,
    ):
        polling = asyncio.create_task(worker.run())
        driver = BarrierDriver(
            lane=worker,
            board=transport,
            unit_id=unit_id,
            open_coil=board.board.open_coil,
            pulse_s=pulse_s,
            loop_input=board.board.loop_input,
            open_input=board.board.open_input,
        )
        try:
            await test(driver, worker)
        finally:
            await driver.settle()
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)


async def test_open_pulses_the_coil_over_modbus_tcp_in_the_command_lane():
    board = LiveBarrier(SimulatedBarrier(unit_id=3, open_coil=2, up_s=5))

    async def test(driver: BarrierDriver, worker: BusWorker) -> None:
        before = time.perf_counter()
        await driver.open()
        assert len(board.pulses) == 1 and board.pulses[0] >= before
        assert board.coils[2] is True
        await eventually(lambda: board.coils[2] is False, what="coil switched off")
        assert worker.transactions == 2  # on and off, both through the lane
        assert (await driver.read())["barrier_up"] == 1.0

    await _with_board(test, board=board)


async def test_the_loop_input_reports_a_vehicle():
    board = LiveBarrier(SimulatedBarrier(unit_id=3, loop_input=4, open_input=5))

    async def test(driver: BarrierDriver, _: BusWorker) -> None:
        assert await driver.read() == {"loop": 0.0, "barrier_up": 0.0}
        board.vehicle_on_loop = True
        assert await driver.read() == {"loop": 1.0, "barrier_up": 0.0}

    await _with_board(test, board=board)


async def test_a_board_that_is_not_there_fails_the_open():
    board = LiveBarrier(SimulatedBarrier(unit_id=3))

    async def test(driver: BarrierDriver, _: BusWorker) -> None:
        with pytest.raises(TransportError):
            await driver.open()
        assert board.pulses == []

    await _with_board(test, board=board, unit_id=9)

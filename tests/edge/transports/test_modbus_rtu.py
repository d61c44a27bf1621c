"""The edge's RTU transports against the simulated RTU bus: on a pty (ModbusRtuTransport) and
behind a simulated serial-to-TCP converter (ModbusRtuOverTcpTransport)."""

import asyncio
import time

import pytest

from edge.drivers.meter import MeterDriver
from edge.errors import TransportError
from edge.transports.modbus import ModbusTcpTransport, open_transport
from edge.transports.modbus_rtu import ModbusRtuOverTcpTransport, ModbusRtuTransport
from protocols.profiles import PROFILES
from protocols.serial_timing import (
    RTU_READ_REQUEST_BYTES,
    frame_silence_s,
    frame_time_s,
    rtu_read_response_bytes,
)
from protocols.site_config import ModbusTcpBus
from simulators.meter import SimulatedMeter
from simulators.rtu import RelayBoard, RtuBus, UnitFault
from simulators.serial_line import SimulatedConverter
from tests.conftest import free_tcp_port
from tests.edge.transports.rtu_served import BAUD, LINK_KINDS, bus_config, served
from tests.support import running

EVERY_PROFILE = sorted(PROFILES)


def _bus(**kwargs) -> RtuBus:
    meters = [SimulatedMeter(unit_id=1 + i, profile=p, seed=i) for i, p in enumerate(EVERY_PROFILE)]
    return RtuBus(meters, **kwargs)


def _line_time_of_read(count: int) -> float:
    """Request, the silence ending it, the answer: the least a read can take at BAUD."""
    request = frame_time_s(RTU_READ_REQUEST_BYTES, BAUD)
    return request + frame_silence_s(BAUD) + frame_time_s(rtu_read_response_bytes(count), BAUD)


@pytest.mark.parametrize("kind", LINK_KINDS)
async def test_the_meter_driver_reads_every_profile(kind, tmp_path):
    bus = _bus()
    async with served(kind, bus, tmp_path) as (transport, _):
        for unit, meter in bus.meters.items():
            driver = MeterDriver(transport=transport, profile=meter.profile, unit_id=unit)
            readings = await driver.read()
            assert set(readings) == {v.metric for v in meter.profile.values}
            for measured in meter.profile.values:
                expected = meter.values[measured.metric]
                assert readings[measured.metric] == pytest.approx(
                    expected, rel=1e-5, abs=measured.scale
                ), (meter.profile.name, measured.metric)


@pytest.mark.parametrize("kind", LINK_KINDS)
async def test_a_dead_unit_costs_its_timeout_only(kind, tmp_path):
    bus = _bus(faults={2: UnitFault(dead=True)})
    asked: list[int] = []
    answer = bus.answer

    async def counting(frame: bytes) -> bytes | None:
        asked.append(frame[0])
        return await answer(frame)

    bus.answer = counting  # type: ignore[method-assign]
    async with served(kind, bus, tmp_path) as (transport, config):
        timeout_s = config.read_timeout_s(2)
        start = time.monotonic()
        with pytest.raises(TransportError, match=r"unit 2 register 0x4000: no complete answer"):
            await transport.read_registers(function_code=4, unit_id=2, address=0x4000, count=2)
        elapsed = time.monotonic() - start
        # Healthy units answer straight after it.
        assert len(await transport.read_registers(function_code=3, unit_id=1, address=20, count=3))
    assert asked.count(2) == 1  # asked once: no hidden retries
    assert timeout_s <= elapsed < timeout_s + 0.5  # its timeout, not a library's default


@pytest.mark.parametrize("kind", LINK_KINDS)
async def test_a_slow_unit_is_read_within_its_turnaround_and_given_up_on_beyond(kind, tmp_path):
    ddsu = 1 + EVERY_PROFILE.index("chint-ddsu666")
    bus = _bus(faults={ddsu: UnitFault(slow_s=0.05)})
    async with served(kind, bus, tmp_path, turnaround_s=0.1) as (transport, _):
        start = time.monotonic()
        words = await transport.read_registers(
            function_code=4, unit_id=ddsu, address=0x4000, count=2
        )
        assert len(words) == 2
        assert time.monotonic() - start >= 0.05 + _line_time_of_read(2)

        bus.faults[ddsu] = UnitFault(slow_s=0.3)
        with pytest.raises(TransportError, match=f"unit {ddsu} .*no complete answer"):
            await transport.read_registers(function_code=4, unit_id=ddsu, address=0x4000, count=2)
        await asyncio.sleep(0.4)  # its late answer comes and goes
        bus.faults.clear()
        assert len(await transport.read_registers(function_code=3, unit_id=1, address=20, count=3))


@pytest.mark.parametrize("kind", LINK_KINDS)
@pytest.mark.parametrize("count", [1, 2, 16])
async def test_a_read_never_beats_the_line(kind, count, tmp_path):
    """At 9600 baud the answer cannot come before the bytes could have crossed the line."""
    ddsu = 1 + EVERY_PROFILE.index("chint-ddsu666")
    async with served(kind, _bus(), tmp_path) as (transport, _):
        start = time.monotonic()
        await transport.read_registers(function_code=4, unit_id=ddsu, address=0x2000, count=count)
        assert time.monotonic() - start >= _line_time_of_read(count)


@pytest.mark.parametrize("kind", LINK_KINDS)
async def test_writes_switch_coils_and_meters_refuse_them(kind, tmp_path):
    board = RelayBoard(unit_id=30)
    bus = _bus(relay_boards=[board])
    async with served(kind, bus, tmp_path) as (transport, _):
        await transport.write_coil(unit_id=30, address=2, value=True)
        assert board.coils[2] is True
        assert await transport.read_coils(unit_id=30, address=0, count=4) == [
            False,
            False,
            True,
            False,
        ]
        await transport.write_coil(unit_id=30, address=2, value=False)
        assert board.coils == [False] * 8
        with pytest.raises(TransportError, match="unit 30 register 0x0008: .*exception code 2"):
            await transport.write_coil(unit_id=30, address=8, value=True)
        with pytest.raises(TransportError, match="unit 1 .*exception code 1 \\(illegal function"):
            await transport.write_registers(unit_id=1, address=20, values=[2300, 2310])
        with pytest.raises(TransportError, match="unit 1 .*exception code 2"):
            await transport.read_registers(function_code=3, unit_id=1, address=500, count=2)
        # Still talking after the refusals.
        assert len(await transport.read_registers(function_code=3, unit_id=1, address=20, count=3))


async def test_rtu_over_tcp_reconnects_on_the_next_call_after_a_failure(tmp_path):
    port = free_tcp_port()
    config_bus = _bus()
    config = bus_config("tcp", config_bus, where=port)
    async with open_transport(config) as transport:
        with pytest.raises(TransportError, match=f"127.0.0.1:{port} unit 1 .*cannot connect"):
            await transport.read_registers(function_code=3, unit_id=1, address=20, count=3)
        converter = SimulatedConverter(host="127.0.0.1", port=port, baud=BAUD)
        async with running(lambda ready: converter.serve(config_bus.answer, ready=ready)):
            assert len(
                await transport.read_registers(function_code=3, unit_id=1, address=20, count=3)
            )


async def test_open_transport_picks_the_transport_for_each_kind_of_bus(tmp_path):
    bus = _bus()
    serial_bus = bus_config("serial", bus, where=tmp_path / "ttyUSB9")
    tcp_bus = bus_config("tcp", bus, where=free_tcp_port())
    modbus_tcp = ModbusTcpBus.model_validate(
        {
            "code": "gw1",
            "host": "127.0.0.1",
            "devices": [{"code": "EM-1", "profile": "chint-ddsu666"}],
        }
    )
    async with open_transport(serial_bus) as rtu:
        assert isinstance(rtu, ModbusRtuTransport) and rtu.link.port == str(tmp_path / "ttyUSB9")
        # Nothing is opened before the first request: a missing adapter fails a poll only.
        with pytest.raises(TransportError, match="cannot open serial port"):
            await rtu.read_registers(function_code=3, unit_id=1, address=0, count=1)
    assert isinstance(open_transport(tcp_bus), ModbusRtuOverTcpTransport)
    assert isinstance(open_transport(modbus_tcp), ModbusTcpTransport)

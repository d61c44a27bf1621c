"""The simulated RTU bus answers frames as the devices on a real RS-485 line would."""

import asyncio
import time
from datetime import datetime

import pytest

from protocols import modbus_rtu as rtu
from protocols.profiles import CHINT_DDSU666, PROFILES
from protocols.register_plan import plan_reads
from simulators.meter import SITE_TIMEZONE, LiveMeter, Refusal, SimulatedMeter
from simulators.rtu import RelayBoard, RtuBus, UnitFault

WORKDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=SITE_TIMEZONE)


def _bus(**kwargs) -> RtuBus:
    meters = [SimulatedMeter(unit_id=1, profile=CHINT_DDSU666.name, start_energy_kwh=42.0)]
    return RtuBus(meters, started_at=WORKDAY_10AM, **kwargs)


def _read(unit: int, address: int, count: int, function_code: int = 4) -> bytes:
    return rtu.read_request(unit_id=unit, function_code=function_code, address=address, count=count)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_a_meter_answers_its_map_and_the_gaps_it_defines_and_refuses_the_rest(profile):
    meter = LiveMeter(SimulatedMeter(unit_id=1, profile=profile), started_at=WORKDAY_10AM)
    blocks = plan_reads(meter.profile, max_gap=meter.profile.max_gap)
    tables = {block.function_code for block in blocks}
    for block in blocks:
        words = meter.read_registers(block.function_code, block.address, block.count)
        for measured in block.values:
            start = measured.address - block.address
            assert words[start : start + measured.count] == [
                meter._words[measured.address + i] for i in range(measured.count)
            ]
        with pytest.raises(Refusal) as beyond:  # one register past the block
            meter.read_registers(block.function_code, block.address, block.count + 1)
        assert beyond.value.code == rtu.ILLEGAL_DATA_ADDRESS
        other_table = 7 - block.function_code  # 3 <-> 4
        if other_table not in tables:
            with pytest.raises(Refusal, match="undefined"):
                meter.read_registers(other_table, block.address, block.count)
    with pytest.raises(Refusal) as write:
        meter.read_registers(rtu.WRITE_SINGLE_REGISTER, 0, 1)
    assert write.value.code == rtu.ILLEGAL_FUNCTION


def test_gap_registers_the_profile_defines_read_as_zero():
    meter = LiveMeter(SimulatedMeter(unit_id=1), started_at=WORKDAY_10AM)
    # DDSU666 defines 0x2000..0x200F; only U, I, P and frequency are simulated.
    assert meter.read_registers(4, 0x2006, 8) == [0] * 8
    with pytest.raises(Refusal):
        meter.read_registers(4, 0x2000, 17)


async def test_frames_are_routed_by_unit_id():
    bus = _bus()
    request = _read(1, 0x4000, 2)
    words = rtu.parse_registers(request, await bus.answer(request))
    assert words == bus.meters[1].read_registers(4, 0x4000, 2)
    assert await bus.answer(_read(2, 0x4000, 2)) is None  # nobody at unit 2: silence


async def test_refusals_are_exception_answers():
    bus = _bus()
    request = _read(1, 0x3000, 2)
    with pytest.raises(rtu.ExceptionAnswer) as refused:
        rtu.parse_registers(request, await bus.answer(request))
    assert refused.value.code == rtu.ILLEGAL_DATA_ADDRESS
    write = rtu.write_registers_request(unit_id=1, address=0x2000, values=[1, 2])
    with pytest.raises(rtu.ExceptionAnswer) as refused:
        rtu.check_write_answer(write, await bus.answer(write))
    assert refused.value.code == rtu.ILLEGAL_FUNCTION


async def test_garbled_frames_and_broadcasts_get_no_answer():
    bus = _bus(relay_boards=[RelayBoard(unit_id=9)])
    request = _read(1, 0x4000, 2)
    assert await bus.answer(request[:-1] + bytes([request[-1] ^ 0xFF])) is None
    assert await bus.answer(b"\x01") is None
    broadcast = rtu.write_coil_request(unit_id=0, address=0, value=True)
    assert await bus.answer(broadcast) is None


async def test_dead_and_slow_units():
    bus = _bus(faults={1: UnitFault(dead=True)})
    assert await bus.answer(_read(1, 0x4000, 2)) is None
    bus.faults[1] = UnitFault(slow_s=0.05)
    start = time.monotonic()
    assert await bus.answer(_read(1, 0x4000, 2)) is not None
    assert time.monotonic() - start >= 0.05
    with pytest.raises(ValueError):
        UnitFault(slow_s=-1)


async def test_a_relay_board_switches_and_reports_its_coils():
    board = RelayBoard(unit_id=9, coils=[False] * 4)
    bus = _bus(relay_boards=[board])
    on = rtu.write_coil_request(unit_id=9, address=1, value=True)
    assert await bus.answer(on) == on  # the echo
    read = _read(9, 0, 4, function_code=rtu.READ_COILS)
    assert rtu.parse_bits(read, await bus.answer(read)) == [False, True, False, False]
    past_the_end = _read(9, 2, 3, function_code=rtu.READ_COILS)
    with pytest.raises(rtu.ExceptionAnswer, match="exception code 2"):
        rtu.parse_bits(past_the_end, await bus.answer(past_the_end))
    registers = _read(9, 0, 1, function_code=3)
    with pytest.raises(rtu.ExceptionAnswer, match="exception code 1"):
        rtu.parse_registers(registers, await bus.answer(registers))


def test_one_unit_id_per_device():
    meters = [SimulatedMeter(unit_id=1), SimulatedMeter(unit_id=1)]
    with pytest.raises(ValueError, match="unique"):
        RtuBus(meters)
    with pytest.raises(ValueError, match="both a meter and a relay board"):
        RtuBus([SimulatedMeter(unit_id=1)], relay_boards=[RelayBoard(unit_id=1)])


async def test_the_meters_move_on_while_the_bus_runs():
    bus = RtuBus([SimulatedMeter(unit_id=1, speed=3600.0)], started_at=WORKDAY_10AM)
    before = bus.meters[1].energy_kwh
    running = asyncio.create_task(bus.run())
    await asyncio.sleep(0.5)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    assert bus.meters[1].energy_kwh > before

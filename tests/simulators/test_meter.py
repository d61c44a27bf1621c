import asyncio
from datetime import datetime

import pytest
from pymodbus.client import AsyncModbusTcpClient

from protocols.codecs import decode
from protocols.profiles import (
    ACREL_ADW300,
    CHINT_DDSU666,
    EASTRON_SDM630,
    GENERIC_WATER_METER,
    PROFILES,
)
from simulators.meter import SITE_TIMEZONE, LiveMeter, SimulatedMeter, serve_meters
from tests.conftest import free_tcp_port
from tests.support import running

WORKDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=SITE_TIMEZONE)


def test_live_meter_physics_hold_together():
    meter = LiveMeter(SimulatedMeter(unit_id=1, start_energy_kwh=500.0), started_at=WORKDAY_10AM)
    values = meter.values
    assert 220.0 <= values["voltage"] <= 235.0
    assert values["current"] == pytest.approx(values["active_power"] * 1000 / values["voltage"])
    assert values["frequency"] == pytest.approx(50.0, abs=0.1)
    assert values["energy_import"] == 500.0


def test_energy_integrates_power_and_only_grows():
    meter = LiveMeter(SimulatedMeter(unit_id=1, speed=60.0), started_at=WORKDAY_10AM)
    readings = []
    for _ in range(60):  # one real minute at 60x: one simulated hour of a working morning
        meter.advance(1.0)
        readings.append(meter.energy_kwh)
    assert all(b > a for a, b in zip(readings, readings[1:], strict=False))
    # About an hour at the 8 kW plateau.
    assert readings[-1] == pytest.approx(8.0, rel=0.1)


def test_meters_that_cannot_exist_are_refused():
    with pytest.raises(ValueError):
        SimulatedMeter(unit_id=0)
    with pytest.raises(ValueError):
        SimulatedMeter(unit_id=1, speed=0)
    with pytest.raises(KeyError, match="known: .*chint-ddsu666"):
        SimulatedMeter(unit_id=1, profile="acme-9000")


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_profile_can_be_simulated_and_its_registers_decode_back(profile):
    meter = LiveMeter(SimulatedMeter(unit_id=1, profile=profile), started_at=WORKDAY_10AM)
    for measured in meter.profile.values:
        words = [meter._words[measured.address + i] for i in range(measured.count)]
        raw = decode(words, measured.data_type, measured.word_order)
        expected = meter.values[measured.metric]
        # Integer registers keep only as many digits as their scale allows.
        assert raw * measured.scale == pytest.approx(expected, rel=1e-5, abs=measured.scale)


def test_three_phases_share_the_load():
    meter = LiveMeter(
        SimulatedMeter(unit_id=1, profile=EASTRON_SDM630.name), started_at=WORKDAY_10AM
    )
    values = meter.values
    phase_kw = sum(values[f"voltage_l{n}"] * values[f"current_l{n}"] / 1000 for n in (1, 2, 3))
    assert phase_kw == pytest.approx(values["active_power"])
    assert len({round(values[f"current_l{n}"], 3) for n in (1, 2, 3)}) == 3  # not balanced


def test_scaled_integer_registers_hold_the_raw_count():
    meter = LiveMeter(
        SimulatedMeter(unit_id=1, profile=ACREL_ADW300.name, start_energy_kwh=1234.567),
        started_at=WORKDAY_10AM,
    )
    voltage = ACREL_ADW300.value("voltage_l1")
    assert meter._words[voltage.address] == round(meter.values["voltage_l1"] * 10)
    power = ACREL_ADW300.value("active_power")  # int32 watts for a kW metric
    watts = decode([meter._words[power.address], meter._words[power.address + 1]], "int32")
    assert watts == round(meter.values["active_power"] * 1000)
    energy = ACREL_ADW300.value("energy_import")
    hundredths = decode([meter._words[energy.address + i] for i in (0, 1)], "int32")
    assert hundredths == 123457


def test_water_volume_integrates_the_flow_and_only_grows():
    meter = LiveMeter(
        SimulatedMeter(unit_id=1, profile=GENERIC_WATER_METER.name, start_volume_m3=50.0, speed=60),
        started_at=WORKDAY_10AM,
    )
    readings = []
    for _ in range(60):  # one simulated hour of a working morning
        meter.advance(1.0)
        readings.append(meter.volume_m3)
    assert all(b > a for a, b in zip(readings, readings[1:], strict=False))
    assert 0.5 < meter.values["water_flow"] < 2.0
    assert readings[-1] - 50.0 == pytest.approx(1.2, rel=0.2)  # an hour at the plateau


async def _read(client, unit, metric):
    measured = CHINT_DDSU666.value(metric)
    response = await client.read_input_registers(
        measured.address, count=measured.count, device_id=unit
    )
    assert not response.isError(), response
    return decode(response.registers, measured.data_type, measured.word_order)


async def test_two_meters_behind_one_gateway_are_read_over_tcp():
    port = free_tcp_port()
    meters = [
        SimulatedMeter(unit_id=1, start_energy_kwh=1234.5, speed=3600.0),
        SimulatedMeter(unit_id=2, start_energy_kwh=10.0, seed=2),
    ]

    async def gateway(ready):
        await serve_meters(host="127.0.0.1", port=port, meters=meters, ready=ready)

    async with running(gateway):
        client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=1, retries=0)
        await client.connect()
        try:
            first = await _read(client, 1, "energy_import")
            assert first >= 1234.5
            assert await _read(client, 2, "energy_import") == pytest.approx(10.0, abs=0.01)
            assert 220.0 <= await _read(client, 1, "voltage") <= 235.0
            assert await _read(client, 2, "frequency") == pytest.approx(50.0, abs=0.1)
            # voltage, current and power sit next to each other: one request reads all three.
            block = await client.read_input_registers(0x2000, count=6, device_id=1)
            volts, amps, kw = (decode(block.registers[i : i + 2], "float32") for i in (0, 2, 4))
            assert amps == pytest.approx(kw * 1000 / volts, rel=1e-3)

            await asyncio.sleep(0.5)  # 30 simulated minutes at 3600x
            assert await _read(client, 1, "energy_import") > first

            # Absent unit: the gateway answers 0x0B, as a real TCP/RS-485 gateway does.
            absent = await client.read_input_registers(0x2000, count=2, device_id=9)
            assert absent.isError() and absent.exception_code == 0x0B
            # A measurement cannot be written, and an undefined address is an error.
            written = await client.write_register(0x2000, 1, device_id=1)
            assert written.isError()
            gap = await client.read_input_registers(0x2010, count=2, device_id=1)
            assert gap.isError() and gap.exception_code == 0x02
        finally:
            client.close()


async def test_port_in_use_is_reported_as_os_error():
    port = free_tcp_port()
    meters = [SimulatedMeter(unit_id=1)]

    async def gateway(ready):
        await serve_meters(host="127.0.0.1", port=port, meters=meters, ready=ready)

    async with running(gateway):
        with pytest.raises(OSError, match=str(port)):
            await serve_meters(host="127.0.0.1", port=port, meters=meters)


async def test_duplicate_unit_ids_are_refused():
    with pytest.raises(ValueError, match="unique"):
        await serve_meters(
            host="127.0.0.1",
            port=free_tcp_port(),
            meters=[SimulatedMeter(unit_id=1), SimulatedMeter(unit_id=1)],
        )

import asyncio
import math

import pytest

from edge.drivers.meter import MeterDriver
from edge.errors import TransportError
from edge.transports.modbus import ModbusTcpTransport
from protocols.codecs import encode
from protocols.profiles import (
    ACREL_ADW300,
    CHINT_DDSU666,
    EASTRON_SDM120,
    PROFILES,
    DeviceProfile,
    MeasuredValue,
)
from protocols.register_plan import plan_reads
from simulators.meter import SimulatedMeter, serve_meters
from tests.conftest import free_tcp_port
from tests.support import running


class FakeBus:
    """Registers by (function code, unit, address); records every request made."""

    def __init__(self, registers: dict[tuple[int, int, int], int]) -> None:
        self.registers = registers
        self.requests: list[tuple[int, int, int, int]] = []

    async def read_registers(
        self, *, function_code: int, unit_id: int, address: int, count: int
    ) -> list[int]:
        self.requests.append((function_code, unit_id, address, count))
        try:
            return [self.registers[(function_code, unit_id, address + i)] for i in range(count)]
        except KeyError:
            raise TransportError(f"unit {unit_id} answered exception code 2") from None


def _load(bus: FakeBus, unit: int, profile: DeviceProfile, values: dict[str, float]) -> None:
    """Put `values` in the unit's registers; the registers between them that the profile says
    are defined read as 0, as on the real meter."""
    for block in plan_reads(profile, max_gap=profile.max_gap):
        for address in range(block.address, block.address + block.count):
            bus.registers.setdefault((block.function_code, unit, address), 0)
    for metric, value in values.items():
        measured = profile.value(metric)
        words = encode(value / measured.scale, measured.data_type, measured.word_order)
        for offset, word in enumerate(words):
            bus.registers[(measured.function_code, unit, measured.address + offset)] = word


DDSU666_READING = {
    "voltage": 229.5,
    "current": 10.25,
    "active_power": 2.352,
    "frequency": 50.02,
    "energy_import": 18234.5,
}


async def test_reads_and_decodes_every_value_of_the_ddsu666():
    bus = FakeBus({})
    _load(bus, 3, CHINT_DDSU666, DDSU666_READING)
    values = await MeterDriver(transport=bus, profile=CHINT_DDSU666, unit_id=3).read()
    assert values == pytest.approx(DDSU666_READING, rel=1e-6)
    # 0x2000..0x200F is one defined block, read across its unlisted registers; energy apart.
    assert bus.requests == [(4, 3, 0x2000, 16), (4, 3, 0x4000, 2)]


async def test_without_a_gap_allowance_no_unlisted_register_is_read():
    bus = FakeBus({})
    _load(bus, 3, CHINT_DDSU666, DDSU666_READING)
    for address in range(0x2006, 0x200E):  # as on a meter that does not define them
        del bus.registers[(4, 3, address)]
    plan = plan_reads(CHINT_DDSU666, max_gap=0)
    driver = MeterDriver(transport=bus, profile=CHINT_DDSU666, unit_id=3, reads=plan)
    assert await driver.read() == pytest.approx(DDSU666_READING, rel=1e-6)
    assert bus.requests == [(4, 3, 0x2000, 6), (4, 3, 0x200E, 2), (4, 3, 0x4000, 2)]


def test_reads_are_grouped_only_where_registers_touch():
    profile = DeviceProfile(
        name="mixed",
        manufacturer="test",
        model="test",
        values=(
            MeasuredValue("b", 0x11, "uint16", "x", function_code=3),
            MeasuredValue("a", 0x10, "uint16", "x", function_code=3),
            MeasuredValue("c", 0x12, "uint16", "x", function_code=4),  # other table
            MeasuredValue("d", 0x14, "float32", "x", function_code=3),  # gap at 0x12
        ),
    )
    blocks = plan_reads(profile)
    plan = [(b.function_code, b.address, b.count, [v.metric for v in b.values]) for b in blocks]
    assert plan == [(3, 0x10, 2, ["a", "b"]), (3, 0x14, 2, ["d"]), (4, 0x12, 1, ["c"])]


async def test_scale_word_order_and_signedness_are_applied():
    profile = DeviceProfile(
        name="scaled",
        manufacturer="test",
        model="test",
        values=(
            MeasuredValue("power", 0x0, "int16", "kW", scale=0.01, function_code=3),
            MeasuredValue("energy", 0x1, "uint32", "kWh", scale=0.1, word_order="little"),
        ),
    )
    bus = FakeBus({})
    _load(bus, 1, profile, {"power": -12.34, "energy": 123456.7})
    assert await MeterDriver(transport=bus, profile=profile, unit_id=1).read() == pytest.approx(
        {"power": -12.34, "energy": 123456.7}
    )


async def test_a_value_the_meter_marks_not_available_is_left_out():
    bus = FakeBus({})
    _load(bus, 1, CHINT_DDSU666, DDSU666_READING | {"frequency": math.nan})
    values = await MeterDriver(transport=bus, profile=CHINT_DDSU666, unit_id=1).read()
    assert "frequency" not in values and values["voltage"] == pytest.approx(229.5)


async def test_a_failed_request_fails_the_whole_read():
    bus = FakeBus({})
    _load(bus, 1, CHINT_DDSU666, DDSU666_READING)
    del bus.registers[(4, 1, 0x4001)]
    with pytest.raises(TransportError):
        await MeterDriver(transport=bus, profile=CHINT_DDSU666, unit_id=1).read()


async def test_reads_the_simulated_meter_over_tcp():
    port = free_tcp_port()
    meter = SimulatedMeter(unit_id=4, start_energy_kwh=777.0)

    async def gateway(ready):
        await serve_meters(host="127.0.0.1", port=port, meters=[meter], ready=ready)

    async with (
        running(gateway),
        ModbusTcpTransport(host="127.0.0.1", port=port, timeout_s=1.0) as transport,
    ):
        values = await MeterDriver(transport=transport, profile=CHINT_DDSU666, unit_id=4).read()
    assert set(values) == set(DDSU666_READING)
    assert 220 <= values["voltage"] <= 235
    assert values["frequency"] == pytest.approx(50, abs=0.1)
    assert values["energy_import"] == pytest.approx(777.0, abs=0.01)
    assert values["current"] == pytest.approx(values["active_power"] * 1000 / values["voltage"])


def _words(bus: FakeBus, unit: int, function_code: int, address: int, words: list[int]) -> None:
    for offset, word in enumerate(words):
        bus.registers[(function_code, unit, address + offset)] = word


async def test_acrel_adw300_scaled_integers_from_hand_built_registers():
    bus = FakeBus({})
    _words(bus, 2, 3, 20, [2301, 2298, 2305])  # 0.1 V
    _words(bus, 2, 3, 26, [1025, 987, 1010])  # 0.01 A
    _words(bus, 2, 3, 36, [0xFFFF, 0xFA24])  # int32 W: -1500 W, exporting
    _words(bus, 2, 3, 62, [0x075B, 0xCD15])  # int32 0.01 kWh: 123456789
    values = await MeterDriver(transport=bus, profile=ACREL_ADW300, unit_id=2).read()
    assert values == pytest.approx(
        {
            "voltage_l1": 230.1,
            "voltage_l2": 229.8,
            "voltage_l3": 230.5,
            "current_l1": 10.25,
            "current_l2": 9.87,
            "current_l3": 10.10,
            "active_power": -1.5,
            "energy_import": 1234567.89,
        }
    )
    assert bus.requests == [(3, 2, 20, 3), (3, 2, 26, 3), (3, 2, 36, 2), (3, 2, 62, 2)]


async def test_eastron_sdm120_watts_become_kilowatts():
    bus = FakeBus({})
    _words(bus, 1, 4, 0x0000, [0x4366, 0x0000])  # 230.0 V
    _words(bus, 1, 4, 0x0006, [0x4124, 0x0000])  # 10.25 A
    _words(bus, 1, 4, 0x000C, [0x4513, 0x0000])  # 2352.0 W
    _words(bus, 1, 4, 0x0046, [0x4248, 0x0000, 0x447A, 0x0000])  # 50.0 Hz, 1000.0 kWh
    values = await MeterDriver(transport=bus, profile=EASTRON_SDM120, unit_id=1).read()
    assert values == pytest.approx(
        {
            "voltage": 230.0,
            "current": 10.25,
            "active_power": 2.352,
            "frequency": 50.0,
            "energy_import": 1000.0,
        }
    )
    # Frequency and import energy touch: one request for both.
    assert bus.requests == [(4, 1, 0x0, 2), (4, 1, 0x6, 2), (4, 1, 0xC, 2), (4, 1, 0x46, 4)]


PLAUSIBLE = {
    "voltage": (215.0, 240.0),
    "current": (0.0, 60.0),
    "active_power": (0.0, 15.0),
    "frequency": (49.9, 50.1),
    "energy_import": (500.0, 600.0),
    "water_volume": (500.0, 600.0),
    "water_flow": (0.0, 5.0),
}


@pytest.mark.parametrize("name", sorted(PROFILES))
async def test_reads_every_simulated_profile_over_tcp(name):
    profile = PROFILES[name]
    port = free_tcp_port()
    meter = SimulatedMeter(
        unit_id=5, profile=name, start_energy_kwh=500.0, start_volume_m3=500.0, speed=3600.0
    )

    async def gateway(ready):
        await serve_meters(host="127.0.0.1", port=port, meters=[meter], ready=ready)

    async with (
        running(gateway),
        ModbusTcpTransport(host="127.0.0.1", port=port, timeout_s=1.0) as transport,
    ):
        driver = MeterDriver(transport=transport, profile=profile, unit_id=5)
        first = await driver.read()
        await asyncio.sleep(0.3)  # five simulated minutes at 3600x
        second = await driver.read()

    assert set(first) == set(second) == {v.metric for v in profile.values}
    for metric, value in first.items():
        low, high = PLAUSIBLE[metric.removesuffix("_l1").removesuffix("_l2").removesuffix("_l3")]
        assert low <= value <= high, (metric, value)
    for measured in profile.values:
        if measured.cumulative:
            assert second[measured.metric] >= first[measured.metric]
    assert max(second[v.metric] - first[v.metric] for v in profile.values if v.cumulative) > 0

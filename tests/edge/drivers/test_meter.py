import math

import pytest

from edge.drivers.meter import MeterDriver, plan_reads
from edge.errors import TransportError
from edge.transports.modbus import ModbusTcpTransport
from protocols.codecs import encode
from protocols.profiles import CHINT_DDSU666, DeviceProfile, MeasuredValue
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
    # voltage, current and power are adjacent: one request; frequency and energy one each.
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

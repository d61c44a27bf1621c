from datetime import UTC, datetime, timedelta

from pymodbus.client import AsyncModbusTcpClient

from protocols.codecs import decode
from protocols.site_config import SiteConfig
from simulators.meter import SITE_TIMEZONE, LiveMeter
from simulators.site import meters_of, serve_site
from tests.conftest import free_tcp_port
from tests.support import running

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _config(ports: list[int]) -> SiteConfig:
    buses = [
        {
            "kind": "modbus_tcp",
            "code": f"gw{i}",
            "host": "127.0.0.1",
            "port": port,
            "devices": [
                {"code": f"EM-{i}-1", "profile": "chint-ddsu666", "unit_id": 1},
                {"code": f"EM-{i}-5", "profile": "chint-ddsu666", "unit_id": 5},
            ],
        }
        for i, port in enumerate(ports)
    ]
    return SiteConfig.model_validate({"site": "park1", "agent": "bldg-a", "buses": buses})


def test_each_device_gets_a_stable_distinct_meter():
    bus = _config([1502]).buses[0]
    first, again = meters_of(bus, speed=5.0, now=NOW), meters_of(bus, speed=5.0, now=NOW)
    assert first == again
    assert [m.unit_id for m in first] == [1, 5]
    assert first[0].seed != first[1].seed
    assert first[0].start_energy_kwh != first[1].start_energy_kwh
    assert {m.speed for m in first} == {5.0}


def test_a_site_started_later_starts_from_higher_registers():
    bus = _config([1502]).buses[0]
    earlier = meters_of(bus, now=NOW)
    later = meters_of(bus, now=NOW + timedelta(hours=1))
    for before, after in zip(earlier, later, strict=True):
        assert after.start_energy_kwh > before.start_energy_kwh


def test_a_restart_never_serves_less_than_the_run_before_it_served():
    bus = _config([1502]).buses[0]
    # Monday 08:00 to 18:00 in the park: the working day, when a meter counts fastest.
    morning = datetime(2026, 3, 2, 8, 0, tzinfo=SITE_TIMEZONE)
    first_run = LiveMeter(meters_of(bus, now=morning)[0], started_at=morning)
    for _ in range(10 * 60):
        first_run.advance(60.0)
    evening = morning + timedelta(hours=10)
    assert first_run.simulated_at == evening
    restarted = meters_of(bus, now=evening)[0]
    assert restarted.start_energy_kwh >= first_run.energy_kwh


async def test_every_bus_and_unit_of_the_config_is_served():
    ports = [free_tcp_port(), free_tcp_port()]
    config = _config(ports)

    async def site(ready):
        await serve_site(config, speed=10.0, ready=ready)

    async with running(site):
        for port in ports:
            client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=1, retries=0)
            await client.connect()
            try:
                for unit in (1, 5):
                    reply = await client.read_input_registers(0x4000, count=2, device_id=unit)
                    assert decode(reply.registers, "float32") >= 1000.0
                assert (await client.read_input_registers(0x4000, count=2, device_id=2)).isError()
            finally:
                client.close()

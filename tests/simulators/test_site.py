from pymodbus.client import AsyncModbusTcpClient

from protocols.codecs import decode
from protocols.site_config import SiteConfig
from simulators.site import meters_of, serve_site
from tests.conftest import free_tcp_port
from tests.support import running


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
    first, again = meters_of(bus, speed=5.0), meters_of(bus, speed=5.0)
    assert first == again
    assert [m.unit_id for m in first] == [1, 5]
    assert first[0].seed != first[1].seed
    assert first[0].start_energy_kwh != first[1].start_energy_kwh
    assert {m.speed for m in first} == {5.0}


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

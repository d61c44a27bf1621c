"""A simulated site serves every bus kind of its config: TCP gateway, serial line on a pty,
RTU through a serial-to-TCP converter, DL/T 645 on a pty."""

from edge.drivers.dlt645 import Dlt645Driver
from edge.transports.modbus import open_transport
from edge.transports.serial import SerialLink
from protocols.codecs import decode
from protocols.site_config import SiteConfig
from simulators.site import serve_site
from tests.conftest import free_tcp_port
from tests.support import running


def _config(tmp_path, tcp_port: int, converter_port: int) -> SiteConfig:
    def devices(prefix: str) -> list[dict[str, object]]:
        return [
            {"code": f"{prefix}-1", "profile": "chint-ddsu666", "unit_id": 1},
            {"code": f"{prefix}-7", "profile": "eastron-sdm120", "unit_id": 7},
        ]

    buses = [
        {"kind": "modbus_tcp", "code": "gw", "host": "127.0.0.1", "port": tcp_port},
        {"kind": "modbus_rtu", "code": "line", "port": str(tmp_path / "ttyUSB0"), "baud": 19200},
        {
            "kind": "modbus_rtu_over_tcp",
            "code": "conv",
            "host": "127.0.0.1",
            "port": converter_port,
            "parity": "E",
        },
    ]
    buses = [{**bus, "devices": devices(bus["code"])} for bus in buses]
    buses.append(
        {
            "kind": "dlt645",
            "code": "dlt",
            "port": str(tmp_path / "ttyUSB1"),
            "devices": [{"code": "DL-1", "address": "000000000001"}],
        }
    )
    return SiteConfig.model_validate({"site": "park1", "agent": "bldg-a", "buses": buses})


async def test_every_bus_kind_is_served(tmp_path):
    config = _config(tmp_path, free_tcp_port(), free_tcp_port())
    async with running(lambda ready: serve_site(config, speed=10.0, ready=ready)):
        for bus in config.buses[:3]:
            async with open_transport(bus) as transport:
                energy = await transport.read_registers(
                    function_code=4, unit_id=1, address=0x4000, count=2
                )
                assert decode(energy, "float32") >= 1000.0, bus.code
                sdm120 = await transport.read_registers(
                    function_code=4, unit_id=7, address=0x0048, count=2
                )
                assert decode(sdm120, "float32") >= 1000.0, bus.code
        dlt = config.buses[3]
        async with SerialLink(port=dlt.port, baud=dlt.baud, parity="E", stop_bits=1) as link:
            driver = Dlt645Driver(link=link, address="000000000001", timeout_s=1.0)
            assert (await driver.read())["energy_import"] >= 1000.0
        assert (tmp_path / "ttyUSB0").is_symlink() and (tmp_path / "ttyUSB1").is_symlink()
    assert not (tmp_path / "ttyUSB0").exists() and not (tmp_path / "ttyUSB1").exists()

"""The demo site served whole: its barriers' relay boards answer on the meters' gateway."""

from edge.transports.modbus import ModbusTcpTransport
from protocols.site_config import SiteConfig
from simulators.site import barriers_of, serve_site
from tests.sites import demo_site_raw
from tests.support import running


async def test_the_demo_barriers_sit_beside_the_meters_on_one_gateway(tmp_path):
    raw = demo_site_raw(broker_url="mqtt://127.0.0.1:1", outbox=tmp_path / "o.sqlite3")
    config = SiteConfig.model_validate(raw)
    boards = barriers_of(config)
    assert set(boards) == {"G-A-IN", "G-A-OUT"}
    bus = config.buses[0]
    async with (
        running(lambda ready: serve_site(config, ready=ready, barriers=boards)),
        ModbusTcpTransport(host="127.0.0.1", port=bus.port, timeout_s=1.0) as transport,
    ):
        await transport.write_coil(unit_id=11, address=0, value=True)
        assert len(boards["G-A-OUT"].pulses) == 1 and boards["G-A-IN"].pulses == []
        assert await transport.read_discrete_inputs(unit_id=11, address=0, count=2) == [False, True]
        block = config.read_plan(bus, bus.devices[0])[0]
        registers = await transport.read_registers(
            function_code=block.function_code, unit_id=1, address=block.address, count=block.count
        )
        assert len(registers) == block.count  # the meters still answer

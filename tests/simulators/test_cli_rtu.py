"""`parkops sim rtu` and `parkops sim site` with serial buses serve until Ctrl-C and clean up."""

import asyncio

from edge.errors import TransportError
from edge.transports.modbus_rtu import ModbusRtuTransport
from edge.transports.serial import SerialLink
from protocols.site_config import ModbusRtuBus
from tests.simulators.test_cli import _interrupt, _start


async def _answers(link, unit: int) -> bool:
    if not link.is_symlink():
        return False
    bus = ModbusRtuBus(
        code="b",
        port=str(link),
        devices=[{"code": "EM-1", "unit_id": unit, "profile": "chint-ddsu666"}],
    )
    serial_link = SerialLink(port=str(link), baud=9600, parity="N", stop_bits=1)
    async with ModbusRtuTransport(link=serial_link, timeouts=bus) as transport:
        try:
            await transport.read_registers(function_code=4, unit_id=unit, address=0x4000, count=2)
        except TransportError:
            return False
    return True


async def _wait_until_answering(link, unit: int, *, timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await _answers(link, unit):
        assert asyncio.get_running_loop().time() < deadline, f"nothing answered on {link}"
        await asyncio.sleep(0.1)


async def test_rtu_command_serves_a_line_until_ctrl_c(tmp_path):
    link = tmp_path / "ttyPARK0"
    process = await _start("rtu", "--link", str(link), "--unit", "3", "--unit", "4")
    try:
        await _wait_until_answering(link, 3)
        assert await _answers(link, 4)
    finally:
        code, output = await _interrupt(process)
    assert code == 0, output
    assert "Traceback" not in output and "units [3, 4]" in output
    assert not link.exists() and not link.is_symlink()


async def test_site_command_serves_a_serial_bus(tmp_path):
    link = tmp_path / "ttyUSB0"
    config = tmp_path / "site.yaml"
    config.write_text(
        "site: park1\nagent: bldg-a\nbuses:\n"
        f"  - {{kind: modbus_rtu, code: line1, port: {link},\n"
        "     devices: [{code: EM-1, profile: chint-ddsu666, unit_id: 5}]}\n",
        encoding="utf-8",
    )
    process = await _start("site", "--config", str(config))
    try:
        await _wait_until_answering(link, 5)
    finally:
        code, output = await _interrupt(process)
    assert code == 0 and "Traceback" not in output, output
    assert f"bus line1 on serial {link} (9600 8N1): units 5" in output
    assert not link.is_symlink()

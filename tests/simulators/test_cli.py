"""The simulator CLI runs until Ctrl-C and then exits cleanly, without a traceback."""

import asyncio
import signal
import sys
from pathlib import Path

from pymodbus.client import AsyncModbusTcpClient

from tests.conftest import free_tcp_port

ROOT = Path(__file__).parents[2]


async def _start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulators.cli", *args,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _answers(port: int) -> bool:
    client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=0.5, retries=0)
    try:
        if not await client.connect():
            return False
        reply = await client.read_input_registers(0x2000, count=2, device_id=1)
        return not reply.isError()
    finally:
        client.close()


async def _wait_until_serving(port: int, *, timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await _answers(port):
        assert asyncio.get_running_loop().time() < deadline, f"nothing answered on {port}"
        await asyncio.sleep(0.1)


async def _interrupt(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=10)
    return process.returncode or 0, stdout.decode() + stderr.decode()


async def test_meter_command_serves_until_ctrl_c():
    port = free_tcp_port()
    process = await _start("meter", "--port", str(port), "--unit", "1", "--speed", "60")
    try:
        await _wait_until_serving(port)
    finally:
        code, output = await _interrupt(process)
    assert code == 0, output
    assert "Traceback" not in output
    assert "stopped" in output


async def test_site_command_serves_a_config_and_refuses_a_bad_one(tmp_path):
    port = free_tcp_port()
    config = tmp_path / "site.yaml"
    config.write_text(
        "site: park1\nagent: bldg-a\nbuses:\n"
        f"  - {{kind: modbus_tcp, code: gw1, host: 127.0.0.1, port: {port},\n"
        "     devices: [{code: EM-1, profile: chint-ddsu666, unit_id: 1}]}\n",
        encoding="utf-8",
    )
    process = await _start("site", "--config", str(config))
    try:
        await _wait_until_serving(port)
    finally:
        code, output = await _interrupt(process)
    assert code == 0 and "Traceback" not in output, output

    config.write_text("site: park1\nagent: bldg-a\nbuses: [{code: gw1}]\n", encoding="utf-8")
    bad = await _start("site", "--config", str(config))
    stdout, stderr = await asyncio.wait_for(bad.communicate(), timeout=10)
    assert bad.returncode == 1
    assert "Traceback" not in stderr.decode()
    assert f"{config}: 1 error" in stderr.decode()
    assert "buses[0] (line 3): needs a `kind:`" in stderr.decode()  # with the line to look at

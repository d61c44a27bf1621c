"""A real third-party Modbus master (Debian's `mbpoll`) must read the simulated meter."""

import asyncio
import re
import shutil

import pytest

from protocols.codecs import decode, encode
from simulators.meter import SimulatedMeter, serve_meters
from tests.conftest import free_tcp_port, need_service
from tests.support import running


async def _mbpoll(port: int, *, unit: int, address: int, count: int = 1) -> dict[int, float]:
    """Read `count` float32 values (big-endian word order) from input registers, once."""
    process = await asyncio.create_subprocess_exec(
        "mbpoll", "-m", "tcp", "-p", str(port), "-a", str(unit),
        "-t", "3:float", "-B",  # function 04, float32, high word first
        "-0", "-r", str(address), "-c", str(count), "-1", "-o", "2",
        "127.0.0.1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=10)
    assert process.returncode == 0, stderr.decode()
    return {int(a): float(v) for a, v in re.findall(r"^\[(\d+)\]:\s+(\S+)$", stdout.decode(), re.M)}


def _as_float32(value: float) -> float:
    return decode(encode(value, "float32"), "float32")


async def test_mbpoll_reads_voltage_and_energy_as_float32_big_endian():
    if shutil.which("mbpoll") is None:
        need_service("mbpoll is not installed (apt-get install mbpoll)")
    port = free_tcp_port()
    meter = SimulatedMeter(unit_id=7, start_energy_kwh=4321.25)

    async def gateway(ready):
        await serve_meters(host="127.0.0.1", port=port, meters=[meter], ready=ready)

    async with running(gateway):
        voltage = await _mbpoll(port, unit=7, address=0x2000)
        energy = await _mbpoll(port, unit=7, address=0x4000)
        block = await _mbpoll(port, unit=7, address=0x2000, count=3)

    assert set(voltage) == {0x2000}
    assert 220.0 <= voltage[0x2000] <= 235.0
    # mbpoll prints six significant digits; at speed 1 the register has barely moved.
    assert energy[0x4000] == pytest.approx(_as_float32(4321.25), abs=0.01)
    volts, amps, kw = block[0x2000], block[0x2002], block[0x2004]
    assert amps == pytest.approx(kw * 1000 / volts, rel=1e-3)

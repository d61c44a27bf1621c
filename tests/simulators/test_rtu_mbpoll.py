"""A real third-party Modbus RTU master (Debian's `mbpoll`) reads every simulated profile from the
simulated RS-485 line on a pty, and switches a relay board's coil."""

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from protocols.codecs import decode
from protocols.profiles import PROFILES
from protocols.register_plan import plan_reads
from simulators.meter import SimulatedMeter
from simulators.rtu import RelayBoard, RtuBus
from simulators.serial_line import SimulatedLine
from tests.conftest import need_service
from tests.support import running

BAUD = 9600
EVERY_PROFILE = sorted(PROFILES)
MBPOLL_TABLE = {4: "3", 3: "4"}
"""mbpoll's -t names the table: 3 is input registers (function 4), 4 holding (function 3)."""


@pytest.fixture(autouse=True)
def _mbpoll_installed() -> None:
    if shutil.which("mbpoll") is None:
        need_service("mbpoll is not installed (apt-get install mbpoll)")


async def _mbpoll(
    link: Path, *args: str, write: tuple[str, ...] = (), timeout_s: float = 1.0
) -> tuple[int, str]:
    """mbpoll run once on `link`: its exit code and everything it printed."""
    process = await asyncio.create_subprocess_exec(
        "mbpoll", "-m", "rtu", "-b", str(BAUD), "-P", "none", "-0", "-1",
        "-o", f"{timeout_s:.2f}", *args, str(link), *write,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=10)
    return process.returncode or 0, stdout.decode() + stderr.decode()


async def _mbpoll_registers(
    link: Path, *, unit: int, function_code: int, address: int, count: int
) -> list[int]:
    table = MBPOLL_TABLE[function_code]
    code, output = await _mbpoll(
        link, "-a", str(unit), "-t", f"{table}:hex", "-r", str(address), "-c", str(count)
    )
    assert code == 0, output
    found = {
        int(a): int(v, 16) for a, v in re.findall(r"^\[(\d+)\]:\s+0x([0-9A-F]+)$", output, re.M)
    }
    assert sorted(found) == list(range(address, address + count)), output
    return [found[a] for a in range(address, address + count)]


def _bus() -> RtuBus:
    meters = [
        SimulatedMeter(unit_id=10 + i, profile=profile, start_energy_kwh=1234.5 + i, seed=i)
        for i, profile in enumerate(EVERY_PROFILE)
    ]
    return RtuBus(meters, relay_boards=[RelayBoard(unit_id=40)])


async def test_mbpoll_reads_every_profile_and_the_values_match_the_simulator(tmp_path):
    link = tmp_path / "ttyRS485"
    bus = _bus()  # served without its behaviour task: the values stand still to be compared
    line = SimulatedLine(link=link, baud=BAUD)
    async with running(lambda ready: line.serve(bus.answer, ready=ready)):
        for unit, meter in bus.meters.items():
            for block in plan_reads(meter.profile, max_gap=meter.profile.max_gap):
                words = await _mbpoll_registers(
                    link,
                    unit=unit,
                    function_code=block.function_code,
                    address=block.address,
                    count=block.count,
                )
                assert words == meter.read_registers(
                    block.function_code, block.address, block.count
                )
                for measured in block.values:
                    start = measured.address - block.address
                    raw = decode(
                        words[start : start + measured.count],
                        measured.data_type,
                        measured.word_order,
                    )
                    assert raw * measured.scale == pytest.approx(
                        meter.values[measured.metric], rel=1e-5, abs=measured.scale
                    ), (meter.profile.name, measured.metric)


async def test_mbpoll_reads_a_float_and_hears_refusals_and_silence(tmp_path):
    link = tmp_path / "ttyRS485"
    bus = _bus()
    ddsu = bus.meters[10 + EVERY_PROFILE.index("chint-ddsu666")]
    line = SimulatedLine(link=link, baud=BAUD)
    async with running(lambda ready: line.serve(bus.answer, ready=ready)):
        unit = str(ddsu.meter.unit_id)
        code, output = await _mbpoll(link, "-a", unit, "-t", "3:float", "-B", "-r", "0x4000")
        assert code == 0, output
        energy = float(re.search(r"^\[16384\]:\s+(\S+)$", output, re.M).group(1))
        assert energy == pytest.approx(ddsu.energy_kwh, abs=0.01)

        code, output = await _mbpoll(link, "-a", unit, "-t", "3", "-r", "0x3000", "-c", "2")
        assert code != 0 and "Illegal data address" in output

        code, output = await _mbpoll(link, "-a", "99", "-t", "3", "-r", "0", timeout_s=0.2)
        assert code != 0 and "timed out" in output


async def test_mbpoll_switches_a_relay_board_coil(tmp_path):
    link = tmp_path / "ttyRS485"
    bus = _bus()
    board = bus.relay_boards[40]
    line = SimulatedLine(link=link, baud=BAUD)
    async with running(lambda ready: line.serve(bus.answer, ready=ready)):
        code, output = await _mbpoll(link, "-a", "40", "-t", "0", "-r", "3", write=("1",))
        assert code == 0, output
        assert board.coils[3] is True
        code, output = await _mbpoll(link, "-a", "40", "-t", "0", "-r", "0", "-c", "4")
        assert code == 0, output
        assert re.findall(r"^\[(\d+)\]:\s+(\d)$", output, re.M) == [
            ("0", "0"),
            ("1", "0"),
            ("2", "0"),
            ("3", "1"),
        ]

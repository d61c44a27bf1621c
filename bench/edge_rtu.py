"""Edge RTU: meter reads per second on a simulated 9600-baud RS-485 line, against the line's limit.

The simulated line (`parkops sim rtu`, its own process, on a pty) enforces the byte timing of
9600 baud 8N1. The edge's ModbusRtuTransport and MeterDriver read one CHINT DDSU666 over and
over; the limit is what the line itself allows for the same requests: each read's request, the
t3.5 silence, the answer and the silence again (protocols.serial_timing.rtu_read_transaction_s),
with no device turnaround at all.
"""

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._report import report
from edge.drivers.meter import MeterDriver
from edge.errors import TransportError
from edge.transports.modbus import open_transport
from protocols.profiles import CHINT_DDSU666
from protocols.site_config import ModbusRtuBus

BAUD = 9600
UNIT = 1
SNAPSHOTS = 60
GATEWAY_READS_PER_S = 5.0
"""What today's gateways manage on such a bus (issue 3), for comparison."""


def _bus(link: Path) -> ModbusRtuBus:
    device = {"code": "EM-1", "profile": CHINT_DDSU666.name, "unit_id": UNIT}
    return ModbusRtuBus(code="line1", port=str(link), baud=BAUD, devices=[device])


def _start_line(link: Path, log: Path) -> subprocess.Popen[bytes]:
    """The simulated line in a process of its own, so its byte pacing does not share the
    edge's event loop; what it says goes to `log`, out of the way of the RESULT line."""
    command = [sys.executable, "-m", "simulators.cli", "rtu", "--link", str(link)]
    options = ["--profile", CHINT_DDSU666.name, "--unit", str(UNIT), "--baud", str(BAUD)]
    with log.open("wb") as output:
        return subprocess.Popen([*command, *options], stdout=output, stderr=output)


async def _wait_until_answering(driver: MeterDriver, link: Path) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            if link.is_symlink():
                await driver.read()
                return
        except TransportError:
            pass
        if time.monotonic() > deadline:
            said = (link.parent / "line.log").read_text(errors="replace")
            raise RuntimeError(f"the simulated line at {link} never answered:\n{said}")
        await asyncio.sleep(0.1)


async def _measure(link: Path) -> tuple[int, float, float]:
    """Reads made, seconds they took, and the line's limit in seconds for the same reads."""
    bus = _bus(link)
    async with open_transport(bus) as transport:
        driver = MeterDriver(transport=transport, profile=CHINT_DDSU666, unit_id=UNIT)
        await _wait_until_answering(driver, link)
        start = time.perf_counter()
        for _ in range(SNAPSHOTS):
            await driver.read()
        elapsed = time.perf_counter() - start
    counts = [block.count for block in driver.reads]
    return SNAPSHOTS * len(counts), elapsed, SNAPSHOTS * bus.line_time_s(counts)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp) / "ttyRTU0"
        line = _start_line(link, Path(tmp) / "line.log")
        try:
            reads, elapsed_s, limit_s = asyncio.run(_measure(link))
        finally:
            line.terminate()
            line.wait(timeout=10)
    achieved, limit = reads / elapsed_s, reads / limit_s
    per_snapshot = reads // SNAPSHOTS
    report(
        "edge-rtu",
        [
            (f"reads/s, {CHINT_DDSU666.name} at {BAUD} 8N1", achieved, "reads/s"),
            ("limit: line time of the same reads", limit, "reads/s"),
            ("ratio achieved / limit", achieved / limit, ""),
            (f"snapshots/s ({per_snapshot} reads each)", SNAPSHOTS / elapsed_s, "snapshots/s"),
            ("today's gateways on such a bus", GATEWAY_READS_PER_S, "reads/s"),
        ],
        {
            "baud": BAUD,
            "profile": CHINT_DDSU666.name,
            "reads": reads,
            "reads_per_snapshot": per_snapshot,
            "achieved_reads_per_s": round(achieved, 2),
            "limit_reads_per_s": round(limit, 2),
            "ratio": round(achieved / limit, 3),
            "snapshots_per_s": round(SNAPSHOTS / elapsed_s, 2),
        },
    )

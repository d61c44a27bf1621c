"""`parkops sim camera` and `parkops sim door` from the command line."""

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

from protocols.plates import is_valid_plate
from tests.conftest import free_tcp_port

ROOT = Path(__file__).parents[2]


def test_sim_camera_writes_frames_and_says_what_each_shows(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "simulators.cli", "camera", "--out", str(tmp_path), "--count", "5"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [colour for _, _, colour in rows] == ["blue", "yellow", "green", "black", "white"]
    assert all(Path(path).is_file() and is_valid_plate(plate) for path, plate, _ in rows)


async def test_sim_door_serves_a_controller_until_interrupted():
    port = free_tcp_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulators.cli", "door", "--port", str(port), "--code", "D-7",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        hello = json.loads(await asyncio.wait_for(reader.readline(), 5))
        assert hello["door"] == "D-7"
        writer.close()
        await writer.wait_closed()
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == 0

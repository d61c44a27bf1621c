"""Gate: cloud down, time to the barrier's coil pulse from a 1080p frame and from a plate event.

A whole agent (outbox, bus worker polling a meter on the same Modbus TCP gateway as the relay
boards, uplink to a broker that is not there) lifts barriers; the simulated boards stamp the
moment each open-coil write reaches them. Two measurements in one run:

- frames (the issue's target, p99 <= 300 ms including recognition): the camera simulator's
  1080p scenes of allow-listed cars go through the real plate reader (one core) and the
  camera's passage tracker into the gate's camera events, as `edge.cameras` does, timed from
  the frame to the coil. The tracker closes a passage on its first read here; the agent's
  camera loop by default votes over a passage's reads first (up to `passage_gap_s` later).
- events: plate reads handed over as an ANPR camera's would be; entries are a monthly pass,
  exits a temporary car whose exit question finds the cloud unreachable and follows the
  offline policy (open and record a debt). The floor is a bare coil write on its own Modbus
  connection to the same gateway, measured in the same run.
"""

import asyncio
import logging
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._modbus_proxy import free_tcp_port
from bench._report import report
from edge.agent import Agent
from edge.transports.modbus import ModbusTcpTransport
from protocols.gate import AllowList, PlatePass
from protocols.messages import PLATE_READ
from protocols.site_config import SiteConfig
from simulators.barrier import LiveBarrier
from simulators.site import barriers_of, serve_site

PASSAGES = 200
FRAMES = 100
"""1080p scenes timed from frame to coil, each of another allow-listed car."""
TARGET_P99_MS = 300.0
"""Issue 7: plate to barrier open for an allow-listed car, cloud down, including recognition.
A driver should not notice: the barrier starts up well within a human reaction time."""
TARGET_FRAME_MS = 80.0
"""Issue 7: recognition of one 1080p frame on one core (`bench plates` measures it on real
photos; here on the simulator's scenes, as part of the passage)."""
NO_PULSE_S = 2.0
"""A frame whose car the gate did not open for within this long counts as a miss."""
MONTHLY = "京A12345"
TEMPORARY = "川A55555"


def _config(folder: Path, port: int) -> SiteConfig:
    # Temporary cars wait at the entry: only a listed (rightly read) plate lifts the barrier.
    gate = {"bus": "gw", "open_coil": 0, "pulse_s": 0.02, "anti_passback": "off",
            "temporary_entry": "hold"}  # fmt: skip
    return SiteConfig.model_validate(
        {
            "site": "bench",
            "agent": "gate-pi",
            "buses": [
                {
                    "kind": "modbus_tcp",
                    "code": "gw",
                    "host": "127.0.0.1",
                    "port": port,
                    "devices": [
                        {
                            "code": "EM-1",
                            "profile": "chint-ddsu666",
                            "unit_id": 1,
                            "poll_interval_s": 0.1,
                        }
                    ],
                },
            ],  # fmt: skip
            "cameras": [
                {"code": "CAM-IN", "source": "push"},
                {"code": "CAM-OUT", "source": "push"},
            ],
            "anpr_push": {"host": "127.0.0.1", "port": free_tcp_port()},
            "gates": [
                gate | {"code": "G-IN", "camera": "CAM-IN", "unit_id": 5},
                gate | {"code": "G-OUT", "camera": "CAM-OUT", "unit_id": 6, "direction": "exit"},
            ],
            "mqtt": {"url": f"mqtt://127.0.0.1:{free_tcp_port()}"},  # the cloud is down
            "outbox": {"path": str(folder / "outbox.sqlite3")},
        }
    )


def _allow(plates: list[str]) -> AllowList:
    until = datetime.now(UTC) + timedelta(days=1)
    return AllowList(
        site="bench",
        version=1,
        issued_at=datetime.now(UTC),
        plates=[PlatePass(plate=p, kind="monthly", valid_until=until) for p in plates],
    )


async def _passage_ms(agent: Agent, board: LiveBarrier, camera: str, plate: str) -> float:
    before = len(board.pulses)
    started = time.perf_counter()
    agent.events.append_event(
        device=camera, ts=datetime.now(UTC), event=PLATE_READ, data={"plate": plate}
    )
    while len(board.pulses) == before:
        await asyncio.sleep(0.0005)
    return (board.pulses[before] - started) * 1000


async def _floor_ms(port: int) -> list[float]:
    async with ModbusTcpTransport(host="127.0.0.1", port=port, timeout_s=1.0) as transport:
        times = []
        for _ in range(50):
            started = time.perf_counter()
            await transport.write_coil(unit_id=5, address=3, value=True)
            times.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.01)
        return times


@dataclass
class Frames:
    """Frame-to-coil times of the cars the gate opened for; recognition time of every frame;
    the frames whose car stayed out (plate missed or misread) with what was read."""

    to_coil: list[float] = field(default_factory=list)
    recognition: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


def _scenes(count: int) -> list[tuple[str, Any]]:
    """`count` 1080p frames of the camera simulator, each a different blue plate."""
    from simulators.camera import SceneLook, cjk_fonts, random_plate, render_scene

    rng = random.Random(7)
    fonts = cjk_fonts()
    out = []
    for i in range(count):
        plate = random_plate("blue", rng)
        look = SceneLook(plate_px=rng.randint(200, 300), yaw=rng.uniform(-0.2, 0.2))
        image = render_scene(
            plate, "blue", look=look, rng=rng, size=(1920, 1080), font=fonts[i % len(fonts)]
        )
        out.append((plate, image))
    return out


async def _frame_passage(
    agent: Agent, board: LiveBarrier, reader: Any, plate: str, image: Any, frames: Frames
) -> None:
    """What `edge.cameras.watch_camera` does with a frame, timed from the frame to the coil."""
    from edge.cameras import store_passage
    from edge.drivers.plate_passages import PlateTracker

    tracker = PlateTracker(max_reads=1)  # the passage closes on its first read
    before = len(board.pulses)
    started = time.perf_counter()
    read = await asyncio.to_thread(reader.read, image)
    frames.recognition.append((time.perf_counter() - started) * 1000)
    for passage in tracker.add(read, at=datetime.now(UTC)) if read is not None else []:
        store_passage(agent.events, "CAM-IN", passage)
    deadline = started + NO_PULSE_S
    while len(board.pulses) == before and time.perf_counter() < deadline:
        await asyncio.sleep(0.0005)
    if len(board.pulses) == before:
        frames.misses.append(f"{plate} read as {read.plate if read else '(nothing)'}")
    else:
        frames.to_coil.append((board.pulses[before] - started) * 1000)
    await asyncio.sleep(0.03)  # the coil is released between cars


@asynccontextmanager
async def _site_and_agent(
    folder: Path, listed: list[str]
) -> AsyncIterator[tuple[Agent, dict[str, LiveBarrier], int]]:
    """The relay boards and meter on one gateway, and an agent with `listed` on its list."""
    port = free_tcp_port()
    config = _config(folder, port)
    boards = barriers_of(config)
    ready = asyncio.Event()
    site = asyncio.create_task(serve_site(config, ready=ready, barriers=boards))
    await ready.wait()
    agent = Agent(config)
    agent.gate_memory.offer(_allow(listed).model_dump_json())
    stop = asyncio.Event()
    running = asyncio.create_task(agent.run(stop=stop))
    try:
        await asyncio.sleep(1.0)  # buses connected, camera code imported
        yield agent, boards, port
    finally:
        stop.set()
        await asyncio.wait_for(running, 15)
        site.cancel()
        await asyncio.gather(site, return_exceptions=True)


async def _measure_frames(folder: Path, scenes: list[tuple[str, Any]]) -> Frames:
    from edge.drivers.plates import PlateReader

    reader = PlateReader(threads=1)
    reader.read(scenes[0][1])  # warm up: first runs allocate
    frames = Frames()
    async with _site_and_agent(folder, [plate for plate, _ in scenes]) as (agent, boards, _):
        for plate, image in scenes:
            await _frame_passage(agent, boards["G-IN"], reader, plate, image, frames)
    return frames


async def _measure(folder: Path) -> tuple[list[float], list[float], list[float]]:
    async with _site_and_agent(folder, [MONTHLY]) as (agent, boards, port):
        entries, exits = [], []
        for _ in range(PASSAGES // 2):
            entries.append(await _passage_ms(agent, boards["G-IN"], "CAM-IN", MONTHLY))
            await asyncio.sleep(0.03)
            exits.append(await _passage_ms(agent, boards["G-OUT"], "CAM-OUT", TEMPORARY))
            await asyncio.sleep(0.03)  # the coils are released between cars
        floor = await _floor_ms(port)
    return entries, exits, floor


def _p(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    scenes = _scenes(FRAMES)
    with tempfile.TemporaryDirectory() as folder:
        frames = asyncio.run(_measure_frames(Path(folder) / "frames", scenes))
    with tempfile.TemporaryDirectory() as folder:
        entries, exits, floor = asyncio.run(_measure(Path(folder)))
    for miss in frames.misses:
        print(f"  no entry: {miss}")
    both = entries + exits
    coil = frames.to_coil
    f50, f95, f99 = _p(coil, 0.50), _p(coil, 0.95), _p(coil, 0.99)
    r50, r95 = _p(frames.recognition, 0.50), _p(frames.recognition, 0.95)
    p50, p95, p99 = _p(both, 0.50), _p(both, 0.95), _p(both, 0.99)
    floor_p50 = statistics.median(floor)
    rows = [
        (f"1080p frame to coil, p50 ({len(coil)}/{len(scenes)} cars let in)", f50, "ms"),
        ("1080p frame to coil, p95", f95, "ms"),
        ("1080p frame to coil, p99", f99, "ms"),
        ("target p99 (issue 7)", TARGET_P99_MS, "ms"),
        ("p99 / target", f99 / TARGET_P99_MS, "x"),
        ("recognition of a 1080p frame (one core), p50", r50, "ms"),
        ("recognition of a 1080p frame (one core), p95", r95, "ms"),
        ("target per frame", TARGET_FRAME_MS, "ms"),
        ("plate event to coil, p50", p50, "ms"),
        ("plate event to coil, p95", p95, "ms"),
        ("plate event to coil, p99", p99, "ms"),
        ("entry (monthly pass), p50", statistics.median(entries), "ms"),
        ("exit (cloud down, offline debt), p50", statistics.median(exits), "ms"),
        ("floor: bare coil write, p50", floor_p50, "ms"),
    ]
    report(
        "gate",
        rows,
        {
            "frames": len(scenes),
            "frames_let_in": len(coil),
            "frames_p50_ms": round(f50, 2),
            "frames_p95_ms": round(f95, 2),
            "frames_p99_ms": round(f99, 2),
            "target_p99_ms": TARGET_P99_MS,
            "ratio_frames_p99_to_target": round(f99 / TARGET_P99_MS, 3),
            "recognition_p50_ms": round(r50, 2),
            "recognition_p95_ms": round(r95, 2),
            "target_frame_ms": TARGET_FRAME_MS,
            "ratio_recognition_p95_to_target": round(r95 / TARGET_FRAME_MS, 3),
            "passages": len(both),
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "p99_ms": round(p99, 2),
            "ratio_p99_to_target": round(p99 / TARGET_P99_MS, 3),
            "entry_p50_ms": round(statistics.median(entries), 2),
            "exit_offline_p50_ms": round(statistics.median(exits), 2),
            "floor_coil_write_p50_ms": round(floor_p50, 2),
            "ratio_p50_to_floor": round(p50 / floor_p50, 2),
        },
    )


if __name__ == "__main__":
    main()

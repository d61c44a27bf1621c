"""Gate: time from a plate event to the coil pulse at the simulated relay board, cloud down.

A whole agent (outbox, bus worker polling a meter on the same Modbus TCP gateway as the relay
boards, uplink to a broker that is not there) gets plate reads as its cameras would hand them
over; the simulated boards stamp the moment each open-coil write reaches them. Entries are a
monthly pass; exits a temporary car whose exit question finds the cloud unreachable and follows
the offline policy (open and record a debt). The floor is a bare coil write on its own Modbus
connection to the same gateway, measured in the same run.
"""

import asyncio
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
TARGET_P95_MS = 300.0
"""A driver should not notice: the barrier starts up well within a human reaction time."""
MONTHLY = "京A12345"
TEMPORARY = "川A55555"


def _config(folder: Path, port: int) -> SiteConfig:
    gate = {"bus": "gw", "open_coil": 0, "pulse_s": 0.02, "anti_passback": "off"}
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


async def _measure(folder: Path) -> tuple[list[float], list[float], list[float]]:
    port = free_tcp_port()
    config = _config(folder, port)
    boards = barriers_of(config)
    ready = asyncio.Event()
    site = asyncio.create_task(serve_site(config, ready=ready, barriers=boards))
    await ready.wait()
    agent = Agent(config)
    allow = AllowList(
        site="bench",
        version=1,
        issued_at=datetime.now(UTC),
        plates=[
            PlatePass(plate=MONTHLY, kind="monthly", valid_until=datetime.now(UTC) + timedelta(1))
        ],
    )
    agent.gate_memory.offer(allow.model_dump_json())
    stop = asyncio.Event()
    running = asyncio.create_task(agent.run(stop=stop))
    try:
        await asyncio.sleep(1.0)  # buses connected, camera code imported
        entries, exits = [], []
        for _ in range(PASSAGES // 2):
            entries.append(await _passage_ms(agent, boards["G-IN"], "CAM-IN", MONTHLY))
            await asyncio.sleep(0.03)
            exits.append(await _passage_ms(agent, boards["G-OUT"], "CAM-OUT", TEMPORARY))
            await asyncio.sleep(0.03)  # the coils are released between cars
        floor = await _floor_ms(port)
    finally:
        stop.set()
        await asyncio.wait_for(running, 15)
        site.cancel()
        await asyncio.gather(site, return_exceptions=True)
    return entries, exits, floor


def _p(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        entries, exits, floor = asyncio.run(_measure(Path(folder)))
    both = entries + exits
    p50, p95 = statistics.median(both), _p(both, 0.95)
    floor_p50 = statistics.median(floor)
    rows = [
        ("plate event to coil, p50", p50, "ms"),
        ("plate event to coil, p95", p95, "ms"),
        ("entry (monthly pass), p50", statistics.median(entries), "ms"),
        ("exit (cloud down, offline debt), p50", statistics.median(exits), "ms"),
        ("floor: bare coil write, p50", floor_p50, "ms"),
        ("target p95", TARGET_P95_MS, "ms"),
    ]
    report(
        "gate",
        rows,
        {
            "passages": len(both),
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "entry_p50_ms": round(statistics.median(entries), 2),
            "exit_offline_p50_ms": round(statistics.median(exits), 2),
            "floor_coil_write_p50_ms": round(floor_p50, 2),
            "target_p95_ms": TARGET_P95_MS,
            "ratio_p95_to_target": round(p95 / TARGET_P95_MS, 3),
            "ratio_p50_to_floor": round(p50 / floor_p50, 2),
        },
    )


if __name__ == "__main__":
    main()

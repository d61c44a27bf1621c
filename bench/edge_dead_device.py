"""One dead meter among 32 on a bus: the healthy meters' poll interval, real against configured.

The real bus worker polls 32 simulated meters behind one Modbus TCP gateway; the dead unit is
either absent (the gateway answers exception 0x0B at once) or silent (a hop in front of the
gateway swallows its requests, as a dead meter on RS-485 never answers: each try costs the
whole timeout). The bus with every meter alive is the limit the others are compared with.
"""

import asyncio
import logging
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bench._modbus_proxy import HOST, ModbusTcpProxy, free_tcp_port
from bench._report import report
from edge.buses import bus_worker
from edge.transports.modbus import open_transport
from protocols.site_config import ModbusTcpBus, SiteConfig
from simulators.meter import SimulatedMeter, serve_meters

METERS = 32
DEAD_UNIT = 17
POLL_INTERVAL_S = 1.0
TIMEOUT_S = 0.5
BASELINE_S = 10.0
RUN_S = 20.0
TARGET_RATIO = 1.2


class PollTimes:
    """A reading sink that keeps when each device's readings were stored."""

    def __init__(self) -> None:
        self.at: dict[str, list[float]] = {}

    def append_reading(
        self,
        *,
        device: str,
        ts: datetime,
        values: dict[str, float],
        flags: Sequence[str] = (),
        billing: bool = False,
    ) -> int:
        self.at.setdefault(device, []).append(time.monotonic())
        return sum(len(times) for times in self.at.values())

    def intervals(self) -> list[float]:
        return [
            later - earlier
            for times in self.at.values()
            for earlier, later in zip(times, times[1:], strict=False)
        ]


@dataclass(frozen=True)
class Case:
    name: str
    label: str
    seconds: float
    served_units: frozenset[int]
    silent_units: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Outcome:
    case: Case
    intervals: list[float]
    dead_tries: int

    @property
    def mean_s(self) -> float:
        return statistics.fmean(self.intervals)

    @property
    def p95_s(self) -> float:
        return statistics.quantiles(self.intervals, n=20)[18]


ALL_UNITS = frozenset(range(1, METERS + 1))
CASES = (
    Case("all_alive", "all 32 answer (the bus's own pace)", BASELINE_S, ALL_UNITS),
    Case(
        "gateway_exception",
        f"unit {DEAD_UNIT} absent, gateway answers 0x0B",
        RUN_S,
        ALL_UNITS - {DEAD_UNIT},
    ),
    Case(
        "silent",
        f"unit {DEAD_UNIT} silent (no answer at all)",
        RUN_S,
        ALL_UNITS - {DEAD_UNIT},
        silent_units=frozenset({DEAD_UNIT}),
    ),
)


def _site(port: int) -> SiteConfig:
    devices = [
        {
            "code": f"EM-{unit:02d}",
            "profile": "chint-ddsu666",
            "unit_id": unit,
            "poll_interval_s": POLL_INTERVAL_S,
        }
        for unit in sorted(ALL_UNITS)
    ]
    bus = {"kind": "modbus_tcp", "code": "gw-1", "host": HOST, "port": port, "timeout_s": TIMEOUT_S}
    return SiteConfig.model_validate(
        {"site": "bench", "agent": "bench", "buses": [{**bus, "devices": devices}]}
    )


async def _run(case: Case) -> Outcome:
    port = free_tcp_port()
    ready = asyncio.Event()
    meters = [SimulatedMeter(unit_id=unit) for unit in sorted(case.served_units)]
    gateway = asyncio.create_task(serve_meters(host=HOST, port=port, meters=meters, ready=ready))
    times = PollTimes()
    try:
        await ready.wait()
        async with ModbusTcpProxy(upstream_port=port, silent_units=case.silent_units) as proxy:
            site = _site(proxy.port)
            bus = site.buses[0]
            assert isinstance(bus, ModbusTcpBus)
            async with open_transport(bus) as link:
                worker = bus_worker(site, bus, link, sink=times).worker
                polling = asyncio.create_task(worker.run())
                await asyncio.sleep(case.seconds)
                polling.cancel()
                await asyncio.gather(polling, return_exceptions=True)
            dead_tries = proxy.requests[DEAD_UNIT] if DEAD_UNIT not in case.served_units else 0
    finally:
        gateway.cancel()
        await asyncio.gather(gateway, return_exceptions=True)
    return Outcome(case, times.intervals(), dead_tries)


async def _run_all() -> list[Outcome]:
    return [await _run(case) for case in CASES]


def _rows_and_figures(outcome: Outcome) -> tuple[list[tuple[str, float, str]], dict[str, object]]:
    case = outcome.case
    mean_ratio, p95_ratio = outcome.mean_s / POLL_INTERVAL_S, outcome.p95_s / POLL_INTERVAL_S
    rows = [
        (f"{case.label}: mean interval", outcome.mean_s, "s"),
        (f"{case.label}: p95 interval", outcome.p95_s, "s"),
        (f"{case.label}: ratio mean / configured", mean_ratio, ""),
        (f"{case.label}: ratio p95 / configured", p95_ratio, ""),
    ]
    figures: dict[str, object] = {
        "seconds": case.seconds,
        "intervals": len(outcome.intervals),
        "mean_s": round(outcome.mean_s, 3),
        "p95_s": round(outcome.p95_s, 3),
        "max_s": round(max(outcome.intervals), 3),
        "mean_ratio": round(mean_ratio, 3),
        "p95_ratio": round(p95_ratio, 3),
    }
    if DEAD_UNIT not in case.served_units:
        every_poll = int(case.seconds / POLL_INTERVAL_S)
        tried = f"in {case.seconds:g} s (polled without back-off: {every_poll})"
        rows.append((f"{case.label}: tries of the dead unit", outcome.dead_tries, tried))
        figures |= {
            "dead_tries": outcome.dead_tries,
            "dead_tries_without_backoff": every_poll,
            "mean_meets_target": mean_ratio <= TARGET_RATIO,
            "p95_meets_target": p95_ratio <= TARGET_RATIO,
        }
    return rows, figures


def main() -> None:
    # The bus worker reports the dead device once; pymodbus logs every timeout as an ERROR with
    # its last frames, and the simulators announce themselves.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    for chatty in ("simulators", "edge.bus"):
        logging.getLogger(chatty).setLevel(logging.ERROR)
    rows: list[tuple[str, float, str]] = []
    result: dict[str, object] = {
        "meters": METERS,
        "poll_interval_s": POLL_INTERVAL_S,
        "timeout_s": TIMEOUT_S,
        "target_ratio": TARGET_RATIO,
    }
    for outcome in asyncio.run(_run_all()):
        case_rows, result[outcome.case.name] = _rows_and_figures(outcome)
        rows += case_rows
    rows.append(("configured poll interval", POLL_INTERVAL_S, f"s; target ≤ {TARGET_RATIO}× of it"))
    report("edge-dead-device", rows, result)


if __name__ == "__main__":
    main()

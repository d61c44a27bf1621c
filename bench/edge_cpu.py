"""Edge agent with 200 meters: CPU time per 1,000 snapshots, and resident memory."""

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
import yaml

from bench._modbus_proxy import HOST, free_tcp_port
from bench._report import report
from protocols import topics
from protocols.messages import Ack, DataBatch, ReadingRecord
from protocols.mqtt_url import parse_broker_url
from protocols.site_config import SiteConfig

METERS = 200
GATEWAYS = 4
POLL_INTERVAL_S = 1.0
SETTLE_S = 5.0
"""After every meter has reported once: let start-up work (imports, first connects) pass."""
SAMPLE_S = 30.0
START_TIMEOUT_S = 30.0
MQTT_URL = os.environ.get("PARKOPS_BENCH_MQTT_URL", "mqtt://127.0.0.1:1883")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
KIB = 1024


def cpu_s(pid: int) -> tuple[float, float]:
    """User and system CPU seconds the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return utime / CLOCK_TICKS, stime / CLOCK_TICKS


def memory_kib(pid: int, key: str = "VmRSS") -> int:
    """A memory figure of /proc/PID/status (VmRSS: resident now, VmHWM: the peak) in KiB."""
    return _status_kib(Path(f"/proc/{pid}/status").read_text(), key)


def _status_kib(status: str, key: str) -> int:
    for line in status.splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(key)


def import_floor_kib(module: str) -> int:
    """Resident memory of a fresh interpreter that has imported `module` and nothing more."""
    probe = f"import {module}; print(open('/proc/self/status').read())"
    status = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return _status_kib(status, "VmRSS")


def _site_config(site: str, outbox: Path) -> dict[str, Any]:
    per_gateway = METERS // GATEWAYS
    buses = []
    for gateway in range(GATEWAYS):
        devices = [
            {
                "code": f"EM-{gateway + 1}-{unit:02d}",
                "profile": "chint-ddsu666",
                "unit_id": unit,
                "poll_interval_s": POLL_INTERVAL_S,
                "billing": unit % 2 == 0,
            }
            for unit in range(1, per_gateway + 1)
        ]
        buses.append(
            {
                "kind": "modbus_tcp",
                "code": f"gw-{gateway + 1}",
                "host": HOST,
                "port": free_tcp_port(),
                "timeout_s": 1.0,
                "devices": devices,
            }
        )
    config = {
        "site": site,
        "agent": "edge",
        "name": "edge-cpu benchmark (temporary)",
        "buses": buses,
        "mqtt": {"url": MQTT_URL},
        "outbox": {"path": str(outbox)},
    }
    SiteConfig.model_validate(config)  # a mistake here should fail before anything starts
    return config


@dataclass
class Acker:
    """Stands in for the cloud: counts the readings the agent sends and acks them at once, so the
    agent's outbox stays small as it would in production."""

    site: str
    agent: str
    readings: int = 0
    devices: set[str] = field(default_factory=set)
    highest: dict[int, int] = field(default_factory=dict)
    """Boot -> the highest seq received (a boot's records arrive in seq order)."""

    async def run(self, client: aiomqtt.Client) -> None:
        """Ack what arrives on `client`, subscribed to the agent's `up/data`, until cancelled."""
        ack_topic = topics.ack(self.site, self.agent)
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            batch = DataBatch.model_validate_json(message.payload)
            for record in batch.records:
                if record.seq > self.highest.get(record.boot, 0):
                    self.highest[record.boot] = record.seq
                    if isinstance(record, ReadingRecord):
                        self.readings += 1
                        self.devices.add(record.device)
            for boot in sorted({record.boot for record in batch.records}):
                ack = Ack(boot=boot, seq=self.highest[boot])
                await client.publish(ack_topic, ack.model_dump_json(), qos=1)


def _client(identifier: str) -> aiomqtt.Client:
    broker = parse_broker_url(MQTT_URL)
    return aiomqtt.Client(
        broker.host, broker.port, identifier=identifier, protocol=aiomqtt.ProtocolVersion.V5
    )


async def _clear_retained(site: str) -> int:
    """Remove every retained message under the site's topics; how many there were."""
    retained: set[str] = set()
    async with _client(f"bench-cleaner-{site}") as client:
        await client.subscribe(f"{topics.PREFIX}/{site}/#", qos=1)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                async for message in client.messages:
                    if message.retain and message.payload:
                        retained.add(str(message.topic))
        for topic in retained:
            await client.publish(topic, b"", qos=1, retain=True)
    return len(retained)


async def _wait_until(
    condition: Callable[[], bool],
    *,
    timeout_s: float,
    what: str,
    watch: list[subprocess.Popen[bytes]],
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        for process in watch:
            if process.poll() is not None:
                raise RuntimeError(f"{what}: a process exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout_s:g} s")
        await asyncio.sleep(0.2)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == 0


@dataclass(frozen=True)
class Sample:
    seconds: float
    agent_user_s: float
    agent_system_s: float
    simulator_cpu_s: float
    snapshots: int
    rss_kib: list[int]
    peak_kib: int
    outbox_bytes: int


def _parkops(*args: str, log: Path, module: str = "parkops.cli") -> subprocess.Popen[bytes]:
    """`parkops ARGS` (or, with module edge.cli, `parkops-edge ARGS`: what a Pi runs)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module, *args], stdout=out, stderr=subprocess.STDOUT
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _measure(tmp: Path, site: str) -> Sample:
    config = _site_config(site, tmp / "outbox.sqlite3")
    config_path = tmp / "site.yaml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    ports = [bus["port"] for bus in config["buses"]]
    acker = Acker(site=site, agent=config["agent"])
    async with _client(f"bench-acker-{site}") as client:
        await client.subscribe(topics.data(site, acker.agent), qos=1)
        acking = asyncio.create_task(acker.run(client))
        try:
            return await _run_processes(tmp, config_path, ports, acker)
        finally:
            acking.cancel()
            await asyncio.gather(acking, return_exceptions=True)
            await _clear_retained(site)


async def _run_processes(tmp: Path, config_path: Path, ports: list[int], acker: Acker) -> Sample:
    """Run the simulators and the agent, let them settle, sample the agent; stop both."""
    simulator = _parkops("sim", "site", "--config", str(config_path), log=tmp / "sim.log")
    agent: subprocess.Popen[bytes] | None = None
    try:
        await _wait_until(
            lambda: all(_listening(p) for p in ports),
            timeout_s=START_TIMEOUT_S,
            what="simulated gateways listening",
            watch=[simulator],
        )
        agent = _parkops(
            "run", "--config", str(config_path), log=tmp / "agent.log", module="edge.cli"
        )
        await _wait_until(
            lambda: len(acker.devices) == METERS,
            timeout_s=START_TIMEOUT_S,
            what=f"readings from all {METERS} meters",
            watch=[simulator, agent],
        )
        await asyncio.sleep(SETTLE_S)
        started, readings = time.monotonic(), acker.readings
        (agent_user, agent_system), sim_cpu = cpu_s(agent.pid), sum(cpu_s(simulator.pid))
        rss = []
        while time.monotonic() - started < SAMPLE_S:
            await asyncio.sleep(1.0)
            rss.append(memory_kib(agent.pid))
        user, system = cpu_s(agent.pid)
        return Sample(
            seconds=time.monotonic() - started,
            agent_user_s=user - agent_user,
            agent_system_s=system - agent_system,
            simulator_cpu_s=sum(cpu_s(simulator.pid)) - sim_cpu,
            snapshots=acker.readings - readings,
            rss_kib=rss,
            peak_kib=memory_kib(agent.pid, "VmHWM"),
            outbox_bytes=sum(f.stat().st_size for f in tmp.glob("outbox.sqlite3*")),
        )
    except (RuntimeError, OSError):  # a process failed to start, or died while sampled
        for log in ("agent.log", "sim.log"):
            if (tmp / log).exists():
                print(f"--- {log} (last lines)\n" + "\n".join(_tail(tmp / log)), file=sys.stderr)
        raise
    finally:
        if agent is not None:
            await asyncio.to_thread(_stop, agent)
        await asyncio.to_thread(_stop, simulator)


def _tail(path: Path, lines: int = 15) -> list[str]:
    return path.read_text(errors="replace").splitlines()[-lines:]


def main() -> None:
    site = f"bench-cpu-{uuid.uuid4().hex[:8]}"
    command_floor = import_floor_kib("edge.cli")  # what `parkops-edge` loads
    with tempfile.TemporaryDirectory(prefix="parkops-edge-cpu-") as tmp:
        sample = asyncio.run(_measure(Path(tmp), site))
    expected = METERS / POLL_INTERVAL_S * sample.seconds
    agent_cpu_s = sample.agent_user_s + sample.agent_system_s
    per_1000_ms = agent_cpu_s * 1000 / sample.snapshots * 1000
    rss_mib = statistics.fmean(sample.rss_kib) / KIB
    sim_share = sample.simulator_cpu_s / sample.seconds
    report(
        "edge-cpu",
        [
            ("snapshots stored and sent", sample.snapshots, f"in {sample.seconds:.1f} s"),
            ("  of those the meters' poll intervals ask for", sample.snapshots / expected, ""),
            ("agent CPU per 1,000 snapshots", per_1000_ms, "ms"),
            ("  of which in the kernel (sockets, fsync)", sample.agent_system_s / agent_cpu_s, ""),
            ("agent CPU share of one core", agent_cpu_s / sample.seconds * 100, "%"),
            ("agent resident memory (mean while sampled)", rss_mib, "MiB"),
            ("agent resident memory, peak since start", sample.peak_kib / KIB, "MiB"),
            ("floor: python -c 'import edge.cli'", command_floor / KIB, "MiB"),
            ("agent RSS above that floor", rss_mib - command_floor / KIB, "MiB"),
            ("simulators' CPU share (other process)", sim_share * 100, "%"),
            ("outbox files on disk at the end", sample.outbox_bytes / KIB / KIB, "MiB"),
        ],
        {
            "meters": METERS,
            "poll_interval_s": POLL_INTERVAL_S,
            "seconds": round(sample.seconds, 1),
            "snapshots": sample.snapshots,
            "snapshots_of_expected": round(sample.snapshots / expected, 3),
            "cpu_ms_per_1000_snapshots": round(per_1000_ms, 1),
            "cpu_share_of_core": round(agent_cpu_s / sample.seconds, 3),
            "cpu_system_fraction": round(sample.agent_system_s / agent_cpu_s, 3),
            "rss_mib": round(rss_mib, 1),
            "rss_max_mib": round(max(sample.rss_kib) / KIB, 1),
            "peak_mib": round(sample.peak_kib / KIB, 1),
            "floor_import_edge_cli_mib": round(command_floor / KIB, 1),
            "simulator_cpu_share": round(sim_share, 3),
            "outbox_mib_at_end": round(sample.outbox_bytes / KIB / KIB, 2),
            "load_average_1min": round(os.getloadavg()[0], 2),
        },
    )


if __name__ == "__main__":
    main()

"""The parts as production runs them: each its own `parkops` process (seed, ingest, simulated
site, edge agent), talking through Mosquitto, into one database."""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import aiomqtt
import pytest
import yaml
from sqlalchemy import create_engine, text

from parkops.demo import DEMO_SITE
from protocols import topics
from protocols.mqtt_url import parse_broker_url
from tests.conftest import free_tcp_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def parkops_process(
    *args: str, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "parkops.cli", *args], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


async def _clear_retained_status(url: str, site: str, agent: str) -> None:
    """Leave no retained status behind on a broker other tests share."""
    broker = parse_broker_url(url)
    async with aiomqtt.Client(broker.host, broker.port) as client:
        await client.publish(topics.status(site, agent), b"", qos=1, retain=True)


@pytest.mark.mosquitto
def test_seed_ingest_site_and_agent_as_separate_processes(
    mosquitto_url: str, unique_code: str, tmp_path: Path
) -> None:
    raw = yaml.safe_load(DEMO_SITE.read_text(encoding="utf-8"))
    raw["site"] = unique_code
    for bus in raw["buses"]:
        bus["port"] = free_tcp_port()
    raw["mqtt"] = {"url": mosquitto_url, "protocol": "5"}
    raw["outbox"] = {"path": str(tmp_path / "outbox.sqlite3"), "batch_interval_s": 0.2}
    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    database_url = f"sqlite:///{tmp_path / 'cloud.sqlite3'}"
    env = {**os.environ, "PARKOPS_DATABASE_URL": database_url, "PARKOPS_MQTT_URL": mosquitto_url}

    seeded = subprocess.run(
        [sys.executable, "-m", "parkops.cli", "cloud", "seed", "--site-config", str(config)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    meters = {device["code"] for bus in raw["buses"] for device in bus["devices"]}
    engine = create_engine(database_url)
    with ExitStack() as running:
        for name, args in (
            ("ingest", ("cloud", "ingest")),
            ("sim", ("sim", "site", "--config", str(config))),
            ("edge", ("edge", "run", "--config", str(config))),
        ):
            running.enter_context(parkops_process(*args, env=env, log=tmp_path / f"{name}.log"))
        deadline, seen = time.monotonic() + 45, set()
        while seen != meters and time.monotonic() < deadline:
            time.sleep(0.5)
            with engine.connect() as db:
                seen = set(db.scalars(text(
                    "SELECT DISTINCT m.code FROM readings r JOIN meters m ON m.id = r.device_id"
                )))  # fmt: skip
    engine.dispose()
    asyncio.run(_clear_retained_status(mosquitto_url, unique_code, raw["agent"]))
    logs = {p.name: p.read_text(errors="replace")[-2000:] for p in tmp_path.glob("*.log")}
    assert seen == meters, logs

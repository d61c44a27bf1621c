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

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.sites import clear_retained_status, demo_site_raw

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


@pytest.mark.mosquitto
def test_seed_ingest_site_and_agent_as_separate_processes(
    mosquitto_url: str, unique_code: str, tmp_path: Path
) -> None:
    raw = demo_site_raw(
        broker_url=mosquitto_url,
        outbox=tmp_path / "outbox.sqlite3",
        site_code=unique_code,
        batch_interval_s=0.2,
    )
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
    asyncio.run(
        clear_retained_status(mosquitto_url, protocol="5", site=unique_code, agent=raw["agent"])
    )
    logs = {p.name: p.read_text(errors="replace")[-2000:] for p in tmp_path.glob("*.log")}
    assert seen == meters, logs

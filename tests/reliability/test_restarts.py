"""Faults in the middle of a stream: the agent killed with SIGKILL, the broker killed and
restarted a minute later. Afterwards every (agent, boot, seq) is in the database exactly once.

Real parts: PostgreSQL, a Mosquitto process of the test's own (so killing it disturbs no other
test), the agent as a separate `parkops edge run` process, simulated meters over Modbus TCP.
"""

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.engine import make_engine, make_sessionmaker
from cloud.db.migrate import upgrade
from cloud.energy.models import Reading
from cloud.ingest.consumer import run_ingest
from cloud.ingest.models import AgentStream, DeviceEvent, IngestReceipt
from cloud.seed import seed_demo
from cloud.settings import Settings
from protocols.site_config import SiteConfig
from simulators.site import serve_site
from tests.conftest import free_tcp_port, fresh_postgres_database, need_service
from tests.sites import demo_site_raw
from tests.support import eventually, running

ROOT = Path(__file__).resolve().parents[2]
METRICS_PER_POLL = 5


class Mosquitto:
    """A broker process of this test's own, on a free port, that can be killed and restarted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.path.exists(binary):
            need_service("mosquitto is not installed (apt-get install mosquitto)")
        self.binary = binary

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def listening(self) -> None:
        """Wait until the broker accepts connections (it takes a moment after `start`)."""
        for _ in range(200):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return
        pytest.fail(f"mosquitto did not listen on {self.port}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)


@contextmanager
def agent_process(config_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "parkops.cli", "edge", "run", "--config", str(config_path)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def outbox_pending(path: Path) -> int:
    if not path.exists():
        return -1
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM records").fetchone()[0])


class OutboxWatch:
    """Samples the agent's outbox file from outside: the highest seq each boot ever reached,
    and what is still waiting. Together with the database this shows nothing was dropped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.highest: dict[int, int] = {}

    def waiting(self) -> dict[int, set[int]]:
        if not self.path.exists():
            return {}
        with sqlite3.connect(self.path) as db:
            rows = db.execute("SELECT boot, seq FROM records").fetchall()
        by_boot: dict[int, set[int]] = {}
        for boot, seq in rows:
            by_boot.setdefault(boot, set()).add(seq)
            self.highest[boot] = max(self.highest.get(boot, 0), seq)
        return by_boot

    async def keep_sampling(self) -> None:
        while True:
            self.waiting()
            await asyncio.sleep(0.05)

    def assert_nothing_lost(self, sessions: sessionmaker[Session]) -> None:
        """Every seq a boot reached is committed in the cloud or still waiting in the outbox."""
        waiting, by_boot = self.waiting(), committed(sessions)
        for boot, seqs in by_boot.items():
            self.highest[boot] = max(self.highest.get(boot, 0), seqs[-1])
        for boot, top in self.highest.items():
            have = set(by_boot.get(boot, [])) | waiting.get(boot, set())
            lost = sorted(set(range(1, top + 1)) - have)
            assert not lost, f"boot {boot}: {len(lost)} records lost, from seq {lost[0]}"


def committed(sessions: sessionmaker[Session]) -> dict[int, list[int]]:
    """Committed seqs per boot."""
    with sessions() as session:
        rows = session.execute(select(IngestReceipt.boot, IngestReceipt.seq)).all()
    by_boot: dict[int, list[int]] = {}
    for boot, seq in rows:
        by_boot.setdefault(boot, []).append(seq)
    return {boot: sorted(seqs) for boot, seqs in by_boot.items()}


def assert_exactly_once(sessions: sessionmaker[Session]) -> dict[int, list[int]]:
    by_boot = committed(sessions)
    with sessions() as session:
        readings = session.scalar(select(func.count()).select_from(Reading))
        # the site's barriers report their loops and positions as events, not readings
        events = session.scalar(select(func.count()).select_from(DeviceEvent))
        acked = dict(session.execute(select(AgentStream.boot, AgentStream.acked_seq)).all())
    for boot, seqs in by_boot.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"boot {boot}: a seq is missing"
        assert acked[boot] == len(seqs), f"boot {boot}: the ack is behind what is committed"
    assert readings == METRICS_PER_POLL * (sum(len(s) for s in by_boot.values()) - events)
    return by_boot


@asynccontextmanager
async def cloud_and_site(
    tmp_path: Path, broker: Mosquitto
) -> AsyncIterator[tuple[sessionmaker[Session], Path, Path]]:
    """PostgreSQL with the demo org, ingest on `broker`, the simulated meters; yields the
    sessions, the agent's config file and its outbox path."""
    outbox = tmp_path / "outbox.sqlite3"
    raw = demo_site_raw(
        broker_url=broker.url,
        outbox=outbox,
        poll_interval_s=0.2,
        batch_interval_s=0.5,
        resend_after_s=2,
    )
    site = SiteConfig.model_validate(raw)
    config_path = tmp_path / "site.yaml"
    config_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    with fresh_postgres_database() as database_url:
        upgrade(database_url)
        engine = make_engine(database_url)
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            seed_demo(session=session, site=site)
        settings = Settings(database_url=database_url, mqtt_url=broker.url, mqtt_protocol="5")
        try:
            async with (
                running(lambda ready: serve_site(site, speed=60, ready=ready)),
                running(
                    lambda ready: run_ingest(settings=settings, sessions=sessions, ready=ready),
                    ready_within_s=10,
                ),
            ):
                yield sessions, config_path, outbox
        finally:
            engine.dispose()


def _total(sessions: sessionmaker[Session]) -> int:
    return sum(len(seqs) for seqs in committed(sessions).values())


@pytest.mark.postgres
async def test_agent_killed_mid_stream_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    broker = Mosquitto(free_tcp_port())
    broker.start()
    try:
        async with cloud_and_site(tmp_path, broker) as (sessions, config, outbox):
            watch = OutboxWatch(outbox)
            sampling = asyncio.create_task(watch.keep_sampling())
            with agent_process(config) as first:
                await eventually(
                    lambda: _total(sessions) >= 30 and outbox_pending(outbox) > 0,
                    timeout_s=30,
                    every_s=0.01,
                    what="the first agent's records committed, and more waiting",
                )
                first.send_signal(signal.SIGKILL)  # no goodbye, records still in flight
                first.wait(timeout=10)
                left_behind = watch.waiting()
            with agent_process(config):
                await eventually(
                    lambda: len(committed(sessions)) == 2,
                    timeout_s=30,
                    what="the restarted agent's new boot to arrive",
                )
                await eventually(
                    lambda: _drained(outbox, sessions),
                    timeout_s=30,
                    every_s=0.1,
                    what="the outbox to drain",
                )
            sampling.cancel()
            by_boot = assert_exactly_once(sessions)
            watch.assert_nothing_lost(sessions)
    finally:
        broker.kill()
    first_boot, second_boot = sorted(by_boot)
    assert second_boot > first_boot and len(by_boot[first_boot]) >= 30
    assert left_behind.get(first_boot), "the kill left nothing unacked: nothing was tested"
    assert by_boot[first_boot][-1] == watch.highest[first_boot]  # the dead boot's tail arrived


BROKER_OUTAGE_S = 60.0


@pytest.mark.postgres
@pytest.mark.timeout(BROKER_OUTAGE_S + 120)
async def test_broker_down_for_a_minute_mid_stream_loses_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    broker = Mosquitto(free_tcp_port())
    broker.start()
    try:
        async with cloud_and_site(tmp_path, broker) as (sessions, config, outbox):
            watch = OutboxWatch(outbox)
            sampling = asyncio.create_task(watch.keep_sampling())
            with agent_process(config):
                await eventually(
                    lambda: _total(sessions) >= 30,
                    timeout_s=30,
                    every_s=0.1,
                    what="records committed before the broker dies",
                )
                broker.kill()  # everything the broker held in flight is gone
                before = _total(sessions)
                # The agent keeps polling into its outbox meanwhile.
                await asyncio.sleep(BROKER_OUTAGE_S)
                backlog = outbox_pending(outbox)
                broker.start()
                await eventually(
                    lambda: _total(sessions) >= before + 30,
                    timeout_s=60,
                    every_s=0.2,
                    what="the stream to resume after the restart",
                )
                await eventually(
                    lambda: _drained(outbox, sessions),
                    timeout_s=30,
                    every_s=0.1,
                    what="the outbox to drain",
                )
            sampling.cancel()
            assert_exactly_once(sessions)
            watch.assert_nothing_lost(sessions)
    finally:
        broker.kill()
    # Three meters polled every 0.2 s for a minute: hundreds of records waited in the outbox.
    assert backlog >= 300, "the outage built no backlog: the resend path was not tested"


DRAINED_BELOW = 30
"""Records still waiting that count as drained: the agent keeps polling (about 15 readings a
second here), so a moment with none waiting at all may never come on a busy machine."""


def _drained(outbox: Path, sessions: sessionmaker[Session]) -> bool:
    """The backlog is gone and nothing committed waits for its ack."""
    return outbox_pending(outbox) < DRAINED_BELOW and _settled(sessions)


def _settled(sessions: sessionmaker[Session]) -> bool:
    """Every committed seq is also acked (no batch half-way through ingest)."""
    by_boot = committed(sessions)
    with sessions() as session:
        acked = dict(session.execute(select(AgentStream.boot, AgentStream.acked_seq)).all())
    return all(acked.get(boot) == len(seqs) == seqs[-1] for boot, seqs in by_boot.items())

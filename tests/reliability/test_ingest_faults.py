"""Faults on the cloud side of a stream: the ingest workers killed with SIGKILL and restarted,
PostgreSQL restarted. Afterwards every (agent, boot, seq) is in the database exactly once.

Real parts: a Mosquitto process and a PostgreSQL cluster of the test's own where the test
restarts them (so no other test is disturbed), `parkops cloud ingest --workers 2` as separate
processes, and an agent's stream resent until acked as the edge outbox does it.
"""

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.engine import make_engine, make_sessionmaker
from cloud.db.migrate import upgrade
from cloud.ingest.consumer import run_ingest
from cloud.settings import Settings
from tests.cloud.factories import make_world
from tests.cloud.ingest.streams import (
    StreamingAgent,
    assert_stored_exactly_once,
    private_mosquitto,
)
from tests.conftest import free_tcp_port, fresh_postgres_database, need_service
from tests.support import eventually

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SITE, AGENT = "site-f", "agent-f"


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own, on a free port, that can be stopped and started.
    initdb refuses to run as root, so as root the cluster belongs to the `postgres` user."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            need_service(f"no PostgreSQL server binaries in {PG_BIN}")
        self.port = free_tcp_port()
        self.dir = Path(tempfile.mkdtemp(prefix="parkops-pg-"))  # not under pytest's 0700 dirs
        self.data = self.dir / "data"
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, user="postgres")
            self._as_owner = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as_owner, str(PG_BIN / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.dir / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


def prepared(database_url: str) -> sessionmaker[Session]:
    """Migrated, with one org whose agent streams to M-101."""
    upgrade(database_url)
    sessions = make_sessionmaker(make_engine(database_url))
    with sessions.begin() as session:
        make_world(session, org_code="acme", site_code=SITE, agent_code=AGENT)
    return sessions


@asynccontextmanager
async def ingest_processes(*, database_url: str, broker_url: str, log: Path) -> AsyncIterator[int]:
    """`parkops cloud ingest --workers 2` in a session of its own; yields its pid once both
    workers are subscribed. The block may kill the whole session."""
    env = {**os.environ, "PARKOPS_DATABASE_URL": database_url, "PARKOPS_MQTT_URL": broker_url}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "parkops.cli", "cloud", "ingest", "--workers", "2"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        await eventually(
            lambda: process.poll() is not None or _log(log).count("ingest subscribed") == 2,
            timeout_s=30,
            what="both ingest workers to subscribe",
        )
        assert process.poll() is None, _log(log)[-3000:]
        yield process.pid
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            await asyncio.to_thread(process.wait, 20)
        with contextlib.suppress(ProcessLookupError):  # a worker that outlived its parent
            os.killpg(process.pid, signal.SIGKILL)


def _log(path: Path) -> str:
    return path.read_text(errors="replace")


def kill_session(pid: int) -> None:
    """SIGKILL the process and its workers at once: a crashed host, not a shutdown."""
    os.killpg(pid, signal.SIGKILL)


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


@pytest.mark.postgres
async def test_ingest_workers_killed_mid_stream_then_restarted_store_every_record_once(
    tmp_path: Path,
) -> None:
    with private_mosquitto() as broker, fresh_postgres_database() as database_url:
        sessions = prepared(database_url)
        stream = StreamingAgent(
            broker_url=broker.url, site=SITE, agent=AGENT, total=4000, batch_size=100
        )
        first, second = tmp_path / "first.log", tmp_path / "second.log"
        async with ingest_processes(
            database_url=database_url, broker_url=broker.url, log=first
        ) as pid:
            streaming = asyncio.create_task(stream.run(timeout_s=60))
            await eventually(lambda: stream.acked >= 1000, timeout_s=30, what="1000 acked")
            kill_session(pid)
            acked_at_kill = stream.acked
        await asyncio.sleep(1)  # nothing takes the stream in now; the agent keeps resending
        async with ingest_processes(database_url=database_url, broker_url=broker.url, log=second):
            await asyncio.wait_for(streaming, 60)
        assert_stored_exactly_once(sessions, stream)
        sessions.kw["bind"].dispose()
    assert acked_at_kill < stream.total, "the stream ended before the kill: nothing was tested"
    assert stream.published > stream.total // stream.batch_size, "the kill lost nothing in flight"


@pytest.mark.postgres
async def test_workers_do_not_outlive_their_killed_parent(tmp_path: Path) -> None:
    with private_mosquitto() as broker, fresh_postgres_database() as database_url:
        upgrade(database_url)
        log = tmp_path / "ingest.log"
        async with ingest_processes(
            database_url=database_url, broker_url=broker.url, log=log
        ) as pid:
            workers = children(pid)
            assert len(workers) == 2
            os.kill(pid, signal.SIGKILL)  # the parent alone
            await eventually(
                lambda: not any(alive(w) for w in workers),
                timeout_s=10,
                what="the workers to exit after their parent",
            )


@asynccontextmanager
async def ingest_worker(settings: Settings, sessions: sessionmaker[Session]) -> AsyncIterator[None]:
    stop, ready = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(
        run_ingest(settings=settings, sessions=sessions, stop=stop, ready=ready)
    )
    try:
        await asyncio.wait_for(ready.wait(), 10)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(worker, 20)


@pytest.mark.postgres
async def test_postgres_restarted_mid_stream_stores_every_record_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with private_mosquitto() as broker, private_postgres() as server:
        sessions = prepared(server.url)
        settings = Settings(database_url=server.url, mqtt_url=broker.url)
        stream = StreamingAgent(
            broker_url=broker.url, site=SITE, agent=AGENT, total=4000, batch_size=100
        )
        with caplog.at_level(logging.INFO, logger="cloud.ingest.consumer"):
            async with ingest_worker(settings, sessions):
                streaming = asyncio.create_task(stream.run(timeout_s=60))
                await eventually(lambda: stream.acked >= 1000, timeout_s=30, what="1000 acked")
                await asyncio.to_thread(server.stop, "immediate")  # a crash, mid-write
                acked_at_crash = stream.acked
                await asyncio.sleep(1.5)
                await asyncio.to_thread(server.start)
                await asyncio.wait_for(streaming, 60)
        assert_stored_exactly_once(sessions, stream)
        sessions.kw["bind"].dispose()
    assert acked_at_crash < stream.total, "the stream ended before the crash: nothing was tested"
    messages = [r.getMessage() for r in caplog.records]
    assert any("database write failed" in m for m in messages), "the outage went unnoticed"
    assert any("database write recovered" in m for m in messages)

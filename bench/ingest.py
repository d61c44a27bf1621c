"""Cloud ingest end to end: publishers -> Mosquitto -> ingest workers -> committed PostgreSQL rows,
beside raw binary COPY of the same rows, and an ingest worker's memory under that load.

Publishers behave like edge agents: batches of 500 records, at most four unacked batches per
agent, the next sent as the cloud's `down/ack` (sent after commit) covers the earlier. The clock
runs from the first publish to the last ack, so every reading counted is committed. Mosquitto is
a process of the benchmark's own (default settings), so no other subscriber shares its
`$share/ingest` group; the workers are `parkops cloud ingest --workers N`. The whole is run
`RUNS` times, each on a fresh database, and the medians reported.
"""

import asyncio
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from multiprocessing.synchronize import Event
from pathlib import Path
from statistics import median
from typing import Any

import aiomqtt
import psycopg
from sqlalchemy.engine import make_url

from bench._report import report, timed
from cloud.db.engine import make_engine, make_sessionmaker
from cloud.db.migrate import upgrade
from cloud.energy.models import Meter
from cloud.identity.models import Org
from cloud.ingest.models import EdgeAgent
from cloud.properties.models import Site
from protocols import topics
from protocols.messages import Ack, DataBatch, ReadingRecord

AGENTS = 8
METERS_PER_AGENT = 50
PUBLISHERS = 2
BATCHES_PER_AGENT = int(os.environ.get("PARKOPS_BENCH_INGEST_BATCHES", "50"))
"""Per agent; raise it for a longer run (memory under sustained load)."""
RECORDS_PER_BATCH = 500
IN_FLIGHT_BATCHES = 4
WORKERS = int(os.environ.get("PARKOPS_BENCH_INGEST_WORKERS", "2"))
RUNS = int(os.environ.get("PARKOPS_BENCH_INGEST_RUNS", "3"))
"""Both figures move by a fifth or more from run to run on a shared 2-core machine (the WAL,
checkpoints, other services): each run measures both, and the medians are reported."""
VALUES = {"voltage": 229.8, "current": 12.31, "active_power": 2.83, "frequency": 50.01}
READINGS_PER_RECORD = len(VALUES) + 1  # and energy_import
SITE = "bench-site"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SAMPLE_EVERY_S = 0.5
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    base = make_url(os.environ.get("PARKOPS_BENCH_DATABASE_URL", DEFAULT_URL))
    runs = [_run(base) for _ in range(RUNS)]
    ingest = median(r.ingest_rate for r in runs)
    copy, keyed = median(r.copy_rate for r in runs), median(r.keyed_rate for r in runs)
    ratios = [r.ingest_rate / r.copy_rate for r in runs]
    rss = [sample for r in runs for sample in r.rss]
    first, last, peak = runs[0].rss[0], runs[-1].rss[-1], max(rss)
    report(
        "ingest",
        [
            (f"end to end, {WORKERS} workers, {AGENTS} agents (median)", ingest, "readings/s"),
            ("  the same as records", ingest / READINGS_PER_RECORD, "records/s"),
            ("limit: binary COPY of the same rows (median)", copy, "readings/s"),
            *[
                (f"ratio end to end / limit, run {n}", ratio, "")
                for n, ratio in enumerate(ratios, 1)
            ],
            (f"ratio end to end / limit, median of {RUNS}", median(ratios), ""),
            ("  COPY with readings' foreign key (median)", keyed, "readings/s"),
            ("  ratio end to end / that", ingest / keyed, ""),
            ("worker RSS, first sample after start-up", first / 2**20, "MiB"),
            ("worker RSS, last sample under load", last / 2**20, "MiB"),
            ("worker RSS, peak", peak / 2**20, "MiB"),
        ],
        {
            "readings": runs[0].readings,
            "runs": RUNS,
            "seconds": [round(r.seconds, 2) for r in runs],
            "workers": WORKERS,
            "ingest_readings_per_s": round(ingest),
            "copy_readings_per_s": round(copy),
            "ratios": [round(ratio, 3) for ratio in ratios],
            "ratio": round(median(ratios), 3),
            "copy_with_fk_readings_per_s": round(keyed),
            "worker_rss_first_mib": round(first / 2**20, 1),
            "worker_rss_last_mib": round(last / 2**20, 1),
            "worker_rss_peak_mib": round(peak / 2**20, 1),
        },
    )


@dataclass(frozen=True)
class _Run:
    readings: int
    seconds: float
    copy_rate: float
    keyed_rate: float
    rss: list[int]

    @property
    def ingest_rate(self) -> float:
        return self.readings / self.seconds


def _run(base: Any) -> _Run:
    """One run on a database of its own: the end-to-end load, then the limit on its rows."""
    with _bench_database(base) as (url, dsn):
        upgrade(url)
        _seed(url)
        with _mosquitto() as broker_url, _ingest_workers(url, broker_url) as workers:
            seconds, rss = _load(broker_url, workers)
        rows = _readings(dsn)
        copy_s = _copy_limit(dsn, rows, keyed=False)
        keyed_s = _copy_limit(dsn, rows, keyed=True)
    expected = AGENTS * BATCHES_PER_AGENT * RECORDS_PER_BATCH * READINGS_PER_RECORD
    assert len(rows) == expected, f"{len(rows)} readings committed, {expected} sent"
    return _Run(len(rows), seconds, len(rows) / copy_s, len(rows) / keyed_s, rss)


@contextmanager
def _bench_database(base: Any) -> Iterator[tuple[str, str]]:
    """A database of the benchmark's own: yields its SQLAlchemy URL and psycopg DSN."""
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"parkops_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            base.set(database=name).render_as_string(hide_password=False),
            base.set(drivername="postgresql", database=name).render_as_string(hide_password=False),
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _agent(n: int) -> str:
    return f"bench-agent-{n}"


def _meter(agent: int, n: int) -> str:
    return f"EM-{agent}-{n:03d}"


def _seed(url: str) -> None:
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as session:
        org = Org(code="bench", name="Bench", timezone="Asia/Shanghai")
        session.add(org)
        session.flush()
        site = Site(org_id=org.id, code=SITE, name="Bench park")
        session.add(site)
        session.flush()
        for a in range(AGENTS):
            agent = EdgeAgent(org_id=org.id, site_id=site.id, code=_agent(a))
            session.add(agent)
            session.flush()
            session.add_all(
                Meter(
                    org_id=org.id,
                    site_id=site.id,
                    agent_id=agent.id,
                    code=_meter(a, m),
                    profile="chint-ddsu666",
                    ct_ratio=Decimal(1),
                    billing=False,
                )
                for m in range(METERS_PER_AGENT)
            )
    engine.dispose()


@contextmanager
def _mosquitto() -> Iterator[str]:
    port = _free_port()
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    broker = subprocess.Popen(
        [binary, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(0.3)
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _ingest_workers(url: str, broker_url: str) -> Iterator[list[int]]:
    """`parkops cloud ingest --workers N`; yields the worker pids once all have subscribed."""
    env = {**os.environ, "PARKOPS_DATABASE_URL": url, "PARKOPS_MQTT_URL": broker_url}
    command = [sys.executable, "-m", "parkops.cli", "cloud", "ingest", "--workers", str(WORKERS)]
    if WORKERS == 1:
        command.append("--shared")  # the same subscription as several workers have
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while _tail(log).count(b"ingest subscribed") < WORKERS:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"ingest workers did not start: {_tail(log)[-2000:]!r}")
                time.sleep(0.1)
            yield _children(process.pid) or [process.pid]
        finally:
            process.terminate()
            process.wait(30)


def _tail(log: Any) -> bytes:
    log.seek(0)
    return bytes(log.read())


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _load(broker_url: str, workers: list[int]) -> tuple[float, list[int]]:
    """Run the publishers; return the seconds from the first publish to the last ack, and the
    largest worker's resident memory sampled from a fifth of the run on (start-up over)."""
    context = multiprocessing.get_context("fork")
    go, results = context.Event(), context.Queue()
    agents = list(range(AGENTS))
    publishers = [
        context.Process(target=_publisher, args=(broker_url, agents[p::PUBLISHERS], go, results))
        for p in range(PUBLISHERS)
    ]
    for publisher in publishers:
        publisher.start()
    for _ in publishers:
        assert results.get(timeout=120) == "ready"
    samples: list[tuple[float, int]] = []
    started = time.monotonic()
    go.set()
    finished: list[float] = []
    while len(finished) < len(publishers):
        time.sleep(SAMPLE_EVERY_S)
        samples.append((time.monotonic(), max(_rss(pid) for pid in workers)))
        while not results.empty():
            finished.append(results.get())
    for publisher in publishers:
        publisher.join(10)
    seconds = max(finished) - started
    under_load = [rss for at, rss in samples if at - started >= seconds / 5]
    return seconds, under_load or [samples[-1][1]]


def _publisher(broker_url: str, agents: list[int], go: Event, results: Any) -> None:
    """A process publishing for `agents`: payloads built first, then sent on `go`."""
    payloads = {a: _payloads(a) for a in agents}
    asyncio.run(_publish(broker_url, payloads, go, results))


def _payloads(agent: int) -> list[bytes]:
    # A second apart, all in the past and inside the 7 days ingest accepts.
    t0 = datetime.now(UTC) - timedelta(seconds=BATCHES_PER_AGENT * RECORDS_PER_BATCH + 3600)
    code, meters = _agent(agent), [_meter(agent, m) for m in range(METERS_PER_AGENT)]

    def record(seq: int) -> ReadingRecord:
        values = {**VALUES, "energy_import": seq / 100}
        device, ts = meters[seq % len(meters)], t0 + timedelta(seconds=seq)
        return ReadingRecord(agent=code, boot=1, seq=seq, device=device, ts=ts, values=values)

    return [
        DataBatch(
            site=SITE,
            agent=code,
            records=[record(b * RECORDS_PER_BATCH + r + 1) for r in range(RECORDS_PER_BATCH)],
        )
        .model_dump_json()
        .encode()
        for b in range(BATCHES_PER_AGENT)
    ]


async def _publish(
    broker_url: str, payloads: dict[int, list[bytes]], go: Event, results: Any
) -> None:
    port = int(broker_url.rsplit(":", 1)[1])
    async with aiomqtt.Client("127.0.0.1", port, protocol=aiomqtt.ProtocolVersion.V5) as client:
        acked = {topics.ack(SITE, _agent(a)): asyncio.Event() for a in payloads}
        for topic in acked:
            await client.subscribe(topic, qos=1)
        seqs = {topic: 0 for topic in acked}
        receiving = asyncio.create_task(_receive_acks(client, seqs, acked))
        results.put("ready")
        await asyncio.to_thread(go.wait)
        await asyncio.gather(
            *(_agent_stream(client, a, batches, seqs, acked) for a, batches in payloads.items())
        )
        results.put(time.monotonic())
        receiving.cancel()


async def _agent_stream(
    client: aiomqtt.Client,
    agent: int,
    batches: list[bytes],
    seqs: dict[str, int],
    acked: dict[str, asyncio.Event],
) -> None:
    """Like the edge outbox: at most IN_FLIGHT_BATCHES unacked, the next once acks allow."""
    ack_topic, data_topic = topics.ack(SITE, _agent(agent)), topics.data(SITE, _agent(agent))
    for n, payload in enumerate(batches):
        while n * RECORDS_PER_BATCH - seqs[ack_topic] >= IN_FLIGHT_BATCHES * RECORDS_PER_BATCH:
            acked[ack_topic].clear()
            await acked[ack_topic].wait()
        await client.publish(data_topic, payload, qos=1)
    while seqs[ack_topic] < len(batches) * RECORDS_PER_BATCH:
        acked[ack_topic].clear()
        await acked[ack_topic].wait()


async def _receive_acks(
    client: aiomqtt.Client, seqs: dict[str, int], acked: dict[str, asyncio.Event]
) -> None:
    async for message in client.messages:
        assert isinstance(message.payload, bytes)
        ack = Ack.model_validate_json(message.payload)
        topic = message.topic.value
        seqs[topic] = max(seqs[topic], ack.seq)
        acked[topic].set()


def _readings(dsn: str) -> list[tuple[int, str, datetime, float]]:
    with psycopg.connect(dsn) as conn:
        return [
            (r[0], r[1], r[2], r[3])
            for r in conn.execute("SELECT device_id, metric, ts, value FROM readings")
        ]


def _copy_limit(dsn: str, rows: list[tuple[int, str, datetime, float]], *, keyed: bool) -> float:
    """The limit: the same reading rows by binary COPY into a table shaped like `readings`
    (LIKE copies the primary key, not the foreign key); `keyed` adds readings' foreign key to
    meters, which PostgreSQL checks row by row."""
    table = f"bench_readings_{'keyed' if keyed else 'plain'}"
    with psycopg.connect(dsn) as conn:
        conn.execute(f"CREATE TABLE {table} (LIKE readings INCLUDING ALL)")
        if keyed:
            conn.execute(f"ALTER TABLE {table} ADD FOREIGN KEY (device_id) REFERENCES meters (id)")
        conn.commit()

        def copy() -> None:
            with (
                conn.cursor() as cur,
                cur.copy(
                    f"COPY {table} (device_id, metric, ts, value) FROM STDIN (FORMAT BINARY)"
                ) as copy,
            ):
                copy.set_types(["int8", "text", "timestamptz", "float8"])
                for row in rows:
                    copy.write_row(row)
            conn.commit()

        return timed(copy)


if __name__ == "__main__":
    main()

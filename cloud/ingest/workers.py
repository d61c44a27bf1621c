"""Ingest workers as processes: one in this process, or several in child processes that split
the uplink through a `$share` subscription. Processes, not tasks: parsing JSON and feeding COPY
keep a core busy, and one interpreter has one GIL."""

import asyncio
import gc
import logging
import multiprocessing
import signal
from collections.abc import Sequence
from multiprocessing.connection import wait
from types import FrameType
from typing import Any

from cloud.db.engine import make_engine, make_sessionmaker, normalize_url
from cloud.devices.listener import run_status_listener
from cloud.ingest.consumer import run_ingest
from cloud.metrics import IngestMetrics, serve_ingest_metrics
from cloud.settings import Settings

log = logging.getLogger(__name__)

STOP_GRACE_S = 15.0

STATEMENT_TIMEOUT_MS = 60_000
"""A batch takes a second or two; a statement stuck far longer (a dead server, a lock held by a
hung peer) is cancelled, and the batch retried, rather than blocking the worker for good."""


def serve_worker(
    *,
    settings: Settings,
    shared: bool,
    status_listener: bool = True,
    metrics_port: int | None = None,
) -> None:
    """Run one worker in this process until SIGINT or SIGTERM, or until the process that
    started it (if it is a child of `run_workers`) is gone, so no worker outlives its parent.

    With `status_listener` it also records agents' births and wills (one process of a
    deployment should); with `metrics_port` it serves /metrics on that port."""
    engine = make_engine(settings.database_url, **_engine_options(settings.database_url))
    sessions = make_sessionmaker(engine)
    _tune_garbage_collector()

    async def main(metrics: IngestMetrics | None) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        parent = multiprocessing.parent_process()
        if parent is not None:
            loop.add_reader(parent.sentinel, stop.set)
        ingest = run_ingest(
            settings=settings, sessions=sessions, stop=stop, shared=shared, metrics=metrics
        )
        if not status_listener:
            await ingest
            return
        status = run_status_listener(settings=settings, sessions=sessions, stop=stop)
        await asyncio.gather(ingest, status)

    try:
        with serve_ingest_metrics(host=settings.http_host, port=metrics_port) as metrics:
            asyncio.run(main(metrics))
    finally:
        engine.dispose()


GC_YOUNG_THRESHOLD = 50_000
"""Allocations (net) before the youngest generation is collected; Python's default is 700."""


def _tune_garbage_collector() -> None:
    """A batch is hundreds of thousands of short-lived objects (parsed records, rows), next to
    none in a reference cycle. With the default thresholds the collector scans them over and
    over while they are alive, promotes them, and then walks the whole heap (everything loaded
    at start-up) in full collections: `bench/ingest.py` measured that as a third or more of a
    worker's CPU. What start-up made is frozen (never scanned again) and the youngest
    generation waits for more allocations; cycles are still collected."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def _engine_options(url: str) -> dict[str, Any]:
    if normalize_url(url).get_backend_name() != "postgresql":
        return {}
    options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    return {"connect_args": {"connect_timeout": 10, "options": options, "keepalives_idle": 30}}


def run_workers(
    *, settings: Settings, count: int, shared: bool, metrics_port: int | None = None
) -> int:
    """Run `count` worker processes until SIGINT or SIGTERM (exit code 0), or until one of them
    ends by itself: then stop the rest and return 1, for the service manager to restart us."""
    # Forked before this process has started a thread or a connection, a child starts at once
    # with everything imported; spawn where there is no fork.
    context = (
        multiprocessing.get_context("fork")
        if "fork" in multiprocessing.get_all_start_methods()
        else multiprocessing.get_context("spawn")
    )
    processes = [
        context.Process(
            target=_child,
            # The first worker also listens to agents' status; each serves its own metrics port.
            args=(settings, shared, n == 0, None if metrics_port is None else metrics_port + n),
            name=f"parkops-ingest-{n}",
            daemon=False,
        )
        for n in range(count)
    ]
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive():
                process.terminate()

    for process in processes:
        process.start()
    for sig in (signal.SIGINT, signal.SIGTERM):  # after the forks: the children have their own
        signal.signal(sig, stop)
    log.info("started %d ingest workers (%s)", count, "shared" if shared else "not shared")
    wait([process.sentinel for process in processes])
    if not stopping:
        ended = next(p for p in processes if not p.is_alive())
        log.error("ingest worker %s ended (exit code %s): stopping", ended.name, ended.exitcode)
    _stop_all(processes)
    return 0 if stopping else 1


def _stop_all(processes: Sequence[multiprocessing.process.BaseProcess]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(STOP_GRACE_S)
        if process.is_alive():
            process.kill()
            process.join()


def _child(
    settings: Settings, shared: bool, status_listener: bool, metrics_port: int | None
) -> None:
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s %(levelname)s {multiprocessing.current_process().name} "
        "%(name)s: %(message)s",
    )
    serve_worker(
        settings=settings,
        shared=shared,
        status_listener=status_listener,
        metrics_port=metrics_port,
    )

"""Prometheus metrics: `/metrics` of the cloud app (agents, open alarms, dead letters, read
from the database at each scrape) and of an ingest worker (what it took in, how late, in
what batches).

Every app and worker has its own `CollectorRegistry`, never the library's global one, so two
apps in one process (tests) do not share counts. Ingest workers are separate processes: each
serves its own port (`--metrics-port` + worker number) and Prometheus scrapes each, rather than
prometheus-client's multiprocess mode (a shared directory of mmap files, no custom collectors).
"""

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)
from prometheus_client import generate_latest as _render
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.alarms.service import count_open
from cloud.devices.service import count_online
from cloud.ingest.checks import Cause, DataUplink, Rejected, Uplink
from cloud.ingest.models import DeadLetter
from cloud.ingest.service import IngestOutcome

log = logging.getLogger(__name__)

_BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
_LAG_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400)


def render(registry: CollectorRegistry) -> bytes:
    return _render(registry)


class _DatabaseCollector(Collector):
    """Figures read from the database when scraped, so every app process reports the same."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def describe(self) -> Iterable[Metric]:
        return []  # nothing at registration: no query before the first scrape

    def collect(self) -> Iterable[Metric]:
        with self.sessions() as session:
            online = count_online(session)
            alarms = count_open(session)
            letters = session.execute(
                select(DeadLetter.cause, func.count()).group_by(DeadLetter.cause)
            ).all()
        agents = GaugeMetricFamily("parkops_agents", "Edge agents by state", labels=["state"])
        agents.add_metric(["online"], online[True])
        agents.add_metric(["offline"], online[False])
        yield agents
        open_alarms = GaugeMetricFamily(
            "parkops_alarms_open", "Open alarms by severity", labels=["severity"]
        )
        for severity in ("critical", "major", "minor"):
            open_alarms.add_metric([severity], alarms.get(severity, 0))
        yield open_alarms
        kept = GaugeMetricFamily(
            "parkops_dead_letters", "Dead letters kept, by cause", labels=["cause"]
        )
        for cause, count in letters:
            kept.add_metric([cause], count)
        yield kept


def install_app_metrics(app: FastAPI, sessions: sessionmaker[Session]) -> CollectorRegistry:
    """Serve `/metrics` on `app` from a registry of its own."""
    registry = CollectorRegistry()
    registry.register(_DatabaseCollector(sessions))

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics() -> Response:
        return Response(render(registry), media_type=CONTENT_TYPE_LATEST)

    return registry


class IngestMetrics:
    """What one ingest worker took in; the consumer calls `observe` after each commit."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "parkops_ingest_messages", "Uplink messages taken in", ["kind"], registry=r
        )
        self.records = Counter(
            "parkops_ingest_records",
            "Uplink records by what became of them",
            ["result"],
            registry=r,
        )
        self.dead_letters = Counter(
            "parkops_ingest_dead_letters", "Dead letters kept, by cause", ["cause"], registry=r
        )
        self.batch_messages = Histogram(
            "parkops_ingest_batch_messages",
            "Messages per batch",
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.batch_records = Histogram(
            "parkops_ingest_batch_records", "Records per batch", buckets=_BATCH_BUCKETS, registry=r
        )
        self.lag = Histogram(
            "parkops_ingest_lag_seconds",
            "From a record's device time to its commit (the newest record of each batch)",
            buckets=_LAG_BUCKETS,
            registry=r,
        )
        self.last_commit = Gauge(
            "parkops_ingest_last_commit_timestamp_seconds",
            "When a batch last committed",
            registry=r,
        )

    def observe(
        self,
        uplinks: Sequence[Uplink],
        outcomes: Sequence[IngestOutcome],
        *,
        now: datetime | None = None,
    ) -> None:
        now = now or datetime.now(UTC)
        records = 0
        newest: datetime | None = None
        for uplink, outcome in zip(uplinks, outcomes, strict=True):
            self.messages.labels(outcome.kind).inc()
            for cause in _dead_letter_causes(uplink, outcome):
                self.dead_letters.labels(cause).inc()
            if isinstance(uplink, DataUplink):
                records += len(uplink.batch.records)
                latest = max(r.ts for r in uplink.batch.records)
                newest = latest if newest is None else max(newest, latest)
            self.records.labels("written").inc(outcome.written)
            self.records.labels("duplicate").inc(outcome.duplicates)
            self.records.labels("dead_letter").inc(outcome.dead_lettered)
        self.batch_messages.observe(len(uplinks))
        self.batch_records.observe(records)
        if newest is not None:
            self.lag.observe(max(0.0, (now - newest).total_seconds()))
        self.last_commit.set(now.timestamp())


def _dead_letter_causes(uplink: Uplink, outcome: IngestOutcome) -> list[str]:
    """The cause of each dead letter this message left (a whole message, or records of it)."""
    if isinstance(uplink, Rejected):
        return [uplink.refusal.cause.value]
    if outcome.kind == "dead_letter":
        refused = (outcome.reason or "").startswith("the database refused")
        return [Cause.REFUSED.value if refused else Cause.UNKNOWN_AGENT.value]
    if not isinstance(uplink, DataUplink) or not outcome.dead_lettered:
        return []
    # Records refused by the checks carry their cause; the rest name an unknown device.
    checked = [r.cause.value for r in uplink.refused.values()][: outcome.dead_lettered]
    return checked + [Cause.UNKNOWN_DEVICE.value] * (outcome.dead_lettered - len(checked))


@contextmanager
def serve_ingest_metrics(*, host: str, port: int | None) -> Iterator[IngestMetrics | None]:
    """A worker's metrics, served on `host:port/metrics` for the block (none without a port)."""
    if port is None:
        yield None
        return
    metrics = IngestMetrics()
    server, thread = start_http_server(port, addr=host, registry=metrics.registry)
    log.info("ingest metrics on http://%s:%d/metrics", host, port)
    try:
        yield metrics
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

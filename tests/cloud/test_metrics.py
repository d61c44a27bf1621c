"""/metrics of the cloud app and the counts of an ingest worker, in the Prometheus text format."""

import asyncio
import urllib.request
from datetime import UTC, datetime, timedelta

import aiomqtt
from httpx import AsyncClient
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from cloud.alarms import service as alarms_service
from cloud.alarms.rules import install_default_rules
from cloud.ingest import consumer
from cloud.ingest.checks import check_uplink
from cloud.ingest.consumer import run_ingest
from cloud.metrics import IngestMetrics, serve_ingest_metrics
from cloud.settings import Settings
from protocols import topics
from protocols.mqtt_url import parse_broker_url
from tests.cloud.factories import World, make_world
from tests.cloud.ingest.batches import batch, recently
from tests.conftest import free_tcp_port


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_app_metrics_follow_the_database(
    client: AsyncClient, session: Session, sessions: sessionmaker[Session], world: World
) -> None:
    before = _samples((await client.get("/metrics")).text)
    assert before[("parkops_agents", (("state", "offline"),))] == 2  # both orgs' agents
    assert before[("parkops_alarms_open", (("severity", "critical"),))] == 0

    [rule] = [
        r
        for r in install_default_rules(session=session, org_id=world.org.id)
        if r.code == "outbox-full"
    ]
    alarms_service.raise_alarm(session=session, rule=rule, subject="agent1", message="full")
    world.agent.online = True
    session.commit()
    consumer._write(  # a message of an agent nobody registered
        sessions,
        [check_uplink("parkops/v1/site1/ghost/up/data", b"{}", datetime.now(UTC))],
    )
    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = _samples(response.text)
    assert after[("parkops_agents", (("state", "online"),))] == 1
    assert after[("parkops_alarms_open", (("severity", "critical"),))] == 1
    assert after[("parkops_dead_letters", (("cause", "schema"),))] == 1


def test_ingest_metrics_count_traffic(sessions: sessionmaker[Session], world: World) -> None:
    metrics = IngestMetrics()
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    good = batch(range(1, 11), t0=t0).model_dump_json().encode()
    unknown = batch(range(11, 14), device="M-NONE", t0=t0).model_dump_json().encode()
    topic = "parkops/v1/site1/agent1/up/data"
    uplinks = [
        check_uplink(topic, good, datetime.now(UTC)),
        check_uplink(topic, unknown, datetime.now(UTC)),
        check_uplink("parkops/v1/site1/agent1/up/nothing", b"x", datetime.now(UTC)),
    ]
    metrics.observe(uplinks, consumer._write(sessions, uplinks))
    metrics.observe(uplinks[:1], consumer._write(sessions, uplinks[:1]))  # sent again
    got = _samples(generate_latest(metrics.registry).decode())
    assert got[("parkops_ingest_records_total", (("result", "written"),))] == 10
    assert got[("parkops_ingest_records_total", (("result", "duplicate"),))] == 10
    assert got[("parkops_ingest_dead_letters_total", (("cause", "unknown_device"),))] == 3
    assert got[("parkops_ingest_dead_letters_total", (("cause", "topic"),))] == 1
    assert got[("parkops_ingest_batch_messages_count", ())] == 2
    assert got[("parkops_ingest_batch_records_sum", ())] == 13 + 10
    assert got[("parkops_ingest_lag_seconds_count", ())] == 2
    assert IngestMetrics().registry is not metrics.registry  # no shared global counts


async def test_a_worker_serves_counts_that_follow_its_traffic(
    sessions: sessionmaker[Session], mosquitto_url: str, unique_code: str
) -> None:
    site, agent = f"s{unique_code}", unique_code
    with sessions.begin() as session:
        make_world(session, org_code=unique_code, site_code=site, agent_code=agent)
    port = free_tcp_port()
    url = f"http://127.0.0.1:{port}/metrics"
    stop, ready = asyncio.Event(), asyncio.Event()
    with serve_ingest_metrics(host="127.0.0.1", port=port) as metrics:
        assert metrics is not None
        before = _samples(await asyncio.to_thread(_fetch, url))
        assert ("parkops_ingest_records_total", (("result", "written"),)) not in before
        worker = asyncio.create_task(
            run_ingest(
                settings=Settings(mqtt_url=mosquitto_url),
                sessions=sessions,
                stop=stop,
                ready=ready,
                metrics=metrics,
            )
        )
        try:
            await asyncio.wait_for(ready.wait(), 10)
            broker = parse_broker_url(mosquitto_url)
            async with aiomqtt.Client(broker.host, broker.port) as edge:
                await edge.subscribe(topics.ack(site, agent), qos=1)
                data = batch(range(1, 6), site=site, agent=agent, t0=recently())
                await edge.publish(topics.data(site, agent), data.model_dump_json(), qos=1)
                async with asyncio.timeout(10):
                    await anext(edge.messages)  # the ack: committed and counted
            after = _samples(await asyncio.to_thread(_fetch, url))
        finally:
            stop.set()
            await asyncio.wait_for(worker, 10)
    assert after[("parkops_ingest_records_total", (("result", "written"),))] == 5
    assert after[("parkops_ingest_messages_total", (("kind", "data"),))] == 1
    assert after[("parkops_ingest_lag_seconds_count", ())] == 1


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())

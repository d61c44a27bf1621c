"""Gates with the cloud reachable through a real Mosquitto: the allow-list arrives retained on
`down/lists`, and an exit question on `up/query` is answered on `down/answer`.

A broker of this test's own: on the shared one a running cloud may answer the questions too."""

import asyncio
import shutil
import subprocess
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal

import aiomqtt
import pytest

from edge.agent import Agent
from protocols import topics
from protocols.gate import AllowList, ExitAnswer, ExitQuery, PlatePass
from protocols.mqtt_url import parse_broker_url
from protocols.site_config import SiteConfig
from simulators.site import barriers_of, serve_site
from tests.conftest import free_tcp_port
from tests.support import eventually, running

NOW = datetime.now(UTC)


@pytest.fixture
async def private_broker():
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_tcp_port()
    broker = subprocess.Popen([binary, "-p", str(port)], stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            break
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(10)


def _config(url: str, site: str, tmp_path, bus_port: int) -> SiteConfig:
    gate = {"bus": "gw", "open_coil": 0, "pulse_s": 0.05, "unit_id": 5, "direction": "exit",
            "exit_query_timeout_s": 1.0, "offline_exit": "hold"}  # fmt: skip
    return SiteConfig.model_validate(
        {
            "site": site,
            "agent": "gate-pi",
            "buses": [
                {
                    "kind": "modbus_tcp",
                    "code": "gw",
                    "host": "127.0.0.1",
                    "port": bus_port,
                    "devices": [{"code": "EM-1", "profile": "chint-ddsu666", "unit_id": 1}],
                },
            ],  # fmt: skip
            "gates": [gate | {"code": "G-OUT"}],
            "mqtt": {"url": url},
            "outbox": {"path": str(tmp_path / "outbox.sqlite3")},
        }
    )


@asynccontextmanager
async def _cloud(url: str, site: str, answers: dict[str, ExitAnswer]):
    """Answers every exit query for a plate in `answers`; records the queries."""
    broker = parse_broker_url(url)
    queries: list[ExitQuery] = []
    async with aiomqtt.Client(broker.host, broker.port, identifier=f"cloud-{site}") as client:
        await client.subscribe(topics.query(site, "gate-pi"), qos=1)

        async def answer() -> None:
            async for message in client.messages:
                assert isinstance(message.payload, bytes | bytearray)
                query = ExitQuery.model_validate_json(message.payload)
                queries.append(query)
                if query.plate in answers:
                    reply = answers[query.plate].model_copy(update={"id": query.id})
                    await client.publish(topics.answer(site, "gate-pi"), reply.model_dump_json())

        answering = asyncio.create_task(answer())
        try:
            yield client, queries
        finally:
            answering.cancel()
            await asyncio.gather(answering, return_exceptions=True)
            await client.publish(topics.lists(site, "gate-pi"), b"", qos=1, retain=True)


async def test_lists_arrive_retained_and_exits_follow_the_cloud_answer(
    private_broker, unique_code, tmp_path
):
    mosquitto_url = private_broker
    config = _config(mosquitto_url, unique_code, tmp_path, free_tcp_port())
    boards = barriers_of(config)
    answers = {
        "川A55555": ExitAnswer(id="-", plate="川A55555", paid=True, session_id="s-1"),
        "川A66666": ExitAnswer(
            id="-", plate="川A66666", paid=False, amount_due=Decimal("12.00"), session_id="s-2"
        ),
    }
    allow = AllowList(
        site=unique_code,
        version=9,
        issued_at=NOW,
        plates=[PlatePass(plate="京A12345", kind="monthly")],
    )
    async with (
        running(lambda ready: serve_site(config, ready=ready, barriers=boards)),
        _cloud(mosquitto_url, unique_code, answers) as (client, queries),
    ):
        # Published while the agent is away: retained, so it gets it on connecting.
        await client.publish(
            topics.lists(unique_code, "gate-pi"), allow.model_dump_json(), qos=1, retain=True
        )
        agent = Agent(config)
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run(stop=stop))
        try:
            await eventually(lambda: agent.gate_memory.index.version == 9, what="list taken")
            await eventually(agent.uplink.online.is_set, what="online")
            (gate,) = agent.gates
            paid = await gate.on_plate("川A55555")
            unpaid = await gate.on_plate("川A66666")
            silent = await gate.on_plate("川A77777")  # the cloud says nothing: held
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)
    assert (paid.opened, paid.basis, paid.session_id) == (True, "paid", "s-1")
    assert (unpaid.opened, unpaid.reason, unpaid.amount_due) == (False, "unpaid", Decimal("12.00"))
    assert (silent.opened, silent.reason) == (False, "cloud_unreachable")
    assert [q.plate for q in queries] == ["川A55555", "川A66666", "川A77777"]
    assert paid.query_id == queries[0].id
    assert len(boards["G-OUT"].pulses) == 1

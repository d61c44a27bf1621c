import asyncio
import math
import sqlite3
from contextlib import closing

import pytest

from edge.agent import Agent
from edge.outbox import Outbox
from protocols.site_config import SiteConfig
from simulators.site import serve_site
from tests.conftest import free_tcp_port
from tests.edge.mqtt_cloud import fake_cloud
from tests.support import eventually, running


def _config(url: str, code: str, tmp_path, *, live_port: int, dead_port: int) -> SiteConfig:
    def bus(name: str, port: int, units: dict[str, int]) -> dict[str, object]:
        devices = [
            {"code": c, "profile": "chint-ddsu666", "unit_id": u, "poll_interval_s": 0.1}
            for c, u in units.items()
        ]
        return {"kind": "modbus_tcp", "code": name, "host": "127.0.0.1", "port": port,
                "timeout_s": 0.3, "devices": devices}  # fmt: skip

    return SiteConfig.model_validate(
        {
            "site": code,
            "agent": "bldg-a",
            "buses": [
                bus("gw-live", live_port, {"EM-1": 1, "EM-2": 2}),
                bus("gw-dead", dead_port, {"EM-X": 1}),
            ],
            "mqtt": {"url": url},
            "outbox": {"path": str(tmp_path / "outbox.sqlite3"), "batch_interval_s": 0.05},
        }
    )


@pytest.mark.mosquitto
async def test_agent_polls_forwards_and_empties_its_outbox_on_acks(
    mosquitto_url, unique_code, tmp_path
):
    live_port, dead_port = free_tcp_port(), free_tcp_port()
    config = _config(mosquitto_url, unique_code, tmp_path, live_port=live_port, dead_port=dead_port)
    simulated = config.model_copy(update={"buses": config.buses[:1]})  # no gateway for gw-dead
    seen: dict[str, list[float]] = {}
    acked_up_to = boot = 0

    async with (
        running(lambda ready: serve_site(simulated, speed=600.0, ready=ready)),
        fake_cloud(mosquitto_url, site=config.site, agent=config.agent) as cloud,
    ):
        agent = Agent(config)
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run(stop=stop))
        try:
            assert (await cloud.next_status()).online
            while min(len(seen.get("EM-1", [])), len(seen.get("EM-2", []))) < 3:
                batch = await cloud.next_batch()
                for record in batch.records:
                    seen.setdefault(record.device, []).append(record.values["energy_import"])
                boot, acked_up_to = batch.records[-1].boot, batch.records[-1].seq
                await cloud.ack(boot=boot, seq=acked_up_to)
            # Let the last ack land before stopping, or it is still unapplied when we look.
            await eventually(
                lambda: _lowest_seq_on_disk(config, boot) > acked_up_to, what="the last ack"
            )
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=5)
        assert not (await cloud.next_status()).online

    assert "EM-X" not in seen  # its gateway is down; the live bus did not wait for it
    for readings in (seen["EM-1"], seen["EM-2"]):
        assert readings == sorted(readings), "an energy register never goes backwards"
    # Acked records are gone from disk; only what was read after the last ack is left.
    with Outbox(config.outbox.path, agent="bldg-a") as reopened:
        assert reopened.boot == boot + 1
        left = reopened.next_batch(1000)
    assert all(r.boot == boot and r.seq > acked_up_to for r in left)


def _lowest_seq_on_disk(config: SiteConfig, boot: int) -> float:
    with closing(sqlite3.connect(config.outbox.path)) as db:
        lowest = db.execute("SELECT min(seq) FROM records WHERE boot = ?", (boot,)).fetchone()[0]
    return math.inf if lowest is None else lowest

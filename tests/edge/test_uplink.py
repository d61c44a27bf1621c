import asyncio
import logging
from datetime import UTC, datetime

import pytest

from edge.outbox import Outbox
from edge.uplink import Backoff, Uplink
from protocols.site_config import SiteConfig
from tests.conftest import free_tcp_port
from tests.edge.mqtt_cloud import fake_cloud
from tests.support import eventually

TS = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
FAST = Backoff(first_s=0.05, max_s=0.2)


def _config(url: str, code: str, tmp_path, *, protocol: str = "5") -> SiteConfig:
    return SiteConfig.model_validate(
        {
            "site": code,
            "agent": "bldg-a",
            "mqtt": {"url": url, "protocol": protocol},
            "outbox": {
                "path": str(tmp_path / "outbox.sqlite3"),
                "batch_interval_s": 0.05,
                "resend_after_s": 30,
            },
        }
    )


def _outbox(config: SiteConfig) -> Outbox:
    return Outbox(config.outbox.path, agent=config.agent, resend_after_s=30)


def _fill(outbox: Outbox, count: int) -> None:
    for i in range(count):
        outbox.append_reading(device="EM-1", ts=TS, values={"energy_import": 100.0 + i})


async def _stop(uplink_task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    await asyncio.wait_for(uplink_task, timeout=5)


@pytest.mark.mosquitto
@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_records_leave_the_outbox_on_the_clouds_ack_not_on_puback(
    mosquitto_url, unique_code, tmp_path, protocol
):
    config = _config(mosquitto_url, unique_code, tmp_path, protocol=protocol)
    with _outbox(config) as outbox:
        _fill(outbox, 3)
        uplink = Uplink(config=config, outbox=outbox, backoff=FAST)
        stop = asyncio.Event()
        async with fake_cloud(mosquitto_url, site=config.site, agent=config.agent) as cloud:
            task = asyncio.create_task(uplink.run(stop=stop))
            try:
                birth = await cloud.next_status()
                assert (birth.online, birth.boot) == (True, outbox.boot)
                assert birth.config_hash == config.config_hash()

                batch = await cloud.next_batch()
                assert (batch.site, batch.agent) == (config.site, "bldg-a")
                boot = outbox.boot
                assert [(r.boot, r.seq) for r in batch.records] == [(boot, 1), (boot, 2), (boot, 3)]
                # The broker has PUBACKed (the batch is marked sent) but the cloud has not
                # acked: every record is still on disk.
                await eventually(lambda: outbox.in_flight_count() == 3, what="marked sent")
                assert outbox.pending_count() == 3

                await cloud.ack(boot=boot, seq=2)
                await eventually(lambda: outbox.pending_count() == 1, what="ack of seq 2")
                _fill(outbox, 1)
                batch = await cloud.next_batch()
                assert [r.seq for r in batch.records] == [4]
                await cloud.ack(boot=boot, seq=4)
                await eventually(lambda: outbox.pending_count() == 0, what="ack of seq 4")
            finally:
                await _stop(task, stop)
            goodbye = await cloud.next_status()
            assert (goodbye.online, goodbye.boot) == (False, outbox.boot)


@pytest.mark.mosquitto
async def test_a_new_session_resends_unacked_records_of_every_boot(
    mosquitto_url, unique_code, tmp_path
):
    config = _config(mosquitto_url, unique_code, tmp_path)
    crashed = _outbox(config)  # this boot dies with two records never acked
    _fill(crashed, 2)
    with _outbox(config) as outbox:
        _fill(outbox, 1)
        async with fake_cloud(mosquitto_url, site=config.site, agent=config.agent) as cloud:
            for _ in range(2):  # the second session must send everything again
                stop = asyncio.Event()
                task = asyncio.create_task(
                    Uplink(config=config, outbox=outbox, backoff=FAST).run(stop=stop)
                )
                try:
                    batch = await cloud.next_batch()
                finally:
                    await _stop(task, stop)
                old, new = crashed.boot, outbox.boot
                assert [(r.boot, r.seq) for r in batch.records] == [(new, 1), (old, 1), (old, 2)]
            assert outbox.pending_count() == 3
    crashed.close()


@pytest.mark.mosquitto
async def test_malformed_acks_are_ignored(mosquitto_url, unique_code, tmp_path, caplog):
    config = _config(mosquitto_url, unique_code, tmp_path)
    with _outbox(config) as outbox:
        _fill(outbox, 1)
        stop = asyncio.Event()
        async with fake_cloud(mosquitto_url, site=config.site, agent=config.agent) as cloud:
            task = asyncio.create_task(Uplink(config=config, outbox=outbox).run(stop=stop))
            try:
                await cloud.next_batch()
                topic = f"parkops/v1/{config.site}/bldg-a/down/ack"
                await cloud.client.publish(topic, b'{"boot": 1}', qos=1)
                await eventually(lambda: "malformed ack" in caplog.text, what="warning")
                await cloud.ack(boot=outbox.boot, seq=1)
                await eventually(lambda: outbox.pending_count() == 0, what="good ack")
            finally:
                await _stop(task, stop)


async def test_an_unreachable_broker_is_retried_and_reported_once(tmp_path, caplog):
    config = _config(f"mqtt://127.0.0.1:{free_tcp_port()}", "park1", tmp_path)
    with _outbox(config) as outbox:
        uplink = Uplink(config=config, outbox=outbox, backoff=FAST)
        stop = asyncio.Event()
        caplog.set_level(logging.INFO, logger="edge.uplink")
        task = asyncio.create_task(uplink.run(stop=stop))
        try:
            await eventually(lambda: uplink.health.failures >= 3, what="three attempts")
        finally:
            await _stop(task, stop)
    assert not uplink.online.is_set()
    assert sum("failing" in r.getMessage() for r in caplog.records) == 1


def test_backoff_grows_to_its_ceiling_with_jitter():
    backoff = Backoff(first_s=1.0, max_s=8.0)
    delays = [[backoff.delay(attempt) for _ in range(200)] for attempt in range(6)]
    assert all(0.5 <= d <= 1.0 for d in delays[0])
    assert all(4.0 <= d <= 8.0 for d in delays[5])
    assert len({round(d, 6) for d in delays[5]}) > 100  # jittered, not in lockstep

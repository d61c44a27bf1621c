"""The agent on a site with every bus kind: Modbus RTU on a serial line (a pty), RTU through a
serial-to-TCP converter, DL/T 645 on a serial line, a profile the site defines; and commands
from the cloud over a real broker."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from edge.agent import Agent
from protocols.messages import Command
from protocols.site_config import SiteConfig
from simulators.site import serve_site
from tests.conftest import free_tcp_port
from tests.edge.mqtt_cloud import fake_cloud
from tests.support import running

ACME = {
    "name": "acme-em100",
    "values": [
        {"metric": "voltage", "address": 0, "data_type": "uint16", "unit": "V", "scale": 0.1},
        {"metric": "energy_import", "address": 16, "data_type": "uint32", "unit": "kWh",
         "scale": 0.01, "cumulative": True},
    ],
}  # fmt: skip


def _site(url: str, code: str, tmp_path) -> SiteConfig:
    def meter(code: str, unit: int, profile: str, **more) -> dict[str, object]:
        return {"code": code, "profile": profile, "unit_id": unit, "poll_interval_s": 0.2, **more}

    buses = [
        {"kind": "modbus_rtu", "code": "rs485-1", "port": str(tmp_path / "ttyRS485-1"),
         "baud": 19200, "devices": [meter("EM-RTU-1", 1, "chint-ddsu666", billing=True),
                                    meter("EM-RTU-2", 2, "acme-em100")]},
        {"kind": "modbus_rtu_over_tcp", "code": "conv-1", "host": "127.0.0.1",
         "port": free_tcp_port(), "baud": 38400, "parity": "E",
         "devices": [meter("EM-CONV-1", 1, "eastron-sdm630")]},
        {"kind": "dlt645", "code": "rs485-2", "port": str(tmp_path / "ttyRS485-2"),
         "devices": [{"code": "EM-DLT-1", "address": "202411000201", "poll_interval_s": 0.5,
                      "billing": True}]},
    ]  # fmt: skip
    return SiteConfig.model_validate(
        {
            "site": code,
            "agent": "bldg-a",
            "profiles": [ACME],
            "buses": buses,
            "mqtt": {"url": url},
            "outbox": {"path": str(tmp_path / "outbox.sqlite3"), "batch_interval_s": 0.05},
        }
    )


def _command(id: str, action: str, **fields) -> Command:
    expires_at = datetime.now(UTC) + timedelta(seconds=30)
    return Command(id=id, action=action, expires_at=expires_at, **fields)


@pytest.mark.mosquitto
async def test_every_bus_kind_reaches_the_cloud_and_commands_run_once(
    mosquitto_url, unique_code, tmp_path
):
    config = _site(mosquitto_url, unique_code, tmp_path)
    seen: dict[str, dict[str, float]] = {}
    async with (
        running(lambda ready: serve_site(config, speed=60.0, ready=ready)),
        fake_cloud(mosquitto_url, site=config.site, agent=config.agent) as cloud,
    ):
        stop = asyncio.Event()
        agent = Agent(config)
        task = asyncio.create_task(agent.run(stop=stop))
        try:
            assert (await cloud.next_status()).online
            while len(seen) < 4:
                batch = await cloud.next_batch(timeout_s=10)
                for record in batch.records:
                    if record.kind == "reading":
                        seen[record.device] = record.values
                last = batch.records[-1]
                await cloud.ack(last.boot, last.seq)

            await cloud.command(_command("c-1", "reread", device="EM-DLT-1"))
            reread = await cloud.next_result(timeout_s=10)
            assert reread.id == "c-1" and reread.ok and "energy_import" in reread.detail

            # A meter's measurements cannot be written: the write reaches the device through
            # the bus's command lane and the device's refusal comes back.
            write = _command(
                "c-2", "write_register", device="EM-RTU-1", args={"address": 0x2000, "value": 1}
            )
            await cloud.command(write)
            refused = await cloud.next_result(timeout_s=10)
            assert refused.id == "c-2" and not refused.ok and "exception" in refused.detail
            await cloud.command(write)  # the broker or the cloud repeats it
            again = await cloud.next_result(timeout_s=10)
            assert again == refused, "a repeated id is answered from memory, not run again"
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)

    assert set(seen) == {"EM-RTU-1", "EM-RTU-2", "EM-CONV-1", "EM-DLT-1"}
    assert seen["EM-RTU-2"]["energy_import"] >= 1000.0  # the site's own profile, scaled
    assert 200 <= seen["EM-RTU-2"]["voltage"] <= 250
    assert seen["EM-DLT-1"]["energy_import"] >= 1000.0
    assert "voltage_l1" in seen["EM-CONV-1"]

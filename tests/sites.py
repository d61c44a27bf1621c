"""The demo site as end-to-end tests run it: on free ports, against a broker other tests share."""

from pathlib import Path
from typing import Any

import aiomqtt
import yaml

from parkops.demo import DEMO_SITE
from protocols import topics
from protocols.mqtt_url import parse_broker_url
from tests.conftest import free_tcp_port


def demo_site_raw(
    *,
    broker_url: str,
    outbox: Path,
    protocol: str = "5",
    site_code: str | None = None,
    poll_interval_s: float | None = None,
    **outbox_settings: float,
) -> dict[str, Any]:
    """The demo site config as a dict, its gateway on a free port, talking to `broker_url`."""
    raw: dict[str, Any] = yaml.safe_load(DEMO_SITE.read_text(encoding="utf-8"))
    if site_code is not None:
        raw["site"] = site_code
    for bus in raw["buses"]:
        bus["port"] = free_tcp_port()
        for device in bus["devices"]:
            if poll_interval_s is not None:
                device["poll_interval_s"] = poll_interval_s
    raw["mqtt"] = {"url": broker_url, "protocol": protocol}
    raw["outbox"] = {"path": str(outbox), **outbox_settings}
    return raw


async def clear_retained_status(broker_url: str, *, protocol: str, site: str, agent: str) -> None:
    """Leave no retained status behind on a broker other tests share."""
    broker = parse_broker_url(broker_url)
    version = aiomqtt.ProtocolVersion.V5 if protocol == "5" else aiomqtt.ProtocolVersion.V311
    async with aiomqtt.Client(broker.host, broker.port, protocol=version) as client:
        await client.publish(topics.status(site, agent), b"", qos=1, retain=True)

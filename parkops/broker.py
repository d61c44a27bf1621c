"""The embedded MQTT broker of `make demo` (amqtt, MQTT 3.1.1) on a loopback port."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from amqtt.broker import Broker

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def embedded_broker(*, port: int, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Run a broker on host:port for the life of the block; yields its `mqtt://` URL."""
    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        # Anonymous loopback access only; no $SYS chatter, no per-packet logging.
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }
    broker = Broker(config)
    await broker.start()
    try:
        yield f"mqtt://{host}:{port}"
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(broker.shutdown(), timeout=5)

"""The edge agent: one worker per bus, the outbox and the uplink, started and stopped together."""

import asyncio
import logging
from contextlib import AsyncExitStack

from edge.bus import BusWorker
from edge.outbox import Outbox
from edge.transports.modbus import ModbusTcpTransport
from edge.uplink import Uplink
from protocols.site_config import SiteConfig

log = logging.getLogger(__name__)

UPLINK_GOODBYE_S = 3.0
"""How long a stopping agent waits for the uplink to announce it is going offline."""


class Agent:
    """An agent for one site config; `outbox` and `uplink` are there to observe.

    The outbox opens (and starts a new boot) on construction and closes when `run` ends, so
    make one Agent per run.
    """

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.outbox = Outbox(
            config.outbox.path, agent=config.agent, resend_after_s=config.outbox.resend_after_s
        )
        self.uplink = Uplink(config=config, outbox=self.outbox)

    def __repr__(self) -> str:
        return f"Agent({self.config.site}/{self.config.agent}, boot {self.outbox.boot})"

    async def run(self, *, stop: asyncio.Event | None = None) -> None:
        """Poll and forward until `stop` is set or the task is cancelled; then close everything."""
        stop = stop or asyncio.Event()
        log.info(
            "agent %s/%s starting: boot %d, %d records waiting in the outbox",
            self.config.site,
            self.config.agent,
            self.outbox.boot,
            self.outbox.pending_count(),
        )
        async with AsyncExitStack() as resources:
            resources.callback(self.outbox.close)
            workers = []
            for bus in self.config.buses:
                transport = await resources.enter_async_context(
                    ModbusTcpTransport(host=bus.host, port=bus.port, timeout_s=bus.timeout_s)
                )
                workers.append(BusWorker(bus=bus, transport=transport, sink=self.outbox))
            polling = [asyncio.create_task(w.run(), name=f"bus {w.bus.code}") for w in workers]
            uplink = asyncio.create_task(self.uplink.run(stop=stop), name="uplink")
            try:
                await _until_stop_or_failure(stop, [*polling, uplink])
            finally:
                stop.set()
                for task in polling:
                    task.cancel()
                await asyncio.gather(*polling, return_exceptions=True)
                # The uplink sees `stop` and says goodbye on `up/status` before it disconnects.
                await asyncio.wait({uplink}, timeout=UPLINK_GOODBYE_S)
                uplink.cancel()
                await asyncio.gather(uplink, return_exceptions=True)
        log.info("agent %s/%s stopped", self.config.site, self.config.agent)


async def run_agent(config: SiteConfig, *, stop: asyncio.Event | None = None) -> None:
    """Run an agent for `config` until `stop` is set or the task is cancelled."""
    await Agent(config).run(stop=stop)


async def _until_stop_or_failure(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Return when `stop` is set; raise if a worker or the uplink dies (they never return)."""
    stopping = asyncio.create_task(stop.wait(), name="agent stop")
    try:
        done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        await asyncio.gather(stopping, return_exceptions=True)
    for task in done:
        if task is not stopping and not task.cancelled() and task.exception() is not None:
            raise RuntimeError(f"{task.get_name()} failed") from task.exception()

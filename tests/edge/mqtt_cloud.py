"""A stand-in for the cloud in edge tests: listens to one agent's uplink and answers acks."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiomqtt

from protocols import topics
from protocols.messages import Ack, Command, CommandResult, DataBatch, Status
from protocols.mqtt_url import parse_broker_url


class FakeCloud:
    def __init__(self, client: aiomqtt.Client, *, site: str, agent: str) -> None:
        self.client = client
        self.site, self.agent = site, agent
        self.batches: asyncio.Queue[DataBatch] = asyncio.Queue()
        self.statuses: asyncio.Queue[Status] = asyncio.Queue()
        self.results: asyncio.Queue[CommandResult] = asyncio.Queue()

    async def next_batch(self, timeout_s: float = 5.0) -> DataBatch:
        return await asyncio.wait_for(self.batches.get(), timeout_s)

    async def next_status(self, timeout_s: float = 5.0) -> Status:
        return await asyncio.wait_for(self.statuses.get(), timeout_s)

    async def next_result(self, timeout_s: float = 5.0) -> CommandResult:
        return await asyncio.wait_for(self.results.get(), timeout_s)

    async def command(self, command: Command) -> None:
        await self.client.publish(
            topics.cmd(self.site, self.agent), command.model_dump_json(), qos=1
        )

    async def ack(self, boot: int, seq: int) -> None:
        ack = Ack(boot=boot, seq=seq).model_dump_json()
        await self.client.publish(topics.ack(self.site, self.agent), ack, qos=1)

    async def _listen(self) -> None:
        async for message in self.client.messages:
            payload = message.payload
            assert isinstance(payload, bytes | bytearray)
            if not payload:
                continue  # a cleared retained status
            if str(message.topic).endswith("/up/data"):
                self.batches.put_nowait(DataBatch.model_validate_json(payload))
            elif str(message.topic).endswith("/up/cmd-result"):
                self.results.put_nowait(CommandResult.model_validate_json(payload))
            else:
                self.statuses.put_nowait(Status.model_validate_json(payload))


@asynccontextmanager
async def fake_cloud(url: str, *, site: str, agent: str) -> AsyncIterator[FakeCloud]:
    """Subscribed to the agent's data and status before the block starts; cleans up after."""
    broker = parse_broker_url(url)
    async with aiomqtt.Client(broker.host, broker.port, identifier=f"cloud-{site}") as client:
        cloud = FakeCloud(client, site=site, agent=agent)
        await client.subscribe(topics.data(site, agent), qos=1)
        await client.subscribe(topics.status(site, agent), qos=1)
        await client.subscribe(topics.cmd_result(site, agent), qos=1)
        listening = asyncio.create_task(cloud._listen())
        try:
            yield cloud
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
            # Leave no retained status behind on a shared broker.
            await client.publish(topics.status(site, agent), b"", qos=1, retain=True)

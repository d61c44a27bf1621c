"""An agent's stream as the cloud sees it, without the edge: seqs 1..N of one boot published in
batches over real MQTT, a few batches in flight, resent until a `down/ack` covers them (the
outbox contract), and the check that the database holds every record exactly once."""

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiomqtt
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.energy.models import Meter, Reading
from cloud.ingest.models import AgentStream, DeviceEvent, EdgeAgent, IngestReceipt
from protocols import topics
from protocols.messages import Ack, DataBatch, EventRecord, ReadingRecord
from protocols.mqtt_url import parse_broker_url
from tests.conftest import free_tcp_port
from tests.reliability.test_restarts import Mosquitto

METRICS = ("energy_import", "voltage")
EVENT_EVERY = 10
"""Every tenth seq is an event: events have no natural key, so a duplicate would show."""


@contextmanager
def private_mosquitto() -> Iterator[Mosquitto]:
    """A Mosquitto of the test's own: no other test's workers share its `$share/ingest` group,
    and the test may kill it."""
    broker = Mosquitto(free_tcp_port())
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


@dataclass
class StreamingAgent:
    broker_url: str
    site: str
    agent: str
    total: int
    batch_size: int = 50
    in_flight: int = 4
    resend_after_s: float = 2.0
    boot: int = 1
    device: str = "M-101"
    protocol: str = "5"
    t0: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(hours=3))
    acked: int = 0
    published: int = 0
    """Batches published, resends included."""
    _sent_at: dict[int, float] = field(default_factory=dict)
    _acked_event: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, seq: int) -> ReadingRecord | EventRecord:
        ts = self.t0 + timedelta(seconds=seq)
        if seq % EVENT_EVERY == 0:
            return EventRecord(
                agent=self.agent,
                boot=self.boot,
                seq=seq,
                device=self.device,
                ts=ts,
                event="door_forced",
                data={"seq": seq},
            )
        values = {"energy_import": 100.0 + seq, "voltage": 230.0}
        return ReadingRecord(
            agent=self.agent, boot=self.boot, seq=seq, device=self.device, ts=ts, values=values
        )

    def payload(self, first: int) -> bytes:
        last = min(first + self.batch_size - 1, self.total)
        records = [self.record(seq) for seq in range(first, last + 1)]
        return (
            DataBatch(site=self.site, agent=self.agent, records=records).model_dump_json().encode()
        )

    async def run(self, *, timeout_s: float = 60) -> None:
        """Publish until every seq is acked; fail after `timeout_s`."""
        broker = parse_broker_url(self.broker_url)
        version = (
            aiomqtt.ProtocolVersion.V5 if self.protocol == "5" else aiomqtt.ProtocolVersion.V311
        )
        async with (
            asyncio.timeout(timeout_s),
            aiomqtt.Client(broker.host, broker.port, protocol=version) as client,
        ):
            await client.subscribe(topics.ack(self.site, self.agent), qos=1)
            receiving = asyncio.create_task(self._receive(client))
            try:
                while self.acked < self.total:
                    await self._send_due(client)
                    self._acked_event.clear()
                    try:
                        async with asyncio.timeout(0.1):
                            await self._acked_event.wait()
                    except TimeoutError:
                        pass
            finally:
                receiving.cancel()
                await asyncio.gather(receiving, return_exceptions=True)

    async def _send_due(self, client: aiomqtt.Client) -> None:
        now = time.monotonic()
        firsts = range(self.acked + 1, self.total + 1, self.batch_size)
        waiting = [
            f for f in firsts if f in self._sent_at and now - self._sent_at[f] < self.resend_after_s
        ]
        for first in firsts:
            if len(waiting) >= self.in_flight:
                return
            sent = self._sent_at.get(first)
            if sent is None or now - sent >= self.resend_after_s:
                await client.publish(topics.data(self.site, self.agent), self.payload(first), qos=1)
                self._sent_at[first] = now
                self.published += 1
                waiting.append(first)

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            ack = Ack.model_validate_json(message.payload)
            if ack.boot == self.boot and ack.seq > self.acked:
                self.acked = ack.seq
                self._acked_event.set()


def assert_stored_exactly_once(sessions: sessionmaker[Session], stream: StreamingAgent) -> None:
    """Every seq of the stream is committed once: receipts 1..N, each reading and event once,
    and the stream acked to N."""
    with sessions() as session:
        agent_id = session.scalars(select(EdgeAgent.id).where(EdgeAgent.code == stream.agent)).one()
        seqs = session.scalars(
            select(IngestReceipt.seq)
            .where(IngestReceipt.agent_id == agent_id, IngestReceipt.boot == stream.boot)
            .order_by(IngestReceipt.seq)
        ).all()
        acked = session.scalars(
            select(AgentStream.acked_seq).where(
                AgentStream.agent_id == agent_id, AgentStream.boot == stream.boot
            )
        ).one()
        devices = select(Meter.id).where(Meter.agent_id == agent_id).scalar_subquery()
        events = session.scalars(select(DeviceEvent.data).where(DeviceEvent.device_id.in_(devices)))
        event_seqs = sorted(data["seq"] for data in events)
        readings = session.scalar(
            select(func.count()).select_from(Reading).where(Reading.device_id.in_(devices))
        )
    assert list(seqs) == list(range(1, stream.total + 1))
    assert acked == stream.total
    assert event_seqs == list(range(EVENT_EVERY, stream.total + 1, EVENT_EVERY))
    assert readings == len(METRICS) * (stream.total - len(event_seqs))

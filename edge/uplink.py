"""MQTT uplink: announce the agent, send the outbox in batches, apply the cloud's acks, reconnect.

Records leave the outbox only when an `Ack` on `down/ack` covers them; a PUBACK only means the
broker has the batch, so on reconnect everything unacked is sent again (the cloud dedupes).
"""

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import aiomqtt
from pydantic import ValidationError

from edge.commands import CommandRunner
from edge.health import LinkHealth
from edge.outbox import Outbox
from protocols import topics
from protocols.gate import ExitAnswer, ExitQuery
from protocols.messages import Ack, CommandResult, DataBatch, Status
from protocols.mqtt_url import parse_broker_url
from protocols.site_config import MqttLink, SiteConfig

log = logging.getLogger(__name__)

_PROTOCOLS = {"5": aiomqtt.ProtocolVersion.V5, "3.1.1": aiomqtt.ProtocolVersion.V311}
IN_FLIGHT_BATCHES = 4
"""Unacked batches allowed on the wire: a long backlog drains at the cloud's pace."""


@dataclass(frozen=True)
class Backoff:
    """Exponential reconnect delays with jitter, so a park's agents do not reconnect in step."""

    first_s: float = 0.5
    max_s: float = 30.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.max_s, self.first_s * 2 ** min(attempt, 30))
        return random.uniform(ceiling / 2, ceiling)


class Uplink:
    """The agent's link to the cloud through its site's broker."""

    def __init__(
        self,
        *,
        config: SiteConfig,
        outbox: Outbox,
        commands: CommandRunner | None = None,
        backoff: Backoff = Backoff(),
        on_lists: Callable[[bytes | bytearray | str], object] | None = None,
    ):
        self.config = config
        self.outbox = outbox
        self.commands = commands
        self.backoff = backoff
        self.broker = parse_broker_url(config.mqtt.url)
        self.health = LinkHealth(f"broker {self.broker}", logger=log)
        self.online = asyncio.Event()
        """Set while connected and subscribed (for observers and tests)."""
        self._data_topic = topics.data(config.site, config.agent)
        self._status_topic = topics.status(config.site, config.agent)
        self._result_topic = topics.cmd_result(config.site, config.agent)
        self._client_now: aiomqtt.Client | None = None
        self._running_commands: set[asyncio.Task[None]] = set()
        self.on_lists = on_lists
        """Gets every allow-list published on `down/lists` (edge.gate_memory keeps the newest)."""
        self._query_topic = topics.query(config.site, config.agent)
        self._questions: dict[str, asyncio.Future[ExitAnswer]] = {}

    async def run(self, *, stop: asyncio.Event) -> None:
        """Stay connected until `stop` is set, then announce going offline and disconnect."""
        try:
            await self._stay_connected(stop)
        finally:
            for task in self._running_commands:
                task.cancel()
            await asyncio.gather(*self._running_commands, return_exceptions=True)

    async def _stay_connected(self, stop: asyncio.Event) -> None:
        attempt = 0
        while not stop.is_set():
            try:
                await self._session(stop)
            except aiomqtt.MqttError as exc:
                self.health.failed(exc)
                attempt += 1
            else:
                attempt = 0
            if not stop.is_set():
                await _wait(stop, timeout_s=self.backoff.delay(attempt))

    async def _session(self, stop: asyncio.Event) -> None:
        async with self._client() as client:
            self.health.succeeded()
            log.info("connected to %s as %s/%s", self.broker, self.config.site, self.config.agent)
            self.outbox.mark_all_unsent()
            self.outbox.begin_epoch()  # what piled up while offline goes as backlog
            await client.publish(self._status_topic, self._status(online=True), qos=1, retain=True)
            downlink = topics.downlink_filter(self.config.site, self.config.agent)
            await client.subscribe(downlink, qos=1)
            self._client_now = client
            self.online.set()
            try:
                await self._publish_results(client)
                await _first_of(self._receive(client), self._send(client), stop.wait())
            finally:
                self.online.clear()
                self._client_now = None
            # Only a requested stop gets here; a graceful disconnect would discard the will.
            await client.publish(
                self._status_topic, self._status(online=False), qos=1, retain=True, timeout=2
            )

    def _client(self) -> aiomqtt.Client:
        link = self.config.mqtt
        offline = aiomqtt.Will(self._status_topic, self._status(online=False), qos=1, retain=True)
        return aiomqtt.Client(
            self.broker.host,
            self.broker.port,
            identifier=f"parkops-{self.config.site}-{self.config.agent}",
            protocol=_PROTOCOLS[link.protocol],
            username=link.username,
            password=link.password,
            keepalive=link.keepalive_s,
            will=offline,
            tls_context=_tls_context(link) if self.broker.tls else None,
            timeout=10,
        )

    async def _send(self, client: aiomqtt.Client) -> None:
        settings = self.config.outbox
        window = IN_FLIGHT_BATCHES * settings.batch_max_records
        while True:
            batch = []
            if self.outbox.in_flight_count() < window:
                batch = self.outbox.next_batch(settings.batch_max_records)
            if batch:
                payload = DataBatch(site=self.config.site, agent=self.config.agent, records=batch)
                # Waits for the PUBACK: the broker has it. Still not deleted: that needs an Ack.
                await client.publish(self._data_topic, payload.model_dump_json(), qos=1)
                self.outbox.mark_sent(batch)
                log.debug("sent %d records, %d unacked", len(batch), self.outbox.pending_count())
                if len(batch) == settings.batch_max_records:
                    continue  # a backlog: send the next batch straight away
            await asyncio.sleep(settings.batch_interval_s)

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload
            if not isinstance(payload, bytes | bytearray | str):
                log.warning("ignoring %s: payload of type %s", message.topic, type(payload))
                continue
            kind = str(message.topic).rsplit("/", 1)[-1]
            if kind == "ack":
                self._apply_ack(str(message.topic), payload)
            elif kind == "cmd" and self.commands is not None:
                task = asyncio.create_task(
                    self._run_command(bytes(payload) if isinstance(payload, bytearray) else payload)
                )
                self._running_commands.add(task)
                task.add_done_callback(self._running_commands.discard)
            elif kind == "lists" and self.on_lists is not None:
                self.on_lists(payload)
            elif kind == "answer":
                self._take_answer(str(message.topic), payload)
            else:
                log.debug("ignoring %s (not handled yet)", message.topic)

    async def ask_exit(self, query: ExitQuery, *, timeout_s: float) -> ExitAnswer | None:
        """Ask the cloud on `up/query` and wait for its `down/answer` with the same id; None at
        once when the link is down, or after `timeout_s` without an answer."""
        client = self._client_now
        if client is None:
            return None
        answered: asyncio.Future[ExitAnswer] = asyncio.get_running_loop().create_future()
        self._questions[query.id] = answered
        try:
            async with asyncio.timeout(timeout_s):
                await client.publish(self._query_topic, query.model_dump_json(), qos=1)
                return await answered
        except (TimeoutError, aiomqtt.MqttError):
            return None
        finally:
            self._questions.pop(query.id, None)

    def _take_answer(self, topic: str, payload: bytes | bytearray | str) -> None:
        try:
            answer = ExitAnswer.model_validate_json(payload)
        except ValidationError as exc:
            log.warning("ignoring malformed answer on %s: %s", topic, exc)
            return
        waiting = self._questions.get(answer.id)
        if waiting is not None and not waiting.done():
            waiting.set_result(answer)

    def _apply_ack(self, topic: str, payload: bytes | bytearray | str) -> None:
        try:
            ack = Ack.model_validate_json(payload)
        except ValidationError as exc:
            log.warning("ignoring malformed ack on %s: %s", topic, exc)
            return
        removed = self.outbox.ack(ack.boot, ack.seq)
        log.debug("ack boot %d seq %d removed %d records", ack.boot, ack.seq, removed)

    async def _run_command(self, payload: bytes | str) -> None:
        """Run one command beside the session (a reconnect does not cut it short) and publish
        its result if the link is up; otherwise the next session does."""
        assert self.commands is not None
        result = await self.commands.handle(payload)
        if result is not None and self._client_now is not None:
            with contextlib.suppress(aiomqtt.MqttError):
                await self._publish_result(self._client_now, result)

    async def _publish_results(self, client: aiomqtt.Client) -> None:
        """Results finished while the link was down, or whose publish was not confirmed."""
        if self.commands is not None:
            for result in self.commands.unpublished():
                await self._publish_result(client, result)

    async def _publish_result(self, client: aiomqtt.Client, result: CommandResult) -> None:
        assert self.commands is not None
        await client.publish(self._result_topic, result.model_dump_json(), qos=1)
        self.commands.published(result)

    def _status(self, *, online: bool) -> str:
        return Status(
            site=self.config.site,
            agent=self.config.agent,
            online=online,
            boot=self.outbox.boot,
            versions={"parkops": _parkops_version()},
            config_hash=self.config.config_hash(),
            ts=datetime.now(UTC),
        ).model_dump_json()


def _tls_context(link: MqttLink) -> ssl.SSLContext:
    """Verify the broker against `ca_file` (else the system's CAs); present a client
    certificate when one is configured."""
    context = ssl.create_default_context(cafile=link.ca_file)
    if link.cert_file and link.key_file:
        context.load_cert_chain(link.cert_file, link.key_file)
    return context


def _parkops_version() -> str:
    try:
        return version("parkops")
    except PackageNotFoundError:
        return "unknown"


async def _wait(event: asyncio.Event, *, timeout_s: float) -> None:
    """Wait for `event`, or `timeout_s`, whichever comes first."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        pass


async def _first_of(*jobs: Coroutine[Any, Any, Any]) -> None:
    """Run `jobs` until the first finishes; cancel the rest; raise what the first raised."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        failure = None if task.cancelled() else task.exception()
        if failure is not None:
            raise failure

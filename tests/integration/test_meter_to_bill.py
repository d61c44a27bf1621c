"""End to end: simulated meters → edge agent → MQTT broker → ingest → database → bill.

Once with production parts (Mosquitto, MQTT 5, PostgreSQL) and once with the demo's embedded
defaults (amqtt, MQTT 3.1.1, SQLite).
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing import service as billing_service
from cloud.db.engine import make_engine, make_sessionmaker
from cloud.db.migrate import upgrade
from cloud.energy.models import Meter, Reading
from cloud.identity import service as identity_service
from cloud.ingest.consumer import run_ingest
from cloud.ingest.models import DeviceEvent, IngestReceipt
from cloud.seed import seed_demo
from cloud.settings import Settings
from edge.agent import Agent
from parkops.broker import embedded_broker
from protocols.site_config import SiteConfig
from simulators.site import serve_site
from tests.conftest import free_tcp_port, fresh_postgres_database
from tests.sites import clear_retained_status, demo_site_raw
from tests.support import eventually, running

FEN = Decimal("0.01")
SPEED = 600.0  # ten simulated minutes a second, so energy visibly grows during the test


@dataclass(frozen=True)
class Stack:
    database_url: str
    broker_url: str
    protocol: str


def site_config(*, stack: Stack, site_code: str, outbox: Path) -> SiteConfig:
    raw = demo_site_raw(
        broker_url=stack.broker_url,
        protocol=stack.protocol,
        outbox=outbox,
        site_code=site_code,
        poll_interval_s=0.2,
        batch_interval_s=0.1,
        resend_after_s=2,
    )
    return SiteConfig.model_validate(raw)


@pytest.fixture
async def postgres_stack(mosquitto_url: str) -> AsyncIterator[Stack]:
    with fresh_postgres_database() as url:
        yield Stack(database_url=url, broker_url=mosquitto_url, protocol="5")


@pytest.fixture
async def embedded_stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with embedded_broker(port=free_tcp_port()) as broker_url:
        yield Stack(
            database_url=f"sqlite:///{tmp_path / 'cloud.sqlite3'}",
            broker_url=broker_url,
            protocol="3.1.1",
        )


def _counts(sessions: sessionmaker[Session]) -> tuple[dict[str, int], int, int, int]:
    """Readings per meter code, receipts, the highest seq committed and events (the site's
    barriers report their loops and positions too)."""
    with sessions() as session:
        per_meter = dict(
            session.execute(
                select(Meter.code, func.count())
                .join(Reading, Reading.device_id == Meter.id)
                .group_by(Meter.code)
            ).all()
        )
        receipts, top = session.execute(select(func.count(), func.max(IngestReceipt.seq))).one()
        events = session.scalar(select(func.count()).select_from(DeviceEvent)) or 0
    return per_meter, receipts, top or 0, events


async def _meter_to_bill(stack: Stack, *, site_code: str, tmp_path: Path) -> None:
    site = site_config(stack=stack, site_code=site_code, outbox=tmp_path / "outbox.sqlite3")
    upgrade(stack.database_url)
    engine = make_engine(stack.database_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        logins = seed_demo(session=session, site=site)
    settings = Settings(
        database_url=stack.database_url, mqtt_url=stack.broker_url, mqtt_protocol=stack.protocol
    )
    meter_codes = {device.code for _, device in site.meters()}

    async with (
        running(lambda ready: serve_site(site, speed=SPEED, ready=ready)),
        running(
            lambda ready: run_ingest(settings=settings, sessions=sessions, ready=ready),
            ready_within_s=10,
        ),
    ):
        agent = Agent(site)
        stop = asyncio.Event()
        agent_task = asyncio.create_task(agent.run(stop=stop))
        try:
            # Every meter reached the database several times, and the cloud's acks emptied
            # the outbox: nothing is left that was not committed.
            def all_meters_in_and_acked() -> bool:
                per_meter, _, _, _ = _counts(sessions)
                return all(per_meter.get(code, 0) >= 5 * 5 for code in meter_codes) and (
                    agent.outbox.pending_count() == 0
                )

            await eventually(
                all_meters_in_and_acked,
                timeout_s=30,
                every_s=0.2,
                what="readings of every meter committed and acked",
            )
        finally:
            stop.set()
            await asyncio.wait_for(agent_task, timeout=10)
            await clear_retained_status(
                stack.broker_url, protocol=stack.protocol, site=site.site, agent=site.agent
            )

    # Exactly once: every seq of the boot is there once, and each poll wrote its 5 metrics.
    per_meter, receipts, top, events = _counts(sessions)
    assert receipts == top
    assert sum(per_meter.values()) == (receipts - events) * 5

    admin = next(login for login in logins if login.role == "admin")
    with sessions() as session:
        actor = identity_service.authenticate(
            session=session, username=admin.username, password=admin.password
        )
        today = datetime.now(ZoneInfo(settings.timezone)).date()
        charges = billing_service.current_electricity_charges(
            session=session, actor=actor, today=today
        )
    billed = {c.meter_code: c for c in charges}
    assert set(billed) == {"EM-A-1201", "EM-A-1202"}
    for charge in billed.values():
        assert charge.kwh > 0
        assert charge.amount == (charge.kwh * charge.tariff).quantize(FEN, ROUND_HALF_UP)
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.mosquitto
async def test_meter_to_bill_on_postgres_and_mosquitto(
    postgres_stack: Stack, unique_code: str, tmp_path: Path
) -> None:
    await _meter_to_bill(postgres_stack, site_code=unique_code, tmp_path=tmp_path)


async def test_meter_to_bill_on_sqlite_and_embedded_broker(
    embedded_stack: Stack, unique_code: str, tmp_path: Path
) -> None:
    await _meter_to_bill(embedded_stack, site_code=unique_code, tmp_path=tmp_path)

"""End to end: gates keep working with the cloud unreachable, and the cloud catches up after.

Real parts: PostgreSQL, a Mosquitto process of the test's own (so stopping it disturbs no
other test), the relay boards simulated over Modbus TCP, the agent with ANPR cameras pushing
their reads over HTTP, ingest and the parking loop, all in this process.

The cloud publishes an allow-list; the broker dies; a monthly-pass car enters and leaves and a
temporary car enters, each barrier lifting at its board. The broker comes back: every gate event
reaches the cloud once, sessions are opened and closed; the temporary car then leaves read with
one confusable character wrong, and the cloud still finds (and closes) its session.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.base import utcnow
from cloud.db.engine import make_engine, make_sessionmaker
from cloud.db.migrate import upgrade
from cloud.identity import service as identity_service
from cloud.ingest.consumer import run_ingest
from cloud.ingest.models import DeviceEvent, IngestReceipt
from cloud.parking import service as parking_service
from cloud.parking.jobs import run_parking
from cloud.parking.models import ParkingSession, SessionKind, SessionState
from cloud.parking.schemas import PassCreate, VehicleCreate
from cloud.seed import seed_demo
from cloud.settings import Settings
from edge.agent import Agent
from protocols.gate import GATE_ENTRY, GATE_EXIT
from protocols.messages import PLATE_READ
from protocols.site_config import SiteConfig
from simulators.barrier import LiveBarrier
from simulators.site import barriers_of, serve_site
from tests.conftest import free_tcp_port, fresh_postgres_database
from tests.reliability.test_restarts import Mosquitto
from tests.sites import demo_site_raw
from tests.support import eventually, running

MONTHLY = "川A88888"
TEMPORARY = "沪A12340"
MISREAD = "沪A1234D"
"""The temporary car's plate with its last 0 read as D: a valid plate too (a standard serial may
end in a letter), so no one may correct it without knowing which cars are in the lot."""
IN, OUT = "G-A-IN", "G-A-OUT"


@dataclass
class Park:
    config: SiteConfig
    sessions: sessionmaker[Session]
    boards: dict[str, LiveBarrier]
    agent: Agent
    push_url: str


def _config(broker_url: str, site_code: str, tmp_path: Path) -> SiteConfig:
    raw = demo_site_raw(
        broker_url=broker_url,
        outbox=tmp_path / "outbox.sqlite3",
        site_code=site_code,
        poll_interval_s=0.5,
        batch_interval_s=0.1,
        resend_after_s=2,
    )
    raw["cameras"] = [{"code": "CAM-IN", "source": "push"}, {"code": "CAM-OUT", "source": "push"}]
    raw["anpr_push"] = {"host": "127.0.0.1", "port": free_tcp_port()}
    for gate in raw["gates"]:
        gate["camera"] = "CAM-IN" if gate["direction"] == "entry" else "CAM-OUT"
        # Room for a busy machine: a late answer would let the car out on the offline policy.
        gate["exit_query_timeout_s"] = 10.0
    return SiteConfig.model_validate(raw)


def _issue_monthly_pass(
    sessions: sessionmaker[Session], site_code: str, admin: tuple[str, str]
) -> None:
    with sessions.begin() as session:
        actor = identity_service.authenticate(session=session, username=admin[0], password=admin[1])
        parking_service.register_vehicle(
            session=session, actor=actor, data=VehicleCreate(plate=MONTHLY)
        )
        today = utcnow().date()
        parking_service.issue_pass(
            session=session,
            actor=actor,
            data=PassCreate(
                plate=MONTHLY,
                site_code=site_code,
                valid_from=today - timedelta(days=1),
                valid_to=today + timedelta(days=30),
            ),
        )


@pytest.fixture
async def park_and_broker(
    unique_code: str, tmp_path: Path
) -> AsyncIterator[tuple[Park, Mosquitto]]:
    broker = Mosquitto(free_tcp_port())
    broker.start()
    await broker.listening()
    config = _config(broker.url, unique_code, tmp_path)
    try:
        with fresh_postgres_database() as url:
            upgrade(url)
            engine = make_engine(url)
            sessions = make_sessionmaker(engine)
            with sessions.begin() as session:
                logins = seed_demo(session=session, site=config)
            admin = next(login for login in logins if login.role == "admin")
            _issue_monthly_pass(sessions, unique_code, (admin.username, admin.password))
            settings = Settings(database_url=url, mqtt_url=broker.url, mqtt_protocol="5")
            boards = barriers_of(config)
            stop_parking = asyncio.Event()
            async with (
                running(lambda ready: serve_site(config, ready=ready, barriers=boards)),
                running(
                    lambda ready: run_ingest(settings=settings, sessions=sessions, ready=ready),
                    ready_within_s=10,
                ),
            ):
                parking = asyncio.create_task(
                    run_parking(settings=settings, sessions=sessions, stop=stop_parking)
                )
                agent = Agent(config)
                stop_agent = asyncio.Event()
                agent_task = asyncio.create_task(agent.run(stop=stop_agent))
                assert config.anpr_push is not None
                push_url = f"http://127.0.0.1:{config.anpr_push.port}/anpr"
                try:
                    yield Park(config, sessions, boards, agent, push_url), broker
                finally:
                    stop_agent.set()
                    stop_parking.set()
                    await asyncio.wait_for(agent_task, timeout=15)
                    await asyncio.wait_for(parking, timeout=15)
            engine.dispose()
    finally:
        if broker.process is not None and broker.process.poll() is None:
            broker.kill()


async def _drive(park: Park, camera: str, plate: str, gate: str, event_id: str) -> None:
    """An ANPR camera pushes `plate`; the barrier of `gate` must lift at its board."""
    before = len(park.boards[gate].pulses)
    async with httpx.AsyncClient(timeout=5) as client:
        reply = await client.post(
            f"{park.push_url}/{camera}", json={"plate": plate, "event_id": event_id}
        )
    assert reply.status_code == 200, reply.text
    await eventually(
        lambda: len(park.boards[gate].pulses) > before,
        timeout_s=15,
        what=f"the {gate} coil pulsed for {plate}",
    )


def _gate_events(sessions: sessionmaker[Session]) -> list[tuple[str, str, bool]]:
    with sessions() as session:
        rows = session.scalars(
            select(DeviceEvent)
            .where(DeviceEvent.event.in_((GATE_ENTRY, GATE_EXIT)))
            .order_by(DeviceEvent.id)
        )
        return [(row.event, row.data["plate"], row.data["opened"]) for row in rows]


def _sessions_of(sessions: sessionmaker[Session], *plates: str) -> list[ParkingSession]:
    with sessions() as session:
        stmt = select(ParkingSession).where(ParkingSession.plate.in_(plates))
        return list(session.scalars(stmt.order_by(ParkingSession.id)))


def _plate_reads(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        stmt = select(func.count()).where(DeviceEvent.event == PLATE_READ)
        return session.scalar(stmt) or 0


@pytest.mark.postgres
@pytest.mark.mosquitto
async def test_gates_work_offline_and_the_cloud_gets_every_passage_once(
    park_and_broker: tuple[Park, Mosquitto],
) -> None:
    park, broker = park_and_broker
    agent = park.agent
    # The cloud's list reaches the agent retained on down/lists.
    await eventually(
        lambda: agent.gate_memory.index.match(MONTHLY) is not None,
        timeout_s=30,
        every_s=0.1,
        what="the allow-list with the monthly pass at the agent",
    )
    await eventually(agent.uplink.online.is_set, timeout_s=10, what="the agent online")

    broker.kill()  # the cloud is unreachable from here on
    await eventually(lambda: not agent.uplink.online.is_set(), timeout_s=10, what="offline")
    await _drive(park, "CAM-IN", MONTHLY, IN, "in-1")
    await _drive(park, "CAM-OUT", MONTHLY, OUT, "out-1")
    await _drive(park, "CAM-IN", TEMPORARY, IN, "in-2")
    assert _gate_events(park.sessions) == []  # nothing went through while the broker was gone
    assert [len(park.boards[g].pulses) for g in (IN, OUT)] == [2, 1]

    broker.start()
    await broker.listening()
    expected = [
        (GATE_ENTRY, MONTHLY, True),
        (GATE_EXIT, MONTHLY, True),
        (GATE_ENTRY, TEMPORARY, True),
    ]
    await eventually(
        lambda: len(_sessions_of(park.sessions, MONTHLY, TEMPORARY)) == 2,
        timeout_s=90,
        every_s=0.2,
        what="the offline passages turned into sessions",
    )
    assert _gate_events(park.sessions) == expected
    monthly, temporary = _sessions_of(park.sessions, MONTHLY, TEMPORARY)
    assert (monthly.kind, monthly.state, monthly.fee) == (
        SessionKind.monthly,
        SessionState.closed,
        Decimal("0.00"),
    )
    assert monthly.entry_gate is not None and monthly.entry_gate.code == IN
    assert monthly.exit_gate is not None and monthly.exit_gate.code == OUT
    assert (temporary.kind, temporary.state) == (SessionKind.temporary, SessionState.open)

    # Back online, the temporary car leaves, its plate misread: the exit question finds its
    # session (a short stay owes nothing), the barrier lifts, the exit closes that session.
    await eventually(agent.uplink.online.is_set, timeout_s=30, what="the agent online again")
    await _drive(park, "CAM-OUT", MISREAD, OUT, "out-2")
    await eventually(
        lambda: _sessions_of(park.sessions, TEMPORARY)[0].state != SessionState.open,
        timeout_s=30,
        every_s=0.2,
        what="the temporary car's session closed",
    )
    (closed,) = _sessions_of(park.sessions, TEMPORARY)
    assert closed.id == temporary.id
    assert (closed.state, closed.exit_plate, closed.fee) == (
        SessionState.closed,
        MISREAD,
        Decimal("0.00"),
    )
    assert _sessions_of(park.sessions, MISREAD) == []  # no orphan exit for review
    with park.sessions() as session:
        exit_data = session.scalars(
            select(DeviceEvent.data).where(DeviceEvent.event == GATE_EXIT).order_by(DeviceEvent.id)
        ).all()[-1]
    assert exit_data["plate"] == MISREAD
    assert exit_data["basis"] in ("paid", "free")
    assert exit_data["session_id"] == str(temporary.id)

    # Exactly once: four passages, four camera reads, every seq of the boot stored once.
    await eventually(
        lambda: agent.outbox.pending_count() == 0, timeout_s=30, what="the outbox drained"
    )
    assert _gate_events(park.sessions) == [*expected, (GATE_EXIT, MISREAD, True)]
    assert _plate_reads(park.sessions) == 4
    with park.sessions() as session:
        receipts, top = session.execute(select(func.count(), func.max(IngestReceipt.seq))).one()
    assert receipts == top
    assert [len(park.boards[g].pulses) for g in (IN, OUT)] == [2, 2]

"""`parkops demo`: a whole simulated site in one process on embedded defaults.

Embedded broker (amqtt) and SQLite under `var/`, the demo site's simulated meters, the edge
agent, cloud ingest and the cloud app with its web UI — wired as production wires them, only
smaller. Each run starts from a fresh database with this month's meter history filled in, so
the bills show a real month. With `--for SECONDS` it checks the whole path and says whether it
held.
"""

import asyncio
import contextlib
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn
import yaml
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from cloud.alarms.jobs import watch_alarms
from cloud.app import create_app
from cloud.billing import service as billing_service
from cloud.db.migrate import upgrade
from cloud.devices.listener import run_status_listener
from cloud.energy import service as energy_service
from cloud.energy.jobs import keep_up_every
from cloud.energy.schemas import ReadingCreate
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.ingest.consumer import run_ingest
from cloud.maintenance.jobs import keep_opening
from cloud.notifications.jobs import keep_delivering, providers_from
from cloud.parking.jobs import run_parking
from cloud.payments.seed import DEMO_APP_ID, seed_demo_account
from cloud.seed import DemoLogin, seed_demo
from cloud.settings import Settings
from cloud.workorders.jobs import watch_slas
from edge.agent import run_agent
from parkops.broker import embedded_broker
from protocols.mqtt_url import parse_broker_url
from protocols.payment_gateway import new_private_key, private_pem, public_pem
from protocols.profiles import ENERGY_IMPORT
from protocols.site_config import Dlt645Bus, SiteConfig
from simulators.history import register_history
from simulators.payment_gateway import PaymentGateway
from simulators.site import meters_of, serve_site

DEMO_SITE = Path(__file__).resolve().parents[1] / "firmware-configs" / "demo-site.yaml"
SIMULATION_SPEED = 60.0
"""Simulated time runs a minute per second, so energy and the bills visibly grow."""
HISTORY_STEP = timedelta(hours=1)
UPKEEP_EVERY_S = 60.0
"""The energy rollups catch up once a minute, as cron runs `parkops cloud energy-upkeep`."""


@dataclass(frozen=True)
class DemoPorts:
    broker: int
    gateway: int
    http: int


class _Server(uvicorn.Server):
    """uvicorn inside our own event loop: the demo, not uvicorn, owns Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def run_demo(*, seconds: float | None, http_port: int | None, var_dir: Path) -> bool:
    """Run the demo until Ctrl-C (or for `seconds`); True when every check held."""
    return asyncio.run(_demo(seconds=seconds, http_port=http_port, var_dir=var_dir))


def demo_site(*, ports: DemoPorts, var_dir: Path) -> SiteConfig:
    """The demo site config, moved to free loopback ports and the embedded broker."""
    raw = yaml.safe_load(DEMO_SITE.read_text(encoding="utf-8"))
    for bus in raw["buses"]:
        bus["port"] = ports.gateway
    raw["mqtt"] = {"url": f"mqtt://127.0.0.1:{ports.broker}", "protocol": "3.1.1"}
    raw["outbox"]["path"] = str(var_dir / "edge-outbox.sqlite3")
    return SiteConfig.model_validate(raw)


def _free_port(preferred: int | None = None) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred or 0))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fresh(var_dir: Path) -> None:
    """Forget the previous run: its meters counted on from other registers than this run's."""
    var_dir.mkdir(parents=True, exist_ok=True)
    for stale in (*var_dir.glob("demo.sqlite3*"), *var_dir.glob("edge-outbox.sqlite3*")):
        stale.unlink()


async def _demo(*, seconds: float | None, http_port: int | None, var_dir: Path) -> bool:
    _fresh(var_dir)
    base = Settings()
    ports = DemoPorts(
        broker=_free_port(), gateway=_free_port(), http=_free_port(http_port or base.http_port)
    )
    settings = base.model_copy(
        update={
            "database_url": f"sqlite:///{(var_dir / 'demo.sqlite3').resolve()}",
            "mqtt_url": f"mqtt://127.0.0.1:{ports.broker}",
            "mqtt_protocol": "3.1.1",
            "http_port": ports.http,
            "files_dir": (var_dir / "files").resolve(),
            "notify_dir": (var_dir / "notify").resolve(),
        }
    )
    site = demo_site(ports=ports, var_dir=var_dir)
    started_at = datetime.now(UTC)

    upgrade(settings.database_url)
    app = create_app(settings)
    sessions: sessionmaker[Session] = app.state.sessions
    with sessions.begin() as session:
        logins = seed_demo(session=session, site=site, timezone=settings.timezone)
        admin = _login(session, logins, role="admin")
        _fill_in_this_month(session, admin, site=site, until=started_at, timezone=settings.timezone)
        payments = _payment_gateway(session, admin, logins, notify_base_url=_url(settings))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with payments.serving():
        await _run_site(
            app=app, settings=settings, site=site, logins=logins, stop=stop, seconds=seconds
        )

    if seconds is None:
        print("\nparkops demo stopped.")
        return True
    return await asyncio.to_thread(
        _check, sessions=sessions, site=site, logins=logins, since=started_at
    )


async def _run_site(
    *,
    app: FastAPI,
    settings: Settings,
    site: SiteConfig,
    logins: list[DemoLogin],
    stop: asyncio.Event,
    seconds: float | None,
) -> None:
    """Broker, meters, ingest, agent and web app, until `stop` is set or `seconds` pass."""
    server = _Server(
        uvicorn.Config(app, host="127.0.0.1", port=settings.http_port, log_level="warning")
    )
    async with (
        embedded_broker(port=parse_broker_url(settings.mqtt_url).port),
        asyncio.TaskGroup() as tasks,
    ):
        site_ready, ingest_ready = asyncio.Event(), asyncio.Event()
        background = [
            tasks.create_task(serve_site(site, speed=SIMULATION_SPEED, ready=site_ready)),
            tasks.create_task(
                run_ingest(
                    settings=settings, sessions=app.state.sessions, stop=stop, ready=ingest_ready
                )
            ),
        ]
        await asyncio.wait_for(asyncio.gather(site_ready.wait(), ingest_ready.wait()), 30)
        background.append(tasks.create_task(run_agent(site, stop=stop)))
        background.append(tasks.create_task(watch_slas(sessions=app.state.sessions, stop=stop)))
        background.append(tasks.create_task(watch_alarms(sessions=app.state.sessions, stop=stop)))
        background.append(
            tasks.create_task(
                run_status_listener(settings=settings, sessions=app.state.sessions, stop=stop)
            )
        )
        background.append(tasks.create_task(keep_opening(sessions=app.state.sessions, stop=stop)))
        # the barriers' gate events, allow-lists and exit questions get the cloud's answers
        background.append(
            tasks.create_task(
                run_parking(settings=settings, sessions=app.state.sessions, stop=stop)
            )
        )
        background.append(
            tasks.create_task(
                keep_up_every(sessions=app.state.sessions, stop=stop, every_s=UPKEEP_EVERY_S)
            )
        )
        background.append(
            tasks.create_task(
                keep_delivering(
                    sessions=app.state.sessions, providers=providers_from(settings), stop=stop
                )
            )
        )
        web = tasks.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        _print_welcome(settings, logins)

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        stop.set()
        server.should_exit = True
        await web
        for task in background:
            task.cancel()


def _payment_gateway(
    session: Session, admin: Actor, logins: list[DemoLogin], *, notify_base_url: str
) -> PaymentGateway:
    """The simulated online payment gateway tenants pay through on /m/pay, and the org's
    merchant account at it."""
    gateway, merchant = PaymentGateway(port=_free_port()), new_private_key()
    gateway.register_merchant(DEMO_APP_ID, public_pem(merchant))
    seed_demo_account(
        session=session,
        admin=admin,
        finance_username=next(login.username for login in logins if login.role == "finance"),
        gateway_url=gateway.base_url,
        gateway_public_pem=gateway.public_pem,
        merchant_private_pem=private_pem(merchant),
        notify_base_url=notify_base_url,
    )
    return gateway


def _url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.http_port}"


def _login(session: Session, logins: list[DemoLogin], *, role: str) -> Actor:
    login = next(login for login in logins if login.role == role)
    return identity_service.authenticate(
        session=session, username=login.username, password=login.password
    )


def _fill_in_this_month(
    session: Session, actor: Actor, *, site: SiteConfig, until: datetime, timezone: str
) -> None:
    """Hourly energy registers from a day before this month began up to now, as the simulated
    meters would have read them, so month-to-date bills and charts have a month behind them."""
    month_start = until.astimezone(ZoneInfo(timezone)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    since = month_start - timedelta(days=1)
    for bus in site.buses:
        if isinstance(bus, Dlt645Bus):  # history is simulated for Modbus register maps only
            continue
        for device, meter in zip(bus.devices, meters_of(bus), strict=True):
            history = register_history(meter, since=since, until=until, every=HISTORY_STEP)
            energy_service.record_readings(
                session=session,
                actor=actor,
                meter_code=device.code,
                readings=[ReadingCreate(metric=ENERGY_IMPORT, ts=t, value=v) for t, v in history],
            )


def _print_welcome(settings: Settings, logins: list[DemoLogin]) -> None:
    url = f"http://127.0.0.1:{settings.http_port}"
    print(f"\nparkops demo is running — open {url}  (tenant phone view: {url}/m)")
    print(f"  REST API: {url}/docs   database: {settings.database_url}")
    for login in logins:
        print(f"  login  {login.username:<10} password {login.password:<16} ({login.role})")
    print("  Ctrl-C stops everything.\n", flush=True)


def _check(
    *,
    sessions: sessionmaker[Session],
    site: SiteConfig,
    logins: list[DemoLogin],
    since: datetime,
) -> bool:
    """Did readings from every simulated meter reach the database, and is the bill computed?"""
    with sessions() as session:
        actor = _login(session, logins, role="admin")
        snapshots = {
            s.meter_code: s for s in energy_service.latest_readings(session=session, actor=actor)
        }
        charges = billing_service.current_electricity_charges(session=session, actor=actor)

    ok = True
    print("\nparkops demo summary")
    for _, device in site.meters():
        snap = snapshots.get(device.code)
        live = snap is not None and snap.last_ts is not None and snap.last_ts > since
        ok &= live
        energy = snap.values.get(ENERGY_IMPORT) if snap else None
        shown = f"{energy:,.2f} kWh" if energy is not None else "-"
        print(f"  meter {device.code:<10} {'ok ' if live else 'NO READINGS'}  energy {shown}")
    ok &= bool(charges)
    for charge in charges:
        print(
            f"  lease {charge.lease_code} {charge.tenant_name}: {charge.period_start} to "
            f"{charge.period_end}, {charge.kwh} kWh × {charge.tariff} = ¥{charge.amount}"
        )
    if not charges:
        print("  no electricity charge could be computed")
    print(f"  result: {'OK' if ok else 'FAILED'}")
    return ok

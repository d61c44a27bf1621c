"""Command line of the cloud: `app` is mounted as `parkops cloud`, `db_app` as `parkops db`."""

import ipaddress
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cloud.settings import DEV_SECRET_KEY, Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

app = typer.Typer(
    help="The cloud: web app and API, ingest workers, demo data.", no_args_is_help=True
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


@db_app.callback()
def _db() -> None:
    """The database schema (a callback keeps `upgrade` a subcommand while it is the only one)."""


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@contextmanager
def _database() -> Iterator[tuple[Settings, "sessionmaker[Session]"]]:
    """The settings and sessions of PARKOPS_DATABASE_URL; the engine is disposed on the way
    out, error or not. (Imports stay inside: `parkops --help` should not load SQLAlchemy.)"""
    from cloud.db.engine import make_engine, make_sessionmaker

    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        yield settings, make_sessionmaker(engine)
    finally:
        engine.dispose()


@contextmanager
def _transaction() -> Iterator["Session"]:
    """One session in one transaction, committed when the block ends without an error."""
    with _database() as (_, sessions), sessions.begin() as session:
        yield session


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database of PARKOPS_DATABASE_URL to the newest schema."""
    from cloud.db.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url)
    typer.echo("database is up to date")


@app.command()
def serve(ui: Annotated[bool, typer.Option(help="mount the web UI")] = True) -> None:
    """Migrate the database, then serve the web UI and REST API on PARKOPS_HTTP_HOST:PORT."""
    import uvicorn

    from cloud.app import create_app
    from cloud.db.migrate import upgrade

    _logging()
    settings = Settings()
    _check_secret_key(settings)
    upgrade(settings.database_url)
    uvicorn.run(create_app(settings, ui=ui), host=settings.http_host, port=settings.http_port)


def _check_secret_key(settings: Settings) -> None:
    """Exit (code 2) when the development secret would sign logins anyone on the network can
    reach; on loopback only warn, as the demo and development run that way."""
    if settings.secret_key != DEV_SECRET_KEY:
        return
    if not _is_loopback(settings.http_host):
        typer.echo(
            f"refusing to serve on {settings.http_host} with the development secret key, which "
            "lets anyone forge a login: set PARKOPS_SECRET_KEY to a long random value",
            err=True,
        )
        raise typer.Exit(code=2)
    logging.getLogger(__name__).warning(
        "PARKOPS_SECRET_KEY is the development default: set it before this is reachable"
    )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


@app.command()
def ingest(
    workers: Annotated[
        int, typer.Option(min=1, help="worker processes on this host, each its own MQTT client")
    ] = 1,
    shared: Annotated[
        bool | None,
        typer.Option(
            "--shared/--no-shared",
            help="subscribe through $share/ingest (default: when there are several workers); "
            "use --shared for single workers on several hosts",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="serve /metrics on PARKOPS_HTTP_HOST at this port (worker n: port + n)"),
    ] = None,
) -> None:
    """Take in what edge agents publish on PARKOPS_MQTT_URL and ack it after each commit.
    The first worker also records agents' births and wills (`up/status`, not shared).

    Several workers split the stream through a shared subscription, which needs a broker that
    has them (Mosquitto 2, EMQX; the demo's embedded broker does not) and PostgreSQL.
    """
    from cloud.db.engine import normalize_url
    from cloud.ingest.workers import run_workers, serve_worker

    _logging()
    settings = Settings()
    share = shared if shared is not None else workers > 1
    if workers == 1:
        serve_worker(settings=settings, shared=share, metrics_port=metrics_port)
        return
    if normalize_url(settings.database_url).get_backend_name() != "postgresql":
        typer.echo("several ingest workers need PostgreSQL (SQLite has one writer)", err=True)
        raise typer.Exit(code=2)
    code = run_workers(settings=settings, count=workers, shared=share, metrics_port=metrics_port)
    raise typer.Exit(code=code)


@app.command()
def parking() -> None:
    """Run the parking and access jobs until interrupted: gate events to sessions, door events
    to the door log (alarms to work orders), allow-lists published on change, exit questions
    answered (PARKOPS_DATABASE_URL, PARKOPS_MQTT_URL)."""
    import asyncio
    import signal

    from cloud.parking.jobs import run_parking

    _logging()

    async def main() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await run_parking(settings=settings, sessions=sessions, stop=stop)

    with _database() as (settings, sessions):
        asyncio.run(main())


@app.command()
def escalate() -> None:
    """Escalate work orders past their SLA response or resolution due (run it from cron)."""
    from cloud.workorders.jobs import escalate_overdue

    with _transaction() as session:
        made = escalate_overdue(session=session)
    typer.echo(f"{len(made)} escalation(s)")


@app.command("check-payments")
def check_payments() -> None:
    """Ask the payment provider about online orders pending for a while (a lost notification
    is settled this way); run it from cron."""
    from cloud.payments.jobs import check_pending_orders

    with _transaction() as session:
        changed = check_pending_orders(session=session)
        for order in changed:
            typer.echo(f"{order.out_trade_no} {order.status.value}")
    typer.echo(f"{len(changed)} order(s) settled")


@app.command()
def notify() -> None:
    """Deliver the notices due in the outbox (in-app, email, SMS); run it from cron."""
    from cloud.notifications.jobs import deliver_all, providers_from

    _logging()
    with _database() as (settings, sessions):
        report = deliver_all(sessions=sessions, providers=providers_from(settings))
    typer.echo(f"{report.delivered} delivered, {report.retrying} to retry, {report.failed} failed")


@app.command()
def maintenance() -> None:
    """Open the work orders of preventive maintenance plans now due; run it from cron."""
    from cloud.maintenance.jobs import open_due

    with _transaction() as session:
        opened = open_due(session=session)
    for order in opened:
        typer.echo(f"{order.plan_code} {order.due} → {order.work_order_code}")
    typer.echo(f"{len(opened)} maintenance work order(s)")


@app.command("energy-upkeep")
def energy_upkeep() -> None:
    """Make readings' partitions ahead and bring the energy rollups up to date (run it from
    cron every minute or so; each run takes only what changed since the last)."""
    from cloud.energy.jobs import keep_up

    with _transaction() as session:
        done = keep_up(session=session)
    typer.echo(
        f"{len(done.partitions_made)} partition(s) made, "
        f"{done.backlog_taken} meter-day(s) rolled up"
    )


@app.command()
def seed(
    site_config: Annotated[
        Path,
        typer.Option(exists=True, dir_okay=False, help="site YAML to take site, agent, meters"),
    ] = Path("firmware-configs/demo-site.yaml"),
) -> None:
    """Create the demo org, site, units, leases, meters and logins (idempotent); print logins."""
    from cloud.db.migrate import upgrade
    from cloud.seed import seed_demo
    from protocols.site_config_yaml import parse_site_config

    site = parse_site_config(site_config.read_text(encoding="utf-8"), source=str(site_config))
    with _database() as (settings, sessions):
        upgrade(settings.database_url)
        with sessions.begin() as session:
            logins = seed_demo(session=session, site=site, timezone=settings.timezone)
    for login in logins:
        typer.echo(f"{login.role:<8} {login.username:<8} {login.password}")


@app.command()
def alarms(
    every: Annotated[
        float | None,
        typer.Option(min=1, help="evaluate every this many seconds until Ctrl-C (default: once)"),
    ] = None,
) -> None:
    """Evaluate the clock alarm rules (meter offline, consumption above baseline) once, or
    every N seconds."""
    import asyncio
    import signal

    from cloud.alarms.jobs import evaluate_periodic, watch_alarms

    _logging()
    if every is None:
        with _transaction() as session:
            count = evaluate_periodic(session=session)
        typer.echo(f"{count} clock alarm(s) open")
        return

    async def watch() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await watch_alarms(sessions=sessions, stop=stop, every_s=every)

    with _database() as (_, sessions):
        asyncio.run(watch())


dead_letters_app = typer.Typer(help="Uplink the cloud could not take in.", no_args_is_help=True)
app.add_typer(dead_letters_app, name="dead-letters")


@dead_letters_app.command("list")
def dead_letters_list(
    limit: Annotated[int, typer.Option(min=1, help="newest this many")] = 50,
) -> None:
    """Show the newest dead letters: id, when, cause, replays, topic and reason."""
    from cloud.ingest.replay import list_dead_letters

    with _database() as (_, sessions), sessions() as session:
        for view in list_dead_letters(session=session, actor=None, limit=limit):
            letter = view.letter
            replayed = f"replayed×{len(view.replays)}" if view.replays else "-"
            typer.echo(
                f"{letter.id:>8} {letter.received_at:%Y-%m-%d %H:%M:%S} {letter.cause:<15} "
                f"{replayed:<11} {letter.topic} {letter.reason[:120]}"
            )


@dead_letters_app.command("replay")
def dead_letters_replay(
    ids: Annotated[list[int], typer.Argument(help="dead letter ids (from `list`)")],
) -> None:
    """Submit dead letters again through the same checks, after a fix (e.g. the agent or
    device got registered); each is marked with what became of it, never deleted."""
    from cloud.errors import NotFound
    from cloud.ingest.replay import replay

    failed = False
    with _database() as (_, sessions):
        for letter_id in ids:
            with sessions.begin() as session:
                try:
                    mark = replay(session=session, actor=None, dead_letter_id=letter_id)
                except NotFound as exc:
                    typer.echo(str(exc), err=True)
                    failed = True
                    continue
                typer.echo(
                    f"{letter_id}: {mark.outcome}, {mark.written} written {mark.reason or ''}"
                )
    if failed:
        raise typer.Exit(code=1)

"""Command line of the cloud: `app` is mounted as `parkops cloud`, `db_app` as `parkops db`."""

import asyncio
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer
import yaml

from cloud.settings import DEV_SECRET_KEY, Settings

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
    if settings.secret_key == DEV_SECRET_KEY:
        logging.getLogger(__name__).warning(
            "PARKOPS_SECRET_KEY is the development default: set it before this is reachable"
        )
    upgrade(settings.database_url)
    uvicorn.run(create_app(settings, ui=ui), host=settings.http_host, port=settings.http_port)


@app.command()
def ingest(
    workers: Annotated[int, typer.Option(min=1, help="consumers in this process")] = 1,
) -> None:
    """Take in what edge agents publish on PARKOPS_MQTT_URL and ack it after each commit."""
    from cloud.db.engine import make_engine, make_sessionmaker
    from cloud.ingest.consumer import run_ingest

    _logging()
    settings = Settings()
    sessions = make_sessionmaker(make_engine(settings.database_url))

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await asyncio.gather(
            *(run_ingest(settings=settings, sessions=sessions, stop=stop) for _ in range(workers))
        )

    asyncio.run(main())


@app.command()
def seed(
    site_config: Annotated[
        Path,
        typer.Option(exists=True, dir_okay=False, help="site YAML to take site, agent, meters"),
    ] = Path("firmware-configs/demo-site.yaml"),
) -> None:
    """Create the demo org, site, units, leases, meters and logins (idempotent); print logins."""
    from cloud.db.engine import make_engine, make_sessionmaker
    from cloud.db.migrate import upgrade
    from cloud.seed import seed_demo
    from protocols.site_config import SiteConfig

    settings = Settings()
    upgrade(settings.database_url)
    site = SiteConfig.model_validate(yaml.safe_load(site_config.read_text(encoding="utf-8")))
    with make_sessionmaker(make_engine(settings.database_url)).begin() as session:
        logins = seed_demo(session=session, site=site, timezone=settings.timezone)
    for login in logins:
        typer.echo(f"{login.role:<8} {login.username:<8} {login.password}")

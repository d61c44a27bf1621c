"""Billing commands, mounted as `parkops billing`: the daily job (late fees) and a billing run
from the command line (preview, or post as a named finance user)."""

from datetime import date
from typing import Annotated

import typer

app = typer.Typer(help="Billing: runs and the daily late-fee job.", no_args_is_help=True)


@app.callback()
def _billing() -> None:
    """Billing: runs and the daily late-fee job."""


@app.command()
def daily() -> None:
    """Post late fees up to today in every org on PARKOPS_DATABASE_URL (idempotent)."""
    from cloud.billing.jobs import run_daily
    from cloud.db.engine import make_engine, make_sessionmaker
    from cloud.settings import Settings

    engine = make_engine(Settings().database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            added = run_daily(session=session)
    finally:
        engine.dispose()
    for org, count in added.items():
        typer.echo(f"{org}: {count} late fee(s)")
    if not added:
        typer.echo("no late-fee policies")


@app.command()
def run(
    period_start: Annotated[str, typer.Argument(help="first day, YYYY-MM-DD")],
    period_end: Annotated[str, typer.Argument(help="last day, YYYY-MM-DD")],
    user: Annotated[str, typer.Option(help="post as this finance or admin user")],
    site: Annotated[str | None, typer.Option(help="one site's code; all when left out")] = None,
    post: Annotated[bool, typer.Option(help="post; without it, only preview")] = False,
) -> None:
    """Preview (or post) a billing run for a period, printing the totals and any warnings."""
    from sqlalchemy import select

    from cloud.billing import runs
    from cloud.db.engine import make_engine, make_sessionmaker
    from cloud.errors import ParkopsError
    from cloud.identity.actor import Actor
    from cloud.identity.models import User
    from cloud.settings import Settings

    first, last = date.fromisoformat(period_start), date.fromisoformat(period_end)
    engine = make_engine(Settings().database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            found = session.scalar(select(User).where(User.username == user, User.active))
            if found is None:
                typer.echo(f"no active user {user}", err=True)
                raise typer.Exit(1)
            actor = Actor.of(found)
            preview = runs.preview_run(
                session=session, actor=actor, period_start=first, period_end=last, site_code=site
            )
            for warning in preview.warnings:
                typer.echo(f"warning: {warning}")
            typer.echo(
                f"new lines: {sum(1 for ln in preview.lines if ln.tenant_id and not ln.posted)}"
            )
            typer.echo(f"new total: {preview.new_total}  landlord: {preview.landlord_total}")
            if post:
                result = runs.post_run(
                    session=session,
                    actor=actor,
                    period_start=first,
                    period_end=last,
                    site_code=site,
                )
                typer.echo(f"posted {result.added} line(s) on {result.bills} bill(s)")
    except ParkopsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()

"""Leasing commands, mounted as `parkops lease`: preview a contract's charge schedule, run the
daily contract job, import and export the Excel workbook of tenants, units and contracts."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from cloud.leasing.terms import load_terms, schedule_csv

if TYPE_CHECKING:  # the database is loaded only by the commands that use it
    from sqlalchemy.orm import Session

    from cloud.identity.actor import Actor

app = typer.Typer(help="Leasing: contract terms and their charge schedules.", no_args_is_help=True)


@app.callback()
def _lease() -> None:
    """Leasing: contract terms and their charge schedules."""


@app.command()
def schedule(
    contract: Annotated[
        Path, typer.Argument(help="Contract terms as JSON (see cloud/leasing/examples)")
    ],
) -> None:
    """Print the contract's charge schedule as CSV: due_date,period_start,period_end,item,amount."""
    try:
        terms = load_terms(contract.read_bytes())
    except OSError as exc:
        typer.echo(f"{contract}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    except ValidationError as exc:
        typer.echo(f"{contract}: {exc.error_count()} error(s)", err=True)
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"]) or "contract"
            typer.echo(f"  {where}: {error['msg']}", err=True)
        raise typer.Exit(1) from None
    typer.echo(schedule_csv(terms), nl=False)


@app.command()
def daily() -> None:
    """Run the daily contract job on PARKOPS_DATABASE_URL: contracts whose lease started become
    active, those past their end expire, and expiry alerts (90/60/30 days) are recorded.
    Idempotent: run it from cron or a systemd timer as often as liked."""
    from cloud.db.engine import make_engine, make_sessionmaker
    from cloud.leasing.contracts.jobs import run_daily
    from cloud.settings import Settings

    engine = make_engine(Settings().database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            report = run_daily(session=session)
    finally:
        engine.dispose()
    typer.echo(f"activated: {', '.join(report.activated) or '-'}")
    typer.echo(f"expired: {', '.join(report.expired) or '-'}")
    alerts = ", ".join(f"{code} ({days} days)" for code, days in report.alerts)
    typer.echo(f"alerts: {alerts or '-'}")


User = Annotated[
    str, typer.Option("--user", "-u", envvar="PARKOPS_USER", help="act as this staff or admin user")
]


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="an .xlsx workbook")],
    user: User,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check every row, store nothing")
    ] = False,
) -> None:
    """Import tenants, units and contracts from a workbook on PARKOPS_DATABASE_URL: every bad
    row is listed with its sheet and row number, and nothing is stored unless all are good."""
    from rich.progress import Progress

    from cloud.leasing.imports import service

    with Progress(transient=True) as progress, _acting_as(user) as (session, actor):
        task = progress.add_task(f"{file.name}", total=None)
        report = service.import_workbook(
            session=session,
            actor=actor,
            content=file.read_bytes(),
            dry_run=dry_run,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    for problem in report.problems:
        typer.echo(f"{problem.sheet} row {problem.row}: {problem.reason}", err=True)
    counts = ", ".join(f"{count} {sheet}" for sheet, count in report.good.items())
    if report.applied:
        typer.echo(f"imported {counts}")
    elif dry_run and not report.problems:
        typer.echo(f"dry run: all {report.rows} rows are good ({counts}); nothing stored")
    else:
        typer.echo(f"{len(report.problems)} bad row(s) of {report.rows}; nothing stored", err=True)
        raise typer.Exit(1)


@app.command()
def export(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="the .xlsx to write")],
    user: User,
) -> None:
    """Write the org's tenants, units and contracts to a workbook `import` reads back."""
    from cloud.leasing.imports import service

    with _acting_as(user) as (session, actor):
        file.write_bytes(service.export_workbook(session=session, actor=actor))
    typer.echo(f"wrote {file}")


@contextmanager
def _acting_as(username: str) -> "Iterator[tuple[Session, Actor]]":
    """A transaction on PARKOPS_DATABASE_URL (committed when the block ends well) and the
    actor of an active user, whose org and role scope what the command may do."""
    from sqlalchemy import select

    from cloud.db.engine import make_engine, make_sessionmaker
    from cloud.errors import ParkopsError
    from cloud.identity.actor import Actor
    from cloud.identity.models import User as UserRow
    from cloud.settings import Settings

    engine = make_engine(Settings().database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            row = session.scalar(
                select(UserRow).where(UserRow.username == username, UserRow.active.is_(True))
            )
            if row is None:
                typer.echo(f"no active user {username!r}", err=True)
                raise typer.Exit(2)
            try:
                yield session, Actor.of(row)
            except ParkopsError as exc:
                typer.echo(str(exc), err=True)
                raise typer.Exit(1) from None
    finally:
        engine.dispose()

"""Leasing commands, mounted as `parkops lease`: preview a contract's charge schedule, run the
daily contract job."""

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from cloud.leasing.terms import load_terms, schedule_csv

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

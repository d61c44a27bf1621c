"""Leasing commands, mounted as `parkops lease`: preview a contract's charge schedule."""

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

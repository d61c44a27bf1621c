"""The `parkops` command: one entry point that mounts each package's own commands."""

import logging
from pathlib import Path
from typing import Annotated

import typer

from cloud import cli as cloud_cli
from cloud.billing import cli as billing_cli
from cloud.leasing import cli as lease_cli
from edge import cli as edge_cli
from edge import plates_cli
from simulators import cli as sim_cli

app = typer.Typer(
    help="parkops — leasing, billing and operations for office parks and street shops.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(cloud_cli.app, name="cloud", help="The cloud app: web UI, REST API, ingest.")
app.add_typer(cloud_cli.db_app, name="db", help="Database schema (Alembic migrations).")
app.add_typer(lease_cli.app, name="lease", help="Leasing: contract terms and their schedules.")
app.add_typer(billing_cli.app, name="billing", help="Billing: runs and the daily late-fee job.")
app.add_typer(edge_cli.app, name="edge", help="The edge agent that runs on a building's Pi.")
app.add_typer(sim_cli.app, name="sim", help="Simulated devices speaking real protocols.")
app.add_typer(plates_cli.app, name="plate", help="Licence plates: read them from pictures.")


@app.callback()
def _logging(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    if not verbose:
        # The embedded broker narrates every connection and state change at INFO.
        for chatty in ("amqtt", "transitions", "uvicorn.access", "alembic"):
            logging.getLogger(chatty).setLevel(logging.WARNING)


@app.command()
def demo(
    seconds: Annotated[
        float | None,
        typer.Option("--for", help="Run this many seconds, check the whole path, exit 0 or 1."),
    ] = None,
    port: Annotated[int | None, typer.Option(help="Web port (default: PARKOPS_HTTP_PORT)")] = None,
    var_dir: Annotated[Path, typer.Option(help="Where the demo keeps its files")] = Path("var"),
) -> None:
    """Run a whole simulated site: broker, meters, edge agent, ingest, cloud app and web UI."""
    from parkops.demo import run_demo

    ok = run_demo(seconds=seconds, http_port=port, var_dir=var_dir)
    raise typer.Exit(0 if ok else 1)


@app.command()
def asyncapi() -> None:
    """Print the MQTT contract v1 as an AsyncAPI 3.0 document (YAML), for integrators."""
    from protocols.asyncapi import asyncapi_yaml

    typer.echo(asyncapi_yaml(), nl=False)


@app.command()
def bench(
    name: Annotated[str | None, typer.Argument(help="Benchmark to run; all when omitted")] = None,
    list_: Annotated[bool, typer.Option("--list", help="Name the benchmarks and stop")] = False,
) -> None:
    """Run benchmarks from bench/: each prints a table and a last line `RESULT {json}`."""
    import bench

    if list_:
        width = max(len(n) for n in bench.available())
        for bench_name, summary in bench.available().items():
            typer.echo(f"{bench_name:<{width}}  {summary}")
        return
    names = [name] if name else list(bench.available())
    for bench_name in names:
        try:
            bench.run(bench_name)
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0]), param_hint="NAME") from None


if __name__ == "__main__":
    app()

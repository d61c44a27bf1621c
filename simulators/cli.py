"""`parkops sim`: run simulated devices from the command line until Ctrl-C."""

import asyncio
import logging
import signal
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from protocols.payment_gateway import load_private_key, new_private_key, private_pem
from protocols.serial_timing import BAUD_RATES, Parity, StopBits
from protocols.site_config import Dlt645Bus, SiteConfig
from protocols.site_config_yaml import SiteConfigError, parse_site_config
from simulators.meter import SimulatedMeter, serve_meters
from simulators.payment_gateway import PaymentGateway
from simulators.rtu import RtuBus, serve_rtu_line
from simulators.site import serve_site, where

app = typer.Typer(help="Simulated devices speaking real protocols.", no_args_is_help=True)


@app.command()
def site(
    config: Annotated[Path, typer.Option(help="site config YAML", exists=True, dir_okay=False)],
    speed: Annotated[float, typer.Option(min=0.001, help="simulated seconds per second")] = 1.0,
) -> None:
    """Serve every meter of a site config on its bus: TCP gateway, serial line (a pty at the
    bus's port path) or serial-to-TCP converter. DL/T 645 buses are not served here."""
    site_config = _load(config)
    for bus in site_config.buses:
        if isinstance(bus, Dlt645Bus):
            typer.echo(f"bus {bus.code} ({bus.kind}): not simulated by this command")
            continue
        units = ", ".join(str(d.unit_id) for d in bus.devices)
        typer.echo(f"bus {bus.code} on {where(bus)}: units {units}")
    _run_until_interrupted(serve_site(site_config, speed=speed))


@app.command()
def meter(
    port: Annotated[int, typer.Option(min=1, max=65535)],
    profile: Annotated[str, typer.Option()] = "chint-ddsu666",
    unit: Annotated[int, typer.Option(min=1, max=247, help="Modbus unit id")] = 1,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    speed: Annotated[float, typer.Option(min=0.001, help="simulated seconds per second")] = 1.0,
    start_energy: Annotated[float, typer.Option(min=0, help="kWh on the register at start")] = 0.0,
) -> None:
    """Serve one meter on host:port."""
    try:
        simulated = SimulatedMeter(
            unit_id=unit, profile=profile, start_energy_kwh=start_energy, speed=speed
        )
    except (KeyError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    typer.echo(f"meter {profile} unit {unit} on {host}:{port}")
    _run_until_interrupted(serve_meters(host=host, port=port, meters=[simulated]))


@app.command()
def rtu(
    link: Annotated[Path, typer.Option(help="path clients open, e.g. /tmp/ttyPARK0")],
    profile: Annotated[str, typer.Option()] = "chint-ddsu666",
    unit: Annotated[list[int] | None, typer.Option(help="unit id (repeat for more)")] = None,
    baud: Annotated[int, typer.Option(help="line speed the simulator enforces")] = 9600,
    parity: Annotated[str, typer.Option(help="N, E or O")] = "N",
    stop_bits: Annotated[int, typer.Option(min=1, max=2)] = 1,
    speed: Annotated[float, typer.Option(min=0.001, help="simulated seconds per second")] = 1.0,
) -> None:
    """Serve meters on a simulated RS-485 line: a pty reachable at LINK, real byte timing."""
    if baud not in BAUD_RATES or parity not in ("N", "E", "O"):
        raise typer.BadParameter(f"baud one of {BAUD_RATES}, parity N, E or O")
    try:
        meters = [SimulatedMeter(unit_id=u, profile=profile, speed=speed) for u in unit or [1]]
        bus = RtuBus(meters)
    except (KeyError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    typer.echo(f"{profile} units {sorted(bus.meters)} on {link} at {baud} 8{parity}{stop_bits}")
    serving = serve_rtu_line(
        bus,
        link=link,
        baud=baud,
        parity=cast(Parity, parity),  # both checked above
        stop_bits=cast(StopBits, stop_bits),
    )
    _run_until_interrupted(serving)


@app.command()
def camera(
    out: Annotated[Path, typer.Option(help="folder the frames are written to")],
    count: Annotated[int, typer.Option(min=1, max=10_000)] = 20,
    seed: Annotated[int, typer.Option()] = 0,
    look: Annotated[
        str, typer.Option(help="clear or varied (angle, blur, night, glare)")
    ] = "varied",
) -> None:
    """Write gate-camera frames with plates of every colour to OUT (an agent camera with
    `source: OUT` reads them); prints `file<TAB>plate<TAB>colour` per frame."""
    from simulators.camera import NoCjkFont, write_scenes

    if look not in ("clear", "varied"):
        raise typer.BadParameter("look is clear or varied")
    try:
        frames = write_scenes(out, count=count, seed=seed, look=cast(Any, look))
    except NoCjkFont as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    for frame in frames:
        typer.echo(f"{frame.path}\t{frame.plate}\t{frame.colour}")


@app.command()
def door(
    port: Annotated[int, typer.Option(min=1, max=65535)],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    code: Annotated[str, typer.Option(help="the door's code")] = "D-1",
) -> None:
    """Serve a door controller (protocols.door_line) on host:port, for an agent to watch."""
    from simulators.door_controller import SimulatedDoor, serve_door

    typer.echo(f"door controller {code} on {host}:{port}")
    _run_until_interrupted(serve_door(SimulatedDoor(code=code), host=host, port=port))


@app.command("payment-gateway")
def payment_gateway(
    key: Annotated[Path, typer.Option(help="the gateway's RSA private key (PEM); made if missing")],
    merchant: Annotated[
        list[str] | None, typer.Option(help="APP_ID=PATH of a merchant's public key PEM (repeat)")
    ] = None,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8090,
) -> None:
    """Serve a simulated online payment gateway (WeChat Pay / Alipay shaped) over HTTP. Its
    public key goes beside KEY as KEY.pub, for the merchant account in the cloud."""
    if not key.exists():
        key.write_text(private_pem(new_private_key()), encoding="utf-8")
    gateway = PaymentGateway(host=host, port=port, key=load_private_key(key.read_text()))
    key.with_name(key.name + ".pub").write_text(gateway.public_pem, encoding="utf-8")
    for entry in merchant or []:
        app_id, _, pem_path = entry.partition("=")
        try:
            gateway.register_merchant(app_id, Path(pem_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"{entry}: {exc}", param_hint="--merchant") from None
    typer.echo(f"payment gateway on http://{host}:{port}, public key {key}.pub")
    _run_until_interrupted(_serve_gateway(gateway))


async def _serve_gateway(gateway: PaymentGateway) -> None:
    with gateway.serving():
        await asyncio.Event().wait()  # until cancelled


def _load(path: Path) -> SiteConfig:
    try:
        return parse_site_config(path.read_text(encoding="utf-8"), source=str(path))
    except SiteConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def _run_until_interrupted(serving: Coroutine[Any, Any, None]) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(_serve_until_signal(serving))
    except* OSError as failures:  # e.g. a port is taken
        for failure in failures.exceptions:
            typer.echo(f"cannot serve: {failure}", err=True)
        raise typer.Exit(1) from None


async def _serve_until_signal(serving: Coroutine[Any, Any, None]) -> None:
    """Run `serving` until SIGINT/SIGTERM, then cancel it so it shuts down cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    task = asyncio.create_task(serving, name="simulator")
    stopping = asyncio.create_task(stop.wait(), name="simulator stop")
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, stopping):
        pending.cancel()
    results = await asyncio.gather(task, stopping, return_exceptions=True)
    failure = results[0]
    if isinstance(failure, BaseException) and not isinstance(failure, asyncio.CancelledError):
        raise failure
    typer.echo("stopped")


if __name__ == "__main__":
    app()

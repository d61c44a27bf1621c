"""`parkops edge`: check a site config, or run the agent from it until Ctrl-C / SIGTERM."""

import asyncio
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from edge.agent import run_agent
from edge.config import SiteConfigError, load_site_config
from protocols.site_config import (
    AnyBus,
    Camera,
    Dlt645Bus,
    Dlt645Device,
    MeterDevice,
    ModbusRtuBus,
    ModbusTcpBus,
    SiteConfig,
)

app = typer.Typer(help="The edge agent: polls meters, buffers, forwards to the cloud.")

ConfigFile = Annotated[Path, typer.Argument(help="site config YAML", dir_okay=False)]


@app.command()
def check(config: ConfigFile) -> None:
    """Validate a site config and summarise it; exit code 1 and every error if it is wrong."""
    site = _load_or_exit(config)
    typer.echo(describe(site))


@app.command()
def run(
    config: Annotated[Path, typer.Option("--config", help="site config YAML", dir_okay=False)],
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the agent until Ctrl-C or SIGTERM."""
    site = _load_or_exit(config)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # pymodbus logs every failed connect and timeout (with the raw frames); the bus scheduler
    # already says once per device that it is failing and once that it recovered.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL if not verbose else logging.DEBUG)
    asyncio.run(_run_until_signal(site))


def describe(site: SiteConfig) -> str:
    """A readable summary of what the agent will do."""
    lines = [
        f"site {site.site}, agent {site.agent}" + (f" ({site.name})" if site.name else ""),
        f"broker {site.mqtt.url} (MQTT {site.mqtt.protocol}), outbox {site.outbox.path}"
        f" (budget {site.outbox.max_bytes / 2**20:g} MiB)",
        f"config hash {site.config_hash()}",
    ]
    for profile in site.profiles:
        lines.append(f"profile {profile.name}: {len(profile.values)} values (defined here)")
    for bus in site.buses:
        lines.append(f"bus {bus.code}: {_where(site, bus)}")
        for device in bus.devices:
            billing = ", billing" if device.billing else ""
            what = (
                f"DL/T 645 address {device.address}"
                if isinstance(device, Dlt645Device)
                else f"{device.profile} unit {device.unit_id}, {_requests(site, bus, device)}"
            )
            lines.append(f"  {device.code}: {what}, every {device.poll_interval_s:g} s{billing}")
    for camera in site.cameras:
        lines.append(f"camera {camera.code}: {_camera(site, camera)}")
    others = [
        (len(site.gates), "gates"),
        (len(site.doors), "doors"),
        (len(site.locks), "BLE locks"),
    ]
    listed = [f"{count} {kind}" for count, kind in others if count]
    if listed:
        lines.append(f"also configured (not driven by this agent yet): {', '.join(listed)}")
    return "\n".join(lines)


def _camera(site: SiteConfig, camera: Camera) -> str:
    if camera.pushes and site.anpr_push is not None:
        where = f"{site.anpr_push.host}:{site.anpr_push.port}"
        return f"an ANPR camera pushing its reads to http://{where}/anpr/{camera.code}"
    return f"plates read here from {camera.source}, up to {camera.fps:g} frames a second"


def _requests(site: SiteConfig, bus: AnyBus, device: MeterDevice) -> str:
    count = len(site.read_plan(bus, device))
    return f"{count} request{'' if count == 1 else 's'} per poll"


def _where(site: SiteConfig, bus: AnyBus) -> str:
    if isinstance(bus, ModbusTcpBus):
        return f"{bus.kind} {bus.host}:{bus.port}, timeout {bus.timeout_s:g} s"
    place = bus.port if isinstance(bus, ModbusRtuBus | Dlt645Bus) else f"{bus.host}:{bus.port}"
    return (
        f"{bus.kind} {place} at {bus.baud} 8{bus.parity}{bus.stop_bits},"
        f" polls need {site.line_load(bus):.0%} of the line"
    )


def _load_or_exit(path: Path) -> SiteConfig:
    try:
        return load_site_config(path)
    except SiteConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


async def _run_until_signal(site: SiteConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run_agent(site, stop=stop)


if __name__ == "__main__":
    app()

"""A simulated RTU bus served for a test, on a pty or behind a serial-to-TCP converter, with the
site-config bus and edge transport that reach it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from edge.transports.modbus import ModbusTransport, open_transport
from protocols.site_config import ModbusRtuBus, ModbusRtuOverTcpBus
from simulators.rtu import RtuBus
from simulators.serial_line import SimulatedConverter, SimulatedLine
from tests.conftest import free_tcp_port
from tests.support import running

LinkKind = Literal["serial", "tcp"]
LINK_KINDS: tuple[LinkKind, ...] = ("serial", "tcp")
BAUD = 9600


def bus_config(
    kind: LinkKind, bus: RtuBus, *, where: Path | int, turnaround_s: float = 0.1
) -> ModbusRtuBus | ModbusRtuOverTcpBus:
    """The site-config bus an agent would have for `bus` (its meters as devices)."""
    devices = [
        {"code": f"EM-{unit}", "profile": meter.profile.name, "unit_id": unit}
        for unit, meter in bus.meters.items()
    ]
    line = {"code": "line1", "baud": BAUD, "turnaround_s": turnaround_s, "devices": devices}
    if kind == "serial":
        return ModbusRtuBus.model_validate({**line, "port": str(where)})
    return ModbusRtuOverTcpBus.model_validate({**line, "host": "127.0.0.1", "port": where})


@asynccontextmanager
async def served(
    kind: LinkKind, bus: RtuBus, tmp_path: Path, *, turnaround_s: float = 0.1
) -> AsyncIterator[tuple[ModbusTransport, ModbusRtuBus | ModbusRtuOverTcpBus]]:
    """Serve `bus` (its meters frozen in time, so values can be compared) and yield an edge
    transport to it with the bus config it came from."""
    if kind == "serial":
        link = tmp_path / "ttyRTU0"
        server = SimulatedLine(link=link, baud=BAUD)
        config = bus_config(kind, bus, where=link, turnaround_s=turnaround_s)
    else:
        port = free_tcp_port()
        server = SimulatedConverter(host="127.0.0.1", port=port, baud=BAUD)  # type: ignore[assignment]
        config = bus_config(kind, bus, where=port, turnaround_s=turnaround_s)
    async with (
        running(lambda ready: server.serve(bus.answer, ready=ready)),
        open_transport(config) as transport,
    ):
        yield transport, config

import asyncio
import time

import pytest

from edge.errors import TransportError
from edge.transports.modbus import ModbusTcpTransport
from protocols.codecs import decode
from simulators.meter import SimulatedMeter, serve_meters
from tests.conftest import free_tcp_port
from tests.support import running


async def _gateway(port: int, ready: asyncio.Event) -> None:
    meters = [SimulatedMeter(unit_id=1, start_energy_kwh=42.0)]
    await serve_meters(host="127.0.0.1", port=port, meters=meters, ready=ready)


async def test_reads_input_and_holding_registers_and_reports_exceptions():
    port = free_tcp_port()
    async with (
        running(lambda ready: _gateway(port, ready)),
        ModbusTcpTransport(host="127.0.0.1", port=port, timeout_s=1.0) as transport,
    ):
        assert decode(await transport.read_input_registers(1, 0x4000, 2), "float32") == 42.0
        assert len(await transport.read_holding_registers(1, 0x2000, 6)) == 6
        with pytest.raises(TransportError, match="unit 9 .* exception code 11"):
            await transport.read_input_registers(9, 0x2000, 2)
        with pytest.raises(TransportError, match="exception code 2"):
            await transport.read_input_registers(1, 0x3000, 2)
        # The connection is still good after an exception answer.
        assert len(await transport.read_input_registers(1, 0x2000, 2)) == 2


async def test_nobody_listening_is_a_transport_error():
    transport = ModbusTcpTransport(host="127.0.0.1", port=free_tcp_port(), timeout_s=0.5)
    with pytest.raises(TransportError, match="cannot connect"):
        await transport.read_input_registers(1, 0x2000, 2)
    transport.close()


async def test_a_silent_device_times_out_and_the_next_call_reconnects():
    accepted: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # swallow the request, say nothing

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with ModbusTcpTransport(host="127.0.0.1", port=port, timeout_s=0.3) as transport:
            started = time.monotonic()
            with pytest.raises(TransportError, match="no valid answer"):
                await transport.read_input_registers(1, 0x2000, 2)
            assert time.monotonic() - started < 1.0  # one timeout, no hidden retries
            with pytest.raises(TransportError):
                await transport.read_input_registers(1, 0x2000, 2)
        assert len(accepted) == 2  # it dropped the suspect connection and opened a new one
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()

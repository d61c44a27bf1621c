import asyncio
import contextlib

import pytest

from edge.errors import TransportError
from edge.transports.modbus import ModbusTcpTransport
from protocols.codecs import decode
from simulators.load_curve import OfficeLoad
from simulators.meter import SimulatedMeter, serve_meters
from tests.conftest import free_tcp_port
from tests.support import running

NO_LOAD = OfficeLoad(base_kw=0.0, peak_kw=0.0)
"""Nothing connected: the energy register stays exactly where it started."""


async def _gateway(port: int, ready: asyncio.Event) -> None:
    meters = [SimulatedMeter(unit_id=1, start_energy_kwh=42.0, load=NO_LOAD)]
    await serve_meters(host="127.0.0.1", port=port, meters=meters, ready=ready)


async def _energy(transport: ModbusTcpTransport, unit: int = 1) -> float:
    return decode(await transport.read_input_registers(unit, 0x4000, 2), "float32")


async def test_reads_input_and_holding_registers_and_reports_exceptions():
    port = free_tcp_port()
    async with (
        running(lambda ready: _gateway(port, ready)),
        ModbusTcpTransport(host="127.0.0.1", port=port, timeout_s=1.0) as transport,
    ):
        assert await _energy(transport) == 42.0
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


READ_REQUEST_BYTES = 12
"""Modbus TCP header (7) + function code, address and count (5)."""


async def test_a_silent_device_times_out_once_and_the_next_call_reconnects():
    requests: list[int] = []  # requests received, per connection
    accepted: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)
        requests.append(0)
        connection = len(requests) - 1
        with contextlib.suppress(asyncio.IncompleteReadError):  # until the client hangs up
            while await reader.readexactly(READ_REQUEST_BYTES):
                requests[connection] += 1  # swallow the request, say nothing

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with ModbusTcpTransport(host="127.0.0.1", port=port, timeout_s=0.3) as transport:
            with pytest.raises(TransportError, match="no valid answer"):
                await transport.read_input_registers(1, 0x2000, 2)
            assert requests == [1]  # one request, no hidden retries
            with pytest.raises(TransportError, match="no valid answer"):
                await transport.read_input_registers(1, 0x2000, 2)
        # It dropped the suspect connection and asked once on a new one.
        assert requests == [1, 1]
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


class OneRequestAtATime:
    """A gateway in front of a simulated one that, like many RS-485 gateways, works on one
    request of a connection at a time: once `stalled_unit` leaves a request unanswered, what
    follows on that connection waits behind it. A new connection starts afresh."""

    def __init__(self, *, upstream_port: int, stalled_unit: int) -> None:
        self.upstream_port = upstream_port
        self.stalled_unit = stalled_unit
        self.connections = 0

    async def serve(self, port: int, ready: asyncio.Event) -> None:
        async with await asyncio.start_server(self._relay, "127.0.0.1", port):
            ready.set()
            await asyncio.Future()  # until cancelled

    async def _relay(self, client: asyncio.StreamReader, to_client: asyncio.StreamWriter) -> None:
        self.connections += 1
        upstream, to_upstream = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            while True:
                request = await client.readexactly(READ_REQUEST_BYTES)
                if request[6] == self.stalled_unit:
                    await client.read()  # no answer, ever, to anything more on this connection
                    return
                to_upstream.write(request)
                header = await upstream.readexactly(6)
                to_client.write(
                    header + await upstream.readexactly(int.from_bytes(header[4:], "big"))
                )
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client hung up
        finally:
            to_upstream.close()
            to_client.close()


async def test_a_read_cancelled_mid_request_does_not_hold_up_the_next_one():
    """The bus worker's deadline cancels a read of a stalled unit: the healthy unit behind the
    same gateway must answer the next reads, not wait behind the abandoned request."""
    meter_port, gateway_port = free_tcp_port(), free_tcp_port()
    gateway = OneRequestAtATime(upstream_port=meter_port, stalled_unit=2)
    async with (
        running(lambda ready: _gateway(meter_port, ready)),
        running(lambda ready: gateway.serve(gateway_port, ready)),
        ModbusTcpTransport(host="127.0.0.1", port=gateway_port, timeout_s=2.0) as transport,
    ):
        assert await _energy(transport) == 42.0
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):  # what the bus worker does to a read
                await _energy(transport, unit=2)
        for _ in range(3):
            assert await _energy(transport) == 42.0
    assert gateway.connections == 2  # the abandoned request went with its connection


async def test_a_cancel_that_meets_a_refused_connect_is_not_lost(monkeypatch):
    """On Python 3.11 pymodbus can hand back a refused connect as False when a cancel arrives in
    the same instant; a poll that went on as if never cancelled would hang agent shutdown."""
    connecting = asyncio.Event()

    async def refused_as_the_cancel_arrives(client) -> bool:
        connecting.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return False  # what asyncio.wait_for + pymodbus do when both happen at once
        raise AssertionError("not reached")

    monkeypatch.setattr(
        "edge.transports.modbus.AsyncModbusTcpClient.connect", refused_as_the_cancel_arrives
    )
    transport = ModbusTcpTransport(host="127.0.0.1", port=free_tcp_port(), timeout_s=1.0)
    reading = asyncio.create_task(transport.read_input_registers(1, 0x2000, 2))
    await connecting.wait()
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading

"""Writes through the Modbus TCP transport (coils and holding registers), against a pymodbus
server with writable registers: the commands path a barrier or a setting takes."""

import asyncio

import pytest
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from edge.errors import TransportError
from edge.transports.modbus import ModbusTcpTransport
from tests.conftest import free_tcp_port
from tests.support import running


async def _server(port: int, ready: asyncio.Event) -> None:
    writable = SimDevice(
        id=1,
        simdata=[SimData(address=0, count=32, values=0, datatype=DataType.REGISTERS)],
        use_bit_addressing=True,
    )
    read_only = SimDevice(
        id=2,
        simdata=[SimData(address=0, count=32, datatype=DataType.REGISTERS, readonly=True)],
    )
    server = ModbusTcpServer([writable, read_only], address=("127.0.0.1", port))
    await server.serve_forever(background=True)
    ready.set()
    try:
        await asyncio.Future()
    finally:
        await server.shutdown()  # type: ignore[no-untyped-call]


async def test_coils_and_registers_are_written_and_refusals_reported():
    port = free_tcp_port()
    async with (
        running(lambda ready: _server(port, ready)),
        ModbusTcpTransport(host="127.0.0.1", port=port, timeout_s=1.0) as transport,
    ):
        await transport.write_registers(unit_id=1, address=4, values=[7, 8, 9])
        assert await transport.read_registers(function_code=3, unit_id=1, address=4, count=3) == [
            7,
            8,
            9,
        ]
        await transport.write_coil(unit_id=1, address=3, value=True)
        assert await transport.read_coils(unit_id=1, address=0, count=4) == [
            False,
            False,
            False,
            True,
        ]
        with pytest.raises(TransportError, match="unit 2 register 0x0004: .*exception code"):
            await transport.write_registers(unit_id=2, address=4, values=[1])

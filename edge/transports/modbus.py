"""Modbus transports: what drivers need from a bus, the Modbus TCP transport, and
`open_transport` choosing the transport for any Modbus bus of a site config.

The only edge module that touches pymodbus, so a pymodbus upgrade changes this file alone (the
RTU transports in edge.transports.modbus_rtu build their frames themselves).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Protocol, Self

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from edge.errors import TransportError
from edge.transports.modbus_rtu import ModbusRtuOverTcpTransport, ModbusRtuTransport
from edge.transports.serial import SerialLink
from protocols.site_config import ModbusRtuBus, ModbusRtuOverTcpBus, ModbusTcpBus

__all__ = [
    "ModbusTcpTransport",
    "ModbusTransport",
    "RegisterReader",
    "RegisterWriter",
    "TransportError",
    "open_transport",
]

log = logging.getLogger(__name__)


class RegisterReader(Protocol):
    """What a driver needs from a bus: read 16-bit registers of one unit."""

    async def read_registers(
        self, *, function_code: int, unit_id: int, address: int, count: int
    ) -> list[int]: ...


class RegisterWriter(Protocol):
    """What a command needs from a bus: switch a coil, set holding registers of one unit."""

    async def write_coil(self, *, unit_id: int, address: int, value: bool) -> None: ...

    async def write_registers(self, *, unit_id: int, address: int, values: list[int]) -> None: ...


class ModbusTcpTransport:
    """One TCP connection to a meter or gateway; reconnects on the next call after a failure."""

    def __init__(self, *, host: str, port: int, timeout_s: float) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._client: AsyncModbusTcpClient | None = None

    def __repr__(self) -> str:
        return f"ModbusTcpTransport({self.host}:{self.port}, timeout {self.timeout_s}s)"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def read_input_registers(self, unit_id: int, address: int, count: int) -> list[int]:
        return await self.read_registers(
            function_code=4, unit_id=unit_id, address=address, count=count
        )

    async def read_holding_registers(self, unit_id: int, address: int, count: int) -> list[int]:
        return await self.read_registers(
            function_code=3, unit_id=unit_id, address=address, count=count
        )

    async def read_registers(
        self, *, function_code: int, unit_id: int, address: int, count: int
    ) -> list[int]:
        """`count` registers from `address` of `unit_id`, with function code 3 or 4."""
        if function_code not in (3, 4):
            raise ValueError(f"function code {function_code} is not a register read")

        async def read(client: AsyncModbusTcpClient) -> Any:
            if function_code == 3:
                return await client.read_holding_registers(address, count=count, device_id=unit_id)
            return await client.read_input_registers(address, count=count, device_id=unit_id)

        response = await self._request(read, unit_id=unit_id, address=address)
        registers = list(response.registers)
        if len(registers) != count:
            where = self._where(unit_id, address)
            raise TransportError(f"{where}: asked for {count} registers, got {len(registers)}")
        return registers

    async def read_coils(self, *, unit_id: int, address: int, count: int) -> list[bool]:
        """`count` coils from `address` (function code 1), e.g. a relay board's outputs."""

        async def read(client: AsyncModbusTcpClient) -> Any:
            return await client.read_coils(address, count=count, device_id=unit_id)

        response = await self._request(read, unit_id=unit_id, address=address)
        return [bool(bit) for bit in response.bits[:count]]

    async def read_discrete_inputs(self, *, unit_id: int, address: int, count: int) -> list[bool]:
        """`count` discrete inputs from `address` (function code 2), e.g. a barrier's loops."""

        async def read(client: AsyncModbusTcpClient) -> Any:
            return await client.read_discrete_inputs(address, count=count, device_id=unit_id)

        response = await self._request(read, unit_id=unit_id, address=address)
        return [bool(bit) for bit in response.bits[:count]]

    async def write_coil(self, *, unit_id: int, address: int, value: bool) -> None:
        """Switch one coil (function code 5)."""

        async def write(client: AsyncModbusTcpClient) -> Any:
            return await client.write_coil(address, value, device_id=unit_id)

        await self._request(write, unit_id=unit_id, address=address)

    async def write_registers(self, *, unit_id: int, address: int, values: list[int]) -> None:
        """Write holding registers (function code 16)."""

        async def write(client: AsyncModbusTcpClient) -> Any:
            return await client.write_registers(address, values, device_id=unit_id)

        await self._request(write, unit_id=unit_id, address=address)

    def _where(self, unit_id: int, address: int) -> str:
        return f"{self.host}:{self.port} unit {unit_id} register {address:#06x}"

    async def _request(
        self,
        call: Callable[[AsyncModbusTcpClient], Awaitable[Any]],
        *,
        unit_id: int,
        address: int,
    ) -> Any:
        """One pymodbus call on the connection: its response, or TransportError."""
        where = self._where(unit_id, address)
        client = await self._connected()
        try:
            response = await call(client)
            _raise_if_cancelled()
        except ModbusException as exc:
            # After a timeout a late answer could be taken for the next request's: start afresh.
            self.close()
            raise TransportError(f"{where}: no valid answer ({exc})") from exc
        except BaseException:
            # Cancelled mid-request (the bus worker's deadline): the request is still in flight,
            # and a gateway working on one request at a time holds the next one behind it.
            self.close()
            raise
        if response.isError():
            code = getattr(response, "exception_code", "?")
            raise TransportError(f"{where}: device answered exception code {code}")
        return response

    async def _connected(self) -> AsyncModbusTcpClient:
        if self._client is not None and self._client.connected:
            return self._client
        self.close()
        # retries=0 and no background reconnect: the bus worker decides when to try again.
        client = AsyncModbusTcpClient(
            self.host,
            port=self.port,
            timeout=self.timeout_s,
            retries=0,
            reconnect_delay=0,
        )
        try:
            connected = await client.connect()
            _raise_if_cancelled()
        except BaseException:
            client.close()
            raise
        if not connected:
            client.close()
            raise TransportError(f"cannot connect to {self.host}:{self.port}")
        self._client = client
        return client


def _raise_if_cancelled() -> None:
    """Raise the cancellation pymodbus may have swallowed.

    On Python 3.11, `asyncio.wait_for` inside pymodbus returns what it awaited if that finished
    in the same instant as a cancel (and pymodbus turns a refused connect into False): the task
    would go on as if never cancelled, and whoever cancelled it (agent shutdown) wait forever.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


ModbusTransport = ModbusTcpTransport | ModbusRtuTransport | ModbusRtuOverTcpTransport
"""Every Modbus transport: each reads and writes registers and is an async context manager."""


def open_transport(bus: ModbusTcpBus | ModbusRtuBus | ModbusRtuOverTcpBus) -> ModbusTransport:
    """The transport for `bus`, to use as `async with open_transport(bus) as transport:`.

    Nothing is opened before the first request: a missing USB adapter or an unreachable
    gateway fails a poll, which the bus worker retries, rather than the agent's start.
    """
    if isinstance(bus, ModbusTcpBus):
        return ModbusTcpTransport(host=bus.host, port=bus.port, timeout_s=bus.timeout_s)
    if isinstance(bus, ModbusRtuBus):
        link = SerialLink(port=bus.port, baud=bus.baud, parity=bus.parity, stop_bits=bus.stop_bits)
        return ModbusRtuTransport(link=link, timeouts=bus)
    return ModbusRtuOverTcpTransport(host=bus.host, port=bus.port, timeouts=bus)

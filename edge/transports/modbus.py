"""Modbus TCP transport: read registers from unit ids behind one IP:port, errors as TransportError.

The only edge module that touches pymodbus, so a pymodbus upgrade changes this file alone.
"""

import asyncio
import logging
from types import TracebackType
from typing import Protocol, Self

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from edge.errors import TransportError

__all__ = ["ModbusTcpTransport", "RegisterReader", "TransportError"]

log = logging.getLogger(__name__)


class RegisterReader(Protocol):
    """What a driver needs from a bus: read 16-bit registers of one unit."""

    async def read_registers(
        self, *, function_code: int, unit_id: int, address: int, count: int
    ) -> list[int]: ...


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
        where = f"{self.host}:{self.port} unit {unit_id} register {address:#06x}"
        client = await self._connected()
        read = {3: client.read_holding_registers, 4: client.read_input_registers}.get(function_code)
        if read is None:
            raise ValueError(f"function code {function_code} is not a register read")
        try:
            response = await read(address, count=count, device_id=unit_id)
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
        registers = list(response.registers)
        if len(registers) != count:
            raise TransportError(f"{where}: asked for {count} registers, got {len(registers)}")
        return registers

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

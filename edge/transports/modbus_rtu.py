"""Modbus RTU transports: RTU frames on a serial line, or through a transparent serial-to-TCP
converter. Both read and write one unit at a time with timeouts sized to the line's baud rate.

They speak the frames of protocols.modbus_rtu themselves rather than through pymodbus: the
frame is a few bytes, and owning it lets the serial link keep the line's silences and give up
on a dead unit after its real line time instead of a library's fixed timeout.
"""

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self, TypeVar

from edge.errors import TransportError
from edge.transports.serial import SerialLink
from protocols import modbus_rtu as rtu

__all__ = ["ModbusRtuOverTcpTransport", "ModbusRtuTransport", "RequestTimeouts"]

T = TypeVar("T")


class RequestTimeouts(Protocol):
    """How long an answer may take: a serial bus of protocols.site_config knows its line."""

    def read_timeout_s(self, count: int) -> float: ...


WRITE_ANSWER_REGISTERS = 2
"""Writes are timed as reads of this many registers more: a write of n registers puts
(9 + 2n) + 8 bytes on the line, exactly what a read of n + 2 does (8 + 5 + 2(n + 2)), and a
single coil's 8 + 8 bytes fit in a read of 2."""


class _RtuTransport:
    """Modbus requests as RTU frames; subclasses move the bytes (`_transact`) and drop their
    link (`close`).

    Entering opens nothing: the link opens on the first request, and again after a failure, so
    an adapter or converter missing at start-up is one more failed poll, not an agent that will
    not start."""

    name: str
    timeouts: RequestTimeouts

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
        raise NotImplementedError

    async def _transact(self, request: bytes, *, timeout_s: float) -> bytes:
        raise NotImplementedError

    async def read_registers(
        self, *, function_code: int, unit_id: int, address: int, count: int
    ) -> list[int]:
        """`count` registers from `address` of `unit_id`, with function code 3 or 4."""
        if function_code not in rtu.REGISTER_READS:
            raise ValueError(f"function code {function_code} is not a register read")
        request = rtu.read_request(
            unit_id=unit_id, function_code=function_code, address=address, count=count
        )
        return await self._ask(
            request, rtu.parse_registers, self.timeouts.read_timeout_s(count), unit_id, address
        )

    async def read_coils(self, *, unit_id: int, address: int, count: int) -> list[bool]:
        """`count` coils from `address` (function code 1), e.g. a relay board's outputs."""
        request = rtu.read_request(
            unit_id=unit_id, function_code=rtu.READ_COILS, address=address, count=count
        )
        timeout_s = self.timeouts.read_timeout_s((count + 15) // 16)
        return await self._ask(request, rtu.parse_bits, timeout_s, unit_id, address)

    async def read_discrete_inputs(self, *, unit_id: int, address: int, count: int) -> list[bool]:
        """`count` discrete inputs from `address` (function code 2), e.g. a barrier's loops."""
        request = rtu.read_request(
            unit_id=unit_id, function_code=rtu.READ_DISCRETE_INPUTS, address=address, count=count
        )
        timeout_s = self.timeouts.read_timeout_s((count + 15) // 16)
        return await self._ask(request, rtu.parse_bits, timeout_s, unit_id, address)

    async def write_coil(self, *, unit_id: int, address: int, value: bool) -> None:
        """Switch one coil (function code 5) and wait for the device's echo."""
        request = rtu.write_coil_request(unit_id=unit_id, address=address, value=value)
        timeout_s = self.timeouts.read_timeout_s(WRITE_ANSWER_REGISTERS)
        await self._ask(request, rtu.check_write_answer, timeout_s, unit_id, address)

    async def write_registers(self, *, unit_id: int, address: int, values: list[int]) -> None:
        """Write holding registers (function code 16) and wait for the confirmation."""
        request = rtu.write_registers_request(unit_id=unit_id, address=address, values=values)
        timeout_s = self.timeouts.read_timeout_s(len(values) + WRITE_ANSWER_REGISTERS)
        await self._ask(request, rtu.check_write_answer, timeout_s, unit_id, address)

    async def _ask(
        self,
        request: bytes,
        parse: Callable[[bytes, bytes], T],
        timeout_s: float,
        unit_id: int,
        address: int,
    ) -> T:
        """One transaction: the answer parsed, or TransportError naming where it failed."""
        where = f"{self.name} unit {unit_id} register {address:#06x}"
        try:
            answer = await self._transact(request, timeout_s=timeout_s)
            return parse(request, answer)
        except rtu.ExceptionAnswer as exc:
            name = rtu.EXCEPTION_NAMES.get(exc.code, "unknown")
            raise TransportError(
                f"{where}: device answered exception code {exc.code} ({name})"
            ) from None
        except rtu.FrameError as exc:
            self._after_bad_answer()
            raise TransportError(f"{where}: bad answer ({exc})") from exc
        except TransportError as exc:
            raise TransportError(f"{where}: {str(exc).removeprefix(self.name + ': ')}") from exc

    def _after_bad_answer(self) -> None:
        """A garbled answer may leave bytes behind; a subclass drops what could hold them."""


class ModbusRtuTransport(_RtuTransport):
    """Modbus RTU over a serial link (a USB RS-485 adapter, or a simulated line's pty)."""

    def __init__(self, *, link: SerialLink, timeouts: RequestTimeouts) -> None:
        self.link, self.timeouts = link, timeouts
        self.name = link.port

    def __repr__(self) -> str:
        return f"ModbusRtuTransport({self.link!r})"

    def close(self) -> None:
        self.link.close()

    async def _transact(self, request: bytes, *, timeout_s: float) -> bytes:
        return await self.link.transact(
            request,
            timeout_s=timeout_s,
            complete=lambda buffer: rtu.answer_complete(request, buffer),
        )


class ModbusRtuOverTcpTransport(_RtuTransport):
    """RTU frames, CRC and all, over a TCP stream to a transparent serial converter.

    The connection opens on first use and again on the next call after any failure: after a
    timeout or a cancel the converter may still deliver the abandoned answer, which must not be
    read as the answer to the next request.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        timeouts: RequestTimeouts,
        connect_timeout_s: float = 3.0,
    ) -> None:
        self.host, self.port, self.timeouts = host, port, timeouts
        self.connect_timeout_s = connect_timeout_s
        self.name = f"{host}:{port}"
        self._lock = asyncio.Lock()
        self._stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def __repr__(self) -> str:
        return f"ModbusRtuOverTcpTransport({self.name})"

    def close(self) -> None:
        if self._stream is not None:
            self._stream[1].close()
            self._stream = None

    def _after_bad_answer(self) -> None:
        self.close()

    async def _transact(self, request: bytes, *, timeout_s: float) -> bytes:
        async with self._lock:
            reader, writer = await self._connected()
            try:
                writer.write(request)
                async with asyncio.timeout(timeout_s):
                    return await _read_answer(reader, request)
            except TimeoutError:
                self.close()
                raise TransportError(f"no complete answer within {timeout_s:.3f} s") from None
            except (OSError, asyncio.IncompleteReadError) as exc:
                self.close()
                raise TransportError(f"connection lost ({exc})") from exc
            except BaseException:  # cancelled: the answer may still come on this connection
                self.close()
                raise

    async def _connected(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._stream is not None and not self._stream[1].is_closing():
            return self._stream
        self.close()
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                self._stream = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError) as exc:
            raise TransportError(f"cannot connect ({exc or 'timed out'})") from exc
        return self._stream


async def _read_answer(reader: asyncio.StreamReader, request: bytes) -> bytes:
    """Bytes from the stream until they make a whole answer to `request`."""
    answer = b""
    while not rtu.answer_complete(request, answer):
        chunk = await reader.read(256)
        if not chunk:
            raise asyncio.IncompleteReadError(answer, None)
        answer += chunk
    return answer

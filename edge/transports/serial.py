"""A raw RS-485 serial link for asyncio: one request, one answer, the line's silences respected.

pyserial opens and configures the port (baud, parity, stop bits, an exclusive lock); the bytes
then move through the event loop's reader on the port's file descriptor, so a bus worker waits
for its answer without a thread. The link knows nothing of Modbus: the caller says when an
answer is complete.
"""

import asyncio
import errno
import logging
import os
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import serial  # type: ignore[import-untyped]  # pyserial ships no type hints

from edge.errors import TransportError
from protocols.serial_timing import Parity, StopBits, frame_silence_s, frame_time_s

__all__ = ["SerialLink"]

log = logging.getLogger(__name__)

_PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}
_STOP_BITS = {1: serial.STOPBITS_ONE, 2: serial.STOPBITS_TWO}
_READ_CHUNK = 4096
_MAX_IDLE_BYTES = 4096
"""What is kept of bytes nobody asked for (line noise, a late answer) until the next request
throws them away: enough to log, never a growing buffer."""


class SerialLink:
    """One serial port, one transaction at a time.

    The line is half duplex: before a request goes out it must have been silent for t3.5 (the
    Modbus end-of-frame silence) since the last byte either way, or the devices would read the
    request as the tail of the previous frame. Bytes that arrive outside a transaction (a late
    answer to a request given up on) are discarded by the next transaction, so a cancelled or
    timed-out transaction leaves the link usable.
    """

    def __init__(self, *, port: str, baud: int, parity: Parity, stop_bits: StopBits) -> None:
        self.port, self.baud, self.parity, self.stop_bits = port, baud, parity, stop_bits
        self.silence_s = frame_silence_s(baud, parity, stop_bits)
        self._serial: Any = None
        """The open pyserial port, or None."""
        self._loop: asyncio.AbstractEventLoop | None = None
        """The loop watching the port's descriptor while it is open."""
        self._lock = asyncio.Lock()
        self._received = bytearray()
        self._arrived = asyncio.Event()
        self._failure: OSError | None = None
        self._quiet_since = 0.0
        """Loop time the line last carried a byte (received, or the end of one we sent)."""
        self._sending_until = 0.0
        """Loop time our last frame's last byte leaves the wire: no answer can begin before."""

    def __repr__(self) -> str:
        return f"SerialLink({self.port}, {self.baud} 8{self.parity}{self.stop_bits})"

    async def __aenter__(self) -> Self:
        self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the port; the next transaction opens it again."""
        if self._serial is None:
            return
        port, self._serial = self._serial, None
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(port.fileno())
        port.close()

    async def transact(
        self, request: bytes, *, timeout_s: float, complete: Callable[[bytes], bool]
    ) -> bytes:
        """Send `request` and return the answer once `complete(answer)` says it is whole.

        `timeout_s` counts from the moment the request is handed to the port, so it covers the
        request's own line time, the device's turnaround and the answer's line time.
        """
        async with self._lock:
            fd = self._open()
            await self._wait_for_silence(timeout_s)
            self._received.clear()
            await self._write(fd, request)
            try:
                async with asyncio.timeout(timeout_s):
                    await self._receive_until(complete)
            except TimeoutError:
                got = len(self._received)
                raise TransportError(
                    f"{self.port}: no complete answer within {timeout_s:.3f} s "
                    f"({got} byte{'s' if got != 1 else ''} received)"
                ) from None
            answer = bytes(self._received)
            self._received.clear()
            return answer

    async def send(self, frame: bytes) -> None:
        """Write a frame nobody answers (a broadcast to unit 0), after the line's silence.

        Devices act on a broadcast after it ends; the pause they need before the next request
        (Modbus's "turnaround delay", some 100 ms) is the caller's to keep."""
        async with self._lock:
            fd = self._open()
            await self._wait_for_silence(timeout_s=1.0)
            await self._write(fd, frame)

    # --- the port -------------------------------------------------------------------------------

    def _open(self) -> int:
        """The port's descriptor, opening the port if it is closed (first use, or a failure)."""
        if self._serial is not None:
            return int(self._serial.fileno())
        try:
            port = serial.Serial(
                port=self.port,
                baudrate=self.baud,
                bytesize=serial.EIGHTBITS,
                parity=_PARITY[self.parity],
                stopbits=_STOP_BITS[self.stop_bits],
                timeout=0,
                exclusive=True,  # a second agent on the same line would garble both
            )
        except (serial.SerialException, OSError) as exc:
            raise TransportError(f"cannot open serial port {self.port}: {exc}") from exc
        fd = int(port.fileno())
        self._serial, self._failure = port, None
        self._received.clear()
        self._loop = asyncio.get_running_loop()
        self._quiet_since = self._loop.time()  # what came before we listened is unknown
        self._loop.add_reader(fd, self._on_readable, fd)
        return fd

    def _on_readable(self, fd: int) -> None:
        try:
            chunk = os.read(fd, _READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as exc:
            self._fail(exc)
            return
        if not chunk:  # readable but empty: the adapter was unplugged
            self._fail(OSError(errno.ENODEV, "device disconnected"))
            return
        now = asyncio.get_running_loop().time()
        if now < self._sending_until:
            # Nobody can answer a request still on the wire: these are the last bytes of an
            # answer given up on, delayed (a USB adapter's latency) past the silence we waited.
            log.debug("%s: dropped %d stale bytes", self.port, len(chunk))
            return
        self._quiet_since = now
        self._received += chunk
        if not self._lock.locked() and len(self._received) > _MAX_IDLE_BYTES:
            del self._received[:-_MAX_IDLE_BYTES]
        self._arrived.set()

    def _fail(self, exc: OSError) -> None:
        """Close a port that broke under us; the waiting transaction raises, the next reopens."""
        log.warning("serial port %s failed: %s", self.port, exc)
        self._failure = exc
        self._arrived.set()
        self.close()

    # --- timing ---------------------------------------------------------------------------------

    async def _wait_for_silence(self, timeout_s: float) -> None:
        """Sleep until the line has been quiet for t3.5; a line that never falls silent (another
        master, a babbling device) fails after `timeout_s`."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + max(timeout_s, self.silence_s * 2)
        while (wait := self._quiet_since + self.silence_s - loop.time()) > 0:
            if loop.time() + wait > give_up:
                raise TransportError(f"{self.port}: the line is never silent for t3.5")
            await asyncio.sleep(wait)

    async def _write(self, fd: int, frame: bytes) -> None:
        """Hand `frame` to the port and note when its last byte leaves the wire."""
        loop = asyncio.get_running_loop()
        pending = memoryview(frame)
        while pending:
            try:
                pending = pending[os.write(fd, pending) :]
            except BlockingIOError:
                await self._writable(fd)
            except OSError as exc:
                self._fail(exc)
                raise TransportError(f"{self.port}: write failed: {exc}") from exc
        # The UART sends it after write() returns: the line is busy until then.
        self._sending_until = loop.time() + frame_time_s(
            len(frame), self.baud, self.parity, self.stop_bits
        )
        self._quiet_since = self._sending_until

    async def _writable(self, fd: int) -> None:
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()
        loop.add_writer(fd, ready.set)
        try:
            await ready.wait()
        finally:
            loop.remove_writer(fd)

    async def _receive_until(self, complete: Callable[[bytes], bool]) -> None:
        while True:
            self._arrived.clear()
            if self._failure is not None:
                raise TransportError(f"{self.port}: read failed: {self._failure}")
            if self._received and complete(bytes(self._received)):
                return
            await self._arrived.wait()

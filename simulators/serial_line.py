"""A simulated RS-485 line on a pty pair: clients open a path like /dev/ttyUSB0 and the
simulator answers their frames with the byte timing of a real line at a given baud rate.

A pty has no baud rate: whatever one side writes, the other reads at once. The simulator
therefore enforces the timing itself. It takes a request to have occupied the line for its
length in characters from its first byte's arrival, waits the t3.5 silence a device needs to
see the frame end, and writes the answer byte by byte no faster than the line would carry it.
A client thus never gets an answer sooner than physics allows at that baud rate.

`SimulatedConverter` puts the same kind of line behind a TCP port, as a transparent
serial-to-Ethernet converter does.
"""

import asyncio
import contextlib
import logging
import os
import tty
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from protocols.serial_timing import Parity, StopBits, char_time_s, frame_silence_s

log = logging.getLogger(__name__)

Answer = Callable[[bytes], Awaitable[bytes | None]]
"""A device (or all devices of a line): the answer to a request frame, or None for silence."""
Arrival = tuple[bytes, float]
"""Bytes that arrived together and the loop time they arrived."""


@dataclass(frozen=True)
class ArrivedFrame:
    """A frame as the line delivered it: its bytes, and when its first and last bytes came."""

    data: bytes
    first_at: float
    last_at: float


@dataclass(frozen=True)
class LineTiming:
    """The clock of one line: how long characters, frames and silences take on it."""

    baud: int
    parity: Parity = "N"
    stop_bits: StopBits = 1

    @property
    def char_s(self) -> float:
        return char_time_s(self.baud, self.parity, self.stop_bits)

    @property
    def silence_s(self) -> float:
        return frame_silence_s(self.baud, self.parity, self.stop_bits)

    def request_end(self, frame: ArrivedFrame) -> float:
        """When the request's last byte would have left a real line: a client writes a whole
        frame at once, so it arrives early; its line time counts from the first byte."""
        return max(frame.last_at, frame.first_at + len(frame.data) * self.char_s)

    def answer_start(self, frame: ArrivedFrame) -> float:
        """The earliest a device may start answering: after the request and the silence that
        tells the device it has ended."""
        return self.request_end(frame) + self.silence_s


async def frames_by_silence(
    arrivals: "asyncio.Queue[Arrival]", silence_s: float
) -> AsyncIterator[ArrivedFrame]:
    """Group arriving bytes into frames: a frame ends when the line stays silent for
    `silence_s` after its last byte, measured on arrival (the RTU rule a device applies)."""
    loop = asyncio.get_running_loop()
    while True:
        data, first_at = await arrivals.get()
        frame, last_at = bytearray(data), first_at
        while True:
            quiet_left = last_at + silence_s - loop.time()
            try:
                data, last_at = await asyncio.wait_for(arrivals.get(), max(quiet_left, 0.0))
            except TimeoutError:
                break
            frame += data
        yield ArrivedFrame(bytes(frame), first_at, last_at)


async def answer_frames(
    frames: AsyncIterator[ArrivedFrame],
    answer: Answer,
    timing: LineTiming,
    deliver: Callable[[bytes, float], Awaitable[None]],
) -> None:
    """One device conversation after another, as on a half-duplex line.

    A device hears a frame end only when the line has carried it and fallen silent, so
    `answer` is asked then, and whatever time it takes (a slow device) comes on top.
    `deliver(reply, start)` puts a non-None answer on the line from loop time `start`.
    """
    loop = asyncio.get_running_loop()
    async for frame in frames:
        await asyncio.sleep(timing.answer_start(frame) - loop.time())
        reply = await answer(frame.data)
        if reply is not None:
            await deliver(reply, loop.time())


class SimulatedLine:
    """An RS-485 line on a pty pair, reachable at `link` (a symlink to the pty's slave device)."""

    def __init__(
        self, *, link: Path, baud: int, parity: Parity = "N", stop_bits: StopBits = 1
    ) -> None:
        self.link = Path(link)
        self.timing = LineTiming(baud, parity, stop_bits)

    def __repr__(self) -> str:
        t = self.timing
        return f"SimulatedLine({self.link}, {t.baud} 8{t.parity}{t.stop_bits})"

    async def serve(self, answer: Answer, *, ready: asyncio.Event | None = None) -> None:
        """Answer frames on the line until cancelled; `ready` is set once `link` exists."""
        loop = asyncio.get_running_loop()
        master, slave = os.openpty()
        arrivals: asyncio.Queue[Arrival] = asyncio.Queue()
        device = os.ttyname(slave)
        try:
            # The slave end stays open here too: the master would read EIO whenever no client
            # has the line open, e.g. between two mbpoll runs.
            tty.setraw(slave)
            os.set_blocking(master, False)
            _link_to(self.link, device)
            loop.add_reader(master, _take_arrival, master, arrivals, loop)
            log.info(
                "simulated serial line %s -> %s at %d baud", self.link, device, self.timing.baud
            )
            if ready is not None:
                ready.set()
            frames = frames_by_silence(arrivals, self.timing.silence_s)
            await answer_frames(
                frames, answer, self.timing, lambda reply, start: self._paced(master, reply, start)
            )
        finally:
            loop.remove_reader(master)
            _unlink_if_ours(self.link, device)
            os.close(master)
            os.close(slave)

    async def _paced(self, master: int, reply: bytes, start: float) -> None:
        """Write `reply` no faster than the line carries it: byte i is written once the line
        would have delivered it, so the client sees the answer's true start and duration."""
        loop = asyncio.get_running_loop()
        sent = 0
        while sent < len(reply):
            on_the_wire = min(len(reply), int((loop.time() - start) / self.timing.char_s))
            if on_the_wire > sent:
                sent += _write_some(master, reply[sent:on_the_wire])
            else:
                await asyncio.sleep(start + (sent + 1) * self.timing.char_s - loop.time())


class SimulatedConverter:
    """A transparent serial-to-TCP converter with the line behind it: bytes from a TCP client go
    onto the line as they come, devices frame them by silence, and each answer goes back to the
    client in one piece once the line would have carried it whole. One line, so one
    conversation at a time across clients."""

    def __init__(
        self, *, host: str, port: int, baud: int, parity: Parity = "N", stop_bits: StopBits = 1
    ) -> None:
        self.host, self.port = host, port
        self.timing = LineTiming(baud, parity, stop_bits)
        self._line = asyncio.Lock()

    def __repr__(self) -> str:
        t = self.timing
        return f"SimulatedConverter({self.host}:{self.port}, {t.baud} 8{t.parity}{t.stop_bits})"

    async def serve(self, answer: Answer, *, ready: asyncio.Event | None = None) -> None:
        """Accept clients and answer their frames until cancelled; `ready` once listening."""
        clients: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

        async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            clients[task] = writer
            try:
                await self._converse(reader, writer, answer)
            finally:
                writer.close()
                clients.pop(task, None)

        server = await asyncio.start_server(client, self.host, self.port)
        try:
            log.info("simulated serial converter on %s:%d", self.host, self.port)
            if ready is not None:
                ready.set()
            await server.serve_forever()
        finally:
            server.close()
            # Closing the server leaves accepted connections open (Python 3.11): hang up on
            # them, which ends their conversations.
            for writer in clients.values():
                writer.close()
            await asyncio.gather(*clients, return_exceptions=True)
            await server.wait_closed()

    async def _converse(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answer: Answer
    ) -> None:
        loop = asyncio.get_running_loop()
        arrivals: asyncio.Queue[Arrival] = asyncio.Queue()

        async def deliver(reply: bytes, start: float) -> None:
            await asyncio.sleep(start + len(reply) * self.timing.char_s - loop.time())
            writer.write(reply)

        async def one_at_a_time(frame: bytes) -> bytes | None:
            async with self._line:
                return await answer(frame)

        async def take_arrivals() -> None:
            while chunk := await reader.read(4096):
                arrivals.put_nowait((chunk, loop.time()))

        conversation = asyncio.create_task(
            answer_frames(
                frames_by_silence(arrivals, self.timing.silence_s),
                one_at_a_time,
                self.timing,
                deliver,
            )
        )
        try:
            await take_arrivals()  # until the client hangs up
        except ConnectionError:
            pass
        finally:
            conversation.cancel()
            await asyncio.gather(conversation, return_exceptions=True)


def _take_arrival(
    fd: int, arrivals: "asyncio.Queue[Arrival]", loop: asyncio.AbstractEventLoop
) -> None:
    try:
        data = os.read(fd, 4096)
    except (BlockingIOError, InterruptedError):
        return
    except OSError as exc:  # cannot happen while the slave end is held open; say so if it does
        log.warning("simulated serial line: read failed: %s", exc)
        return
    if data:
        arrivals.put_nowait((data, loop.time()))


def _write_some(master: int, data: bytes) -> int:
    """Write what the pty takes; a full buffer (nobody reading) loses bytes, as a line would."""
    try:
        return os.write(master, data)
    except BlockingIOError:
        return len(data)


def _link_to(link: Path, device: str) -> None:
    """Point `link` at the pty, replacing a symlink left by an earlier run but never a file."""
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        raise FileExistsError(f"{link} exists and is not a symlink; not replacing it")
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(device)


def _unlink_if_ours(link: Path, device: str) -> None:
    """Remove `link` unless another line has taken it over since."""
    with contextlib.suppress(OSError):
        if link.is_symlink() and os.readlink(link) == device:
            link.unlink()

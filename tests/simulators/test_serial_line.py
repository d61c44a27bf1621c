"""The simulated serial line: a pty a client opens by path, frames split by silence, answers
paced at the line's baud rate."""

import asyncio
import os
import time

import pytest
import serial

from protocols.serial_timing import char_time_s, frame_silence_s
from simulators.serial_line import LineTiming, SimulatedConverter, SimulatedLine
from tests.conftest import free_tcp_port
from tests.support import running

BAUD = 9600


class Recorder:
    def __init__(self, reply: bytes | None = b"ok") -> None:
        self.frames: list[bytes] = []
        self.reply = reply

    async def answer(self, frame: bytes) -> bytes | None:
        self.frames.append(frame)
        return self.reply


def _open(link) -> serial.Serial:
    return serial.Serial(str(link), baudrate=BAUD, timeout=1.0)


async def _read(port: serial.Serial, size: int) -> bytes:
    return await asyncio.to_thread(port.read, size)


async def test_the_link_is_a_symlink_to_a_pty_while_served_and_gone_after(tmp_path):
    link = tmp_path / "dev" / "ttyUSB0"
    line = SimulatedLine(link=link, baud=BAUD)
    async with running(lambda ready: line.serve(Recorder().answer, ready=ready)):
        assert link.is_symlink() and os.readlink(link).startswith("/dev/pts/")
    assert not link.exists() and not link.is_symlink()


async def test_a_stale_symlink_is_replaced_but_a_real_file_is_not(tmp_path):
    stale = tmp_path / "ttyOLD"
    stale.symlink_to("/dev/pts/nonexistent")
    line = SimulatedLine(link=stale, baud=BAUD)
    async with running(lambda ready: line.serve(Recorder().answer, ready=ready)):
        assert os.readlink(stale) != "/dev/pts/nonexistent"
    real = tmp_path / "not-a-link"
    real.write_text("keep me")
    with pytest.raises(FileExistsError, match="not a symlink"):
        await SimulatedLine(link=real, baud=BAUD).serve(Recorder().answer)
    assert real.read_text() == "keep me"


async def test_bytes_split_into_frames_by_the_silence_and_answers_come_back(tmp_path):
    link = tmp_path / "tty"
    device = Recorder(reply=b"answer")
    slow_line = 1200  # t3.5 of 29 ms: a pause well inside it survives the scheduler's jitter
    line = SimulatedLine(link=link, baud=slow_line)
    async with running(lambda ready: line.serve(device.answer, ready=ready)):
        port = _open(link)
        try:
            port.write(b"one ")
            await asyncio.sleep(frame_silence_s(slow_line) / 10)  # a pause shorter than t3.5
            port.write(b"frame")
            assert await _read(port, 6) == b"answer"
            await asyncio.sleep(0.1)  # a long silence: the next bytes are a new frame
            port.write(b"two")
            assert await _read(port, 6) == b"answer"
        finally:
            port.close()
    assert device.frames == [b"one frame", b"two"]


async def test_an_answer_is_paced_at_the_baud_rate(tmp_path):
    """A pty would hand the answer over at once; the line delivers it a character at a time."""
    link = tmp_path / "tty"
    device = Recorder(reply=bytes(100))
    line = SimulatedLine(link=link, baud=BAUD)
    loop = asyncio.get_running_loop()
    arrivals: list[tuple[float, int]] = []
    whole = asyncio.Event()

    def take(fd: int) -> None:
        arrivals.append((loop.time(), len(os.read(fd, 200))))
        if sum(size for _, size in arrivals) >= 100:
            whole.set()

    async with running(lambda ready: line.serve(device.answer, ready=ready)):
        port = _open(link)
        loop.add_reader(port.fileno(), take, port.fileno())
        try:
            start = loop.time()
            port.write(bytes(8))
            await asyncio.wait_for(whole.wait(), timeout=2)
        finally:
            loop.remove_reader(port.fileno())
            port.close()
    timing = LineTiming(BAUD)
    first_at, last_at = arrivals[0][0], arrivals[-1][0]
    # Not before the request's line time, the silence and the whole answer's line time...
    assert last_at - start >= 108 * timing.char_s + timing.silence_s
    # ...and spread over the answer's line time, not in one piece (a margin for a late start).
    assert len(arrivals) > 10 and last_at - first_at >= 80 * timing.char_s


async def test_nothing_comes_back_for_a_frame_the_device_ignores(tmp_path):
    link = tmp_path / "tty"
    line = SimulatedLine(link=link, baud=BAUD)
    async with running(lambda ready: line.serve(Recorder(reply=None).answer, ready=ready)):
        port = serial.Serial(str(link), baudrate=BAUD, timeout=0.2)
        try:
            port.write(b"anyone?")
            assert await _read(port, 1) == b""
        finally:
            port.close()


async def test_the_converter_answers_tcp_clients_with_the_lines_timing():
    device = Recorder(reply=bytes(50))
    port = free_tcp_port()
    converter = SimulatedConverter(host="127.0.0.1", port=port, baud=BAUD)
    async with running(lambda ready: converter.serve(device.answer, ready=ready)):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            start = time.monotonic()
            writer.write(bytes(8))
            answer = await reader.readexactly(50)
            elapsed = time.monotonic() - start
        finally:
            writer.close()
        # Served while a client is still connected: shutting down hangs up on it cleanly.
        reader2, writer2 = await asyncio.open_connection("127.0.0.1", port)
    assert await reader2.read() == b""
    writer2.close()
    assert answer == bytes(50) and device.frames == [bytes(8)]
    assert elapsed >= 58 * char_time_s(BAUD) + frame_silence_s(BAUD)

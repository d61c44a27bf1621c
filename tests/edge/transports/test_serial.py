"""The raw serial link against a simulated line on a real pty."""

import asyncio
import time

import pytest

from edge.errors import TransportError
from edge.transports.serial import SerialLink
from protocols.serial_timing import frame_silence_s, frame_time_s
from simulators.serial_line import SimulatedLine
from tests.support import running

BAUD = 9600
SILENCE_S = frame_silence_s(BAUD)


class Echo:
    """A device that answers every frame with the frame reversed, noting when each came."""

    def __init__(self) -> None:
        self.frames: list[tuple[bytes, float]] = []
        self.quiet: set[bytes] = set()

    async def answer(self, frame: bytes) -> bytes | None:
        self.frames.append((frame, time.monotonic()))
        return None if frame in self.quiet else frame[::-1]


def _whole(size: int):
    return lambda buffer: len(buffer) >= size


@pytest.fixture
def link_path(tmp_path):
    return tmp_path / "ttyRS485"


def _serving(link_path, device: Echo, baud: int = BAUD):
    line = SimulatedLine(link=link_path, baud=baud)
    return running(lambda ready: line.serve(device.answer, ready=ready))


def _link(link_path, baud: int = BAUD) -> SerialLink:
    return SerialLink(port=str(link_path), baud=baud, parity="N", stop_bits=1)


async def test_a_transaction_returns_the_answer_once_complete(link_path):
    device = Echo()
    device.quiet.add(b"broadcast")  # nobody answers a broadcast
    async with _serving(link_path, device), _link(link_path) as link:
        for size in (1, 8, 64):
            request = bytes(range(size))
            answer = await link.transact(request, timeout_s=1.0, complete=_whole(size))
            assert answer == request[::-1]
        await link.send(b"broadcast")
        assert await link.transact(b"ab", timeout_s=1.0, complete=_whole(2)) == b"ba"
    assert [frame for frame, _ in device.frames] == [
        bytes(range(1)),
        bytes(range(8)),
        bytes(range(64)),
        b"broadcast",
        b"ab",
    ]


async def test_no_answer_is_a_transport_error_naming_the_port_and_the_link_stays_usable(link_path):
    device = Echo()
    device.quiet.add(b"hello?")
    async with _serving(link_path, device), _link(link_path) as link:
        with pytest.raises(TransportError, match=f"{link_path}: no complete answer within 0.100"):
            await link.transact(b"hello?", timeout_s=0.1, complete=_whole(6))
        assert await link.transact(b"again", timeout_s=1.0, complete=_whole(5)) == b"niaga"


async def test_requests_are_separated_by_the_silence_and_never_overlap(link_path):
    device = Echo()
    async with _serving(link_path, device), _link(link_path) as link:
        requests = [bytes([n]) * 8 for n in range(6)]
        answers = await asyncio.gather(
            *(link.transact(r, timeout_s=2.0, complete=_whole(8)) for r in requests)
        )
    assert answers == [r[::-1] for r in requests]
    # Each request arrived as its own frame, one after another's answer and t3.5 of silence.
    assert sorted(frame for frame, _ in device.frames) == requests
    arrivals = [at for _, at in device.frames]
    answer_and_silence = frame_time_s(8, BAUD) + SILENCE_S
    for before, after in zip(arrivals, arrivals[1:], strict=False):
        assert after - before >= answer_and_silence


async def test_an_answer_takes_at_least_its_line_time(link_path):
    device = Echo()
    async with _serving(link_path, device), _link(link_path) as link:
        start = time.monotonic()
        await link.transact(bytes(40), timeout_s=1.0, complete=_whole(40))
        elapsed = time.monotonic() - start
    # The request's 40 characters, the silence that ends it, the answer's 40 characters.
    assert elapsed >= 2 * frame_time_s(40, BAUD) + SILENCE_S


async def test_a_cancelled_transaction_leaves_the_link_usable(link_path):
    device = Echo()
    async with _serving(link_path, device), _link(link_path) as link:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):  # cancelled while the answer is on its way
                await link.transact(bytes(50), timeout_s=1.0, complete=_whole(50))
        await asyncio.sleep(0.2)  # the abandoned answer arrives meanwhile
        assert await link.transact(b"next", timeout_s=1.0, complete=_whole(4)) == b"txen"


async def test_a_missing_port_is_a_transport_error(tmp_path):
    link = _link(tmp_path / "nothing-here")
    with pytest.raises(TransportError, match="cannot open serial port .*nothing-here"):
        await link.transact(b"x", timeout_s=0.1, complete=_whole(1))
    link.close()


async def test_a_line_that_goes_away_fails_the_transaction_and_comes_back_after(link_path):
    device = Echo()
    async with _serving(link_path, device):
        link = _link(link_path)
        await link.transact(b"one", timeout_s=1.0, complete=_whole(3))
    try:
        # The simulator (the USB adapter) is gone: fail, do not hang.
        with pytest.raises(TransportError):
            await link.transact(b"two", timeout_s=0.2, complete=_whole(3))
        async with _serving(link_path, device):
            assert await link.transact(b"three", timeout_s=1.0, complete=_whole(5)) == b"eerht"
    finally:
        link.close()

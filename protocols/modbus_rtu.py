"""Modbus RTU frames: build and check requests and answers, byte for byte. Pure, no I/O.

A frame is the unit id, the function code, its data and a CRC-16/MODBUS (low byte first). The
edge's RTU transports build requests and check answers with it; the simulated RTU bus reads
requests and builds answers with the same code, so the two can only disagree where a test of
this module would notice.
"""

import struct
from dataclasses import dataclass

READ_COILS = 1
READ_DISCRETE_INPUTS = 2
READ_HOLDING_REGISTERS = 3
READ_INPUT_REGISTERS = 4
WRITE_SINGLE_COIL = 5
WRITE_SINGLE_REGISTER = 6
WRITE_MULTIPLE_REGISTERS = 16

BIT_READS = (READ_COILS, READ_DISCRETE_INPUTS)
REGISTER_READS = (READ_HOLDING_REGISTERS, READ_INPUT_REGISTERS)
MAX_READ_REGISTERS = 125
MAX_READ_BITS = 2000
MAX_WRITE_REGISTERS = 123
BROADCAST_UNIT = 0
COIL_ON, COIL_OFF = 0xFF00, 0x0000

ILLEGAL_FUNCTION = 0x01
ILLEGAL_DATA_ADDRESS = 0x02
ILLEGAL_DATA_VALUE = 0x03
SERVER_DEVICE_FAILURE = 0x04
EXCEPTION_NAMES = {
    ILLEGAL_FUNCTION: "illegal function",
    ILLEGAL_DATA_ADDRESS: "illegal data address",
    ILLEGAL_DATA_VALUE: "illegal data value",
    SERVER_DEVICE_FAILURE: "server device failure",
    0x05: "acknowledge",
    0x06: "server device busy",
    0x0A: "gateway path unavailable",
    0x0B: "gateway target device failed to respond",
}
_EXCEPTION_FLAG = 0x80
_EXCEPTION_ANSWER_BYTES = 5
"""unit, function | 0x80, exception code, CRC (2)."""
_FIXED_REQUEST_BYTES = 8
"""unit, function, address (2), count or value (2), CRC (2): every request but fc 16."""


class FrameError(ValueError):
    """A frame that is not what it should be: too short, bad CRC, another unit's or function's."""


class ExceptionAnswer(FrameError):
    """The device understood the request and refused it with a Modbus exception code."""

    def __init__(self, *, unit_id: int, function_code: int, code: int) -> None:
        self.unit_id, self.function_code, self.code = unit_id, function_code, code
        name = EXCEPTION_NAMES.get(code, "unknown exception")
        super().__init__(
            f"unit {unit_id} answered function {function_code} with exception code {code} ({name})"
        )


# --- CRC ----------------------------------------------------------------------------------------


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS (reflected polynomial 0xA001, initial 0xFFFF) of `data`."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def with_crc(body: bytes) -> bytes:
    """`body` with its CRC appended, low byte first as RTU sends it."""
    return body + crc16(body).to_bytes(2, "little")


def crc_ok(frame: bytes) -> bool:
    """The frame's last two bytes are the CRC of the rest (a whole frame's CRC is then 0)."""
    return len(frame) >= 4 and crc16(frame) == 0


# --- requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A request as a device reads it. `count` is how many registers or bits it reads or writes;
    `values` the words written (fc 5 carries 0xFF00 or 0x0000, fc 6 one word, fc 16 several)."""

    unit_id: int
    function_code: int
    address: int = 0
    count: int = 0
    values: tuple[int, ...] = ()


def read_request(*, unit_id: int, function_code: int, address: int, count: int) -> bytes:
    """Read `count` registers (fc 3, 4) or bits (fc 1, 2) from `address`."""
    limit = _read_limit(function_code)
    if not 1 <= count <= limit:
        raise ValueError(f"function {function_code} reads 1..{limit} at a time, not {count}")
    _check_unit(unit_id, broadcast=False)
    _check_span(address, count)
    return with_crc(struct.pack(">BBHH", unit_id, function_code, address, count))


def write_coil_request(*, unit_id: int, address: int, value: bool) -> bytes:
    _check_unit(unit_id, broadcast=True)
    _check_span(address, 1)
    word = COIL_ON if value else COIL_OFF
    return with_crc(struct.pack(">BBHH", unit_id, WRITE_SINGLE_COIL, address, word))


def write_register_request(*, unit_id: int, address: int, value: int) -> bytes:
    _check_unit(unit_id, broadcast=True)
    _check_span(address, 1)
    _check_words([value])
    return with_crc(struct.pack(">BBHH", unit_id, WRITE_SINGLE_REGISTER, address, value))


def write_registers_request(*, unit_id: int, address: int, values: list[int]) -> bytes:
    if not 1 <= len(values) <= MAX_WRITE_REGISTERS:
        raise ValueError(f"write 1..{MAX_WRITE_REGISTERS} registers at a time, not {len(values)}")
    _check_unit(unit_id, broadcast=True)
    _check_span(address, len(values))
    _check_words(values)
    head = struct.pack(
        ">BBHHB", unit_id, WRITE_MULTIPLE_REGISTERS, address, len(values), 2 * len(values)
    )
    return with_crc(head + _words_bytes(values))


def parse_request(frame: bytes) -> Request:
    """What a device makes of a frame; FrameError for one it must ignore (bad CRC, torn).

    A function code this module does not know comes back with only unit and function set, so
    the device can answer "illegal function" as a real one does.
    """
    _check_frame(frame)
    unit_id, function_code = frame[0], frame[1]
    if function_code in (*BIT_READS, *REGISTER_READS, WRITE_SINGLE_COIL, WRITE_SINGLE_REGISTER):
        if len(frame) != _FIXED_REQUEST_BYTES:
            raise FrameError(f"function {function_code} request of {len(frame)} bytes, not 8")
        address, word = struct.unpack(">HH", frame[2:6])
        if function_code in (WRITE_SINGLE_COIL, WRITE_SINGLE_REGISTER):
            return Request(unit_id, function_code, address, 1, (word,))
        return Request(unit_id, function_code, address, word)
    if function_code == WRITE_MULTIPLE_REGISTERS:
        return _parse_write_multiple(frame)
    return Request(unit_id, function_code)


def _parse_write_multiple(frame: bytes) -> Request:
    if len(frame) < 9:
        raise FrameError(f"write multiple registers request of {len(frame)} bytes is torn")
    unit_id, function_code, address, count, size = struct.unpack(">BBHHB", frame[:7])
    if size != 2 * count or len(frame) != 9 + size:
        raise FrameError(f"write of {count} registers carries {size} bytes in {len(frame)}")
    return Request(unit_id, function_code, address, count, _bytes_words(frame[7:-2]))


# --- answers a device builds --------------------------------------------------------------------


def registers_answer(request: Request, words: list[int]) -> bytes:
    """The answer to a register read (fc 3, 4)."""
    _check_words(words)
    body = bytes([request.unit_id, request.function_code, 2 * len(words)]) + _words_bytes(words)
    return with_crc(body)


def bits_answer(request: Request, bits: list[bool]) -> bytes:
    """The answer to a coil or discrete input read (fc 1, 2): bits packed LSB first."""
    packed = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        if bit:
            packed[i // 8] |= 1 << (i % 8)
    return with_crc(bytes([request.unit_id, request.function_code, len(packed)]) + packed)


def write_answer(request: Request) -> bytes:
    """The answer to a write: fc 5 and 6 echo the request, fc 16 its address and count."""
    if request.function_code == WRITE_MULTIPLE_REGISTERS:
        body = struct.pack(
            ">BBHH", request.unit_id, request.function_code, request.address, request.count
        )
    else:
        body = struct.pack(
            ">BBHH", request.unit_id, request.function_code, request.address, request.values[0]
        )
    return with_crc(body)


def exception_answer(request: Request, code: int) -> bytes:
    flagged = request.function_code | _EXCEPTION_FLAG
    return with_crc(bytes([request.unit_id, flagged, code]))


# --- answers the edge checks --------------------------------------------------------------------


def answer_size(request: bytes, function_code: int) -> int:
    """How long the answer to `request` is, given the function code its second byte shows."""
    if function_code & _EXCEPTION_FLAG:
        return _EXCEPTION_ANSWER_BYTES
    asked = request[1]
    count = int.from_bytes(request[4:6], "big")
    if asked in REGISTER_READS:
        return 5 + 2 * count
    if asked in BIT_READS:
        return 5 + (count + 7) // 8
    return _FIXED_REQUEST_BYTES  # writes: an echo, or address and count


def answer_complete(request: bytes, buffer: bytes) -> bool:
    """Whether `buffer` holds a whole answer to `request` (a normal one or an exception), so a
    serial link can stop listening without waiting out the line's silence."""
    if len(buffer) < 2:
        return False
    return len(buffer) >= answer_size(request, buffer[1])


def check_answer(request: bytes, answer: bytes) -> bytes:
    """The answer's data (after unit and function code, without the CRC) once it is whole,
    intact and from the unit and function asked; ExceptionAnswer for a refusal."""
    _check_frame(answer)
    unit_id, function_code = request[0], request[1]
    if answer[0] != unit_id:
        raise FrameError(f"answer from unit {answer[0]}, asked unit {unit_id}")
    if answer[1] == function_code | _EXCEPTION_FLAG and len(answer) == _EXCEPTION_ANSWER_BYTES:
        raise ExceptionAnswer(unit_id=unit_id, function_code=function_code, code=answer[2])
    if answer[1] != function_code:
        raise FrameError(f"answer with function {answer[1]}, asked function {function_code}")
    if len(answer) != answer_size(request, function_code):
        raise FrameError(
            f"answer of {len(answer)} bytes, expected {answer_size(request, function_code)}"
        )
    return answer[2:-2]


def parse_registers(request: bytes, answer: bytes) -> list[int]:
    """The registers a read (fc 3, 4) answered."""
    data = check_answer(request, answer)
    if data[0] != len(data) - 1:
        raise FrameError(f"byte count {data[0]} does not match {len(data) - 1} data bytes")
    return list(_bytes_words(data[1:]))


def parse_bits(request: bytes, answer: bytes) -> list[bool]:
    """The coils or inputs a read (fc 1, 2) answered, as many as were asked."""
    data = check_answer(request, answer)
    count = int.from_bytes(request[4:6], "big")
    return [bool(data[1 + i // 8] >> (i % 8) & 1) for i in range(count)]


def check_write_answer(request: bytes, answer: bytes) -> None:
    """A write's answer confirms what was asked (fc 5, 6 echo; fc 16 address and count)."""
    data = check_answer(request, answer)
    if data != request[2:6]:
        raise FrameError(f"write answer {data.hex()} does not confirm {request[2:6].hex()}")


# --- checks -------------------------------------------------------------------------------------


def _check_frame(frame: bytes) -> None:
    if len(frame) < 4:
        raise FrameError(f"a frame of {len(frame)} bytes is too short")
    if not crc_ok(frame):
        raise FrameError(f"CRC mismatch in {frame.hex(' ')}")


def _read_limit(function_code: int) -> int:
    if function_code in REGISTER_READS:
        return MAX_READ_REGISTERS
    if function_code in BIT_READS:
        return MAX_READ_BITS
    raise ValueError(f"function code {function_code} is not a read")


def _check_unit(unit_id: int, *, broadcast: bool) -> None:
    lowest = BROADCAST_UNIT if broadcast else 1
    if not lowest <= unit_id <= 247:
        raise ValueError(f"unit id {unit_id} is outside {lowest}..247")


def _check_span(address: int, count: int) -> None:
    if address < 0 or address + count > 0x10000:
        raise ValueError(f"{count} from address {address:#x} leaves 0..0xFFFF")


def _check_words(words: list[int]) -> None:
    for word in words:
        if not 0 <= word <= 0xFFFF:
            raise ValueError(f"{word} is not a 16-bit register value")


def _words_bytes(words: list[int]) -> bytes:
    return b"".join(word.to_bytes(2, "big") for word in words)


def _bytes_words(data: bytes) -> tuple[int, ...]:
    return tuple(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))

"""DL/T 645-2007, the Chinese standard for talking to electricity meters over RS-485: the
frames a master sends and a meter answers, as bytes. Pure: no I/O.

On the wire a frame is `68 A0..A5 68 C L DATA CS 16`, usually preceded by a wake-up run of FE:

- the address is the 12-digit number on the meter's nameplate, two digits per byte (BCD),
  last two digits first; a byte AA is a wildcard, 99…99 the broadcast address;
- C is the control code (bit 7: sent by a meter, bit 6: the meter could not do it);
- L counts the data bytes, each of which travels with 0x33 added;
- CS is the sum of every byte from the first 68 to the end of the data, modulo 256.
"""

from dataclasses import dataclass

WAKE_UP = b"\xfe\xfe\xfe\xfe"
"""Sent before a request: some meters need it to wake their UART; meters may send it too."""
START = 0x68
END = 0x16
DATA_OFFSET = 0x33
ADDRESS_BYTES = 6
HEADER_BYTES = 10
"""68, address (6), 68, control, length: enough to know how long the whole frame is."""
FRAMING_BYTES = HEADER_BYTES + 2
"""Everything but the data: the header, the checksum and the end byte."""

READ_DATA = 0x11
FROM_METER = 0x80
ABNORMAL = 0x40
READ_ANSWER = READ_DATA | FROM_METER
READ_ABNORMAL_ANSWER = READ_DATA | FROM_METER | ABNORMAL

BROADCAST_ADDRESS = "999999999999"
"""Only for commands no meter answers (broadcast time setting, freezing)."""
WILDCARD_ADDRESS = "AAAAAAAAAAAA"
"""Whoever is on the line: usable when a single meter is connected (e.g. to learn its address)."""
WILDCARD_PAIR = "AA"

FORWARD_ACTIVE_TOTAL = 0x0001_0000
"""Data identifier (DI3 DI2 DI1 DI0 = 00 01 00 00): total forward active energy, kWh."""
COMBINED_ACTIVE_TOTAL = 0x0000_0000
"""Data identifier 00 00 00 00: combined active energy (forward and reverse as the meter is
set to combine them), kWh; it may be negative."""
IDENTIFIER_BYTES = 4
ENERGY_BYTES = 4
"""XXXXXX.XX kWh: 8 BCD digits, hundredths first."""
ENERGY_LIMIT_KWH = 1_000_000.0
"""Six integer digits: the register rolls over here."""
SIGNED_ENERGY_LIMIT_KWH = 800_000.0
"""A signed register gives its top bit to the sign, leaving 0..799999.99."""
SIGN_BIT = 0x80

OTHER_ERROR = 0x01
NO_REQUESTED_DATA = 0x02
ERROR_MEANINGS = {
    OTHER_ERROR: "other error",
    NO_REQUESTED_DATA: "no requested data (the meter does not know this data identifier)",
    0x04: "wrong password or not authorised",
    0x08: "the baud rate cannot be changed",
    0x10: "too many yearly time zones",
    0x20: "too many daily time periods",
    0x40: "too many tariffs",
}
"""The bits of the error byte in an abnormal answer; bit 7 is reserved."""


class Dlt645Error(ValueError):
    """Bytes that cannot be used as the answer expected; the message says what is wrong."""


class FrameError(Dlt645Error):
    """Not a well-formed frame: truncated, bad checksum, a byte out of place, not BCD."""


class WrongAddress(Dlt645Error):
    """A well-formed answer from another meter than the one asked."""


class AbnormalAnswer(Dlt645Error):
    """The meter understood the request and refused it; `error` is its error byte."""

    def __init__(self, address: str, error: int) -> None:
        super().__init__(f"meter {address} answered abnormally: {describe_error(error)}")
        self.address = address
        self.error = error


@dataclass(frozen=True)
class Frame:
    """One frame as meant: the data as the application sees it, before the +0x33 of the wire."""

    address: str
    """12 characters as printed on the nameplate; a pair "AA" is a wildcard byte."""
    control: int
    data: bytes = b""

    def __post_init__(self) -> None:
        _check_address(self.address)
        if not 0 <= self.control <= 0xFF:
            raise ValueError(f"control code {self.control} does not fit in a byte")
        if len(self.data) > 0xFF:
            raise ValueError(f"{len(self.data)} data bytes do not fit in the length byte")


# --- frames -------------------------------------------------------------------------------------


def encode(frame: Frame, *, wake_up: bool = True) -> bytes:
    """The bytes on the wire, with the wake-up preamble unless told otherwise."""
    body = bytes(
        [
            START,
            *encode_address(frame.address),
            START,
            frame.control,
            len(frame.data),
            *((byte + DATA_OFFSET) & 0xFF for byte in frame.data),
        ]
    )
    return (WAKE_UP if wake_up else b"") + body + bytes([checksum(body), END])


def decode(raw: bytes) -> Frame:
    """The frame in `raw` (leading FE bytes skipped); FrameError naming the first fault."""
    frame = raw.lstrip(WAKE_UP[:1])
    if len(frame) < FRAMING_BYTES:
        raise FrameError(f"too short for a frame: {_hex(raw) or 'nothing'}")
    _expect(frame, 0, START, "start byte")
    _expect(frame, 1 + ADDRESS_BYTES, START, "second start byte after the address")
    length = frame[HEADER_BYTES - 1]
    expected = FRAMING_BYTES + length
    if len(frame) < expected:
        raise FrameError(f"truncated: length byte says {length} data bytes, frame ends early")
    if len(frame) > expected:
        raise FrameError(f"{len(frame) - expected} stray bytes after the end of the frame")
    body, sent_sum = frame[: HEADER_BYTES + length], frame[HEADER_BYTES + length]
    if checksum(body) != sent_sum:
        raise FrameError(
            f"bad checksum: frame says {sent_sum:02X}, bytes sum to {checksum(body):02X}"
        )
    _expect(frame, expected - 1, END, "end byte")
    data = bytes((byte - DATA_OFFSET) & 0xFF for byte in body[HEADER_BYTES:])
    return Frame(decode_address(frame[1 : 1 + ADDRESS_BYTES]), frame[HEADER_BYTES - 2], data)


def answer_complete(buffer: bytes) -> bool:
    """Whether waiting for more bytes is pointless: the buffer holds a whole frame, or it can no
    longer become one (then `decode` says what is wrong instead of a timeout hiding it)."""
    frame = buffer.lstrip(WAKE_UP[:1])
    if not frame:
        return False
    second_start = 1 + ADDRESS_BYTES
    if frame[0] != START or (len(frame) > second_start and frame[second_start] != START):
        return True
    if len(frame) < HEADER_BYTES:
        return False
    return len(frame) >= FRAMING_BYTES + frame[HEADER_BYTES - 1]


def frame_bytes(data_bytes: int, *, wake_up: bool = True) -> int:
    """How long a frame with `data_bytes` of data is on the wire (for line-time arithmetic)."""
    return (len(WAKE_UP) if wake_up else 0) + FRAMING_BYTES + data_bytes


def checksum(body: bytes) -> int:
    """Sum of the bytes from the first 68 to the end of the data, modulo 256."""
    return sum(body) & 0xFF


# --- addresses ----------------------------------------------------------------------------------


def encode_address(address: str) -> bytes:
    """Six address bytes, last pair of digits first: "202301150042" -> 42 00 15 01 23 20."""
    _check_address(address)
    pairs = [address[i : i + 2] for i in range(0, 2 * ADDRESS_BYTES, 2)]
    return bytes(int(pair, 16) for pair in reversed(pairs))


def decode_address(raw: bytes) -> str:
    """The address as printed; FrameError if a byte is neither BCD nor the AA wildcard."""
    if len(raw) != ADDRESS_BYTES:
        raise FrameError(f"an address has {ADDRESS_BYTES} bytes, got {len(raw)}")
    address = bytes(reversed(raw)).hex().upper()
    try:
        _check_address(address)
    except ValueError:
        raise FrameError(f"address bytes {_hex(raw)} are not BCD digits") from None
    return address


def addressed_to(meter: str, requested: str) -> bool:
    """Whether a meter with address `meter` is meant by a request to `requested` (AA pairs in
    the request match any two digits)."""
    pairs = range(0, 2 * ADDRESS_BYTES, 2)
    return all(requested[i : i + 2] in (meter[i : i + 2], WILDCARD_PAIR) for i in pairs)


def _check_address(address: str) -> None:
    pairs = [address[i : i + 2] for i in range(0, len(address), 2)]
    if len(address) != 2 * ADDRESS_BYTES or not all(
        (pair.isascii() and pair.isdecimal()) or pair == WILDCARD_PAIR for pair in pairs
    ):
        raise ValueError(f"address {address!r} is not 12 digits (or AA wildcard pairs)")


# --- reading data -------------------------------------------------------------------------------


def read_request(address: str, identifier: int = FORWARD_ACTIVE_TOTAL) -> bytes:
    """The request for one data item, wake-up preamble included."""
    return encode(Frame(address, READ_DATA, identifier_bytes(identifier)))


def read_answer(address: str, identifier: int, value: bytes) -> bytes:
    """A meter's normal answer to a read: the identifier echoed, then the value."""
    return encode(Frame(address, READ_ANSWER, identifier_bytes(identifier) + value))


def abnormal_answer(address: str, error: int, *, command: int = READ_DATA) -> bytes:
    """A meter's refusal of `command`: one error byte (see ERROR_MEANINGS)."""
    return encode(Frame(address, command | FROM_METER | ABNORMAL, bytes([error])))


def energy_answer(address: str, kwh: float, identifier: int = FORWARD_ACTIVE_TOTAL) -> bytes:
    """A meter's answer carrying an energy register."""
    signed = identifier == COMBINED_ACTIVE_TOTAL
    return read_answer(address, identifier, encode_energy(kwh, signed=signed))


def requested_identifier(frame: Frame) -> int:
    """The data identifier a read request asks for."""
    if frame.control != READ_DATA or len(frame.data) != IDENTIFIER_BYTES:
        raise FrameError(
            f"not a plain read request: control {frame.control:02X}, {len(frame.data)} data bytes"
        )
    return int.from_bytes(frame.data, "little")


def parse_read_answer(raw: bytes, *, address: str, identifier: int) -> bytes:
    """The value bytes of the answer to a read of `identifier` from the meter at `address`."""
    frame = decode(raw)
    if frame.address != address:
        raise WrongAddress(f"answer comes from meter {frame.address}, not {address}")
    if frame.control == READ_ABNORMAL_ANSWER and len(frame.data) == 1:
        raise AbnormalAnswer(address, frame.data[0])
    if frame.control != READ_ANSWER:
        raise FrameError(f"control code {frame.control:02X} is not an answer to a read")
    if len(frame.data) < IDENTIFIER_BYTES:
        raise FrameError(f"answer has {len(frame.data)} data bytes, too few for an identifier")
    echoed = int.from_bytes(frame.data[:IDENTIFIER_BYTES], "little")
    if echoed != identifier:
        raise FrameError(f"answer is for data identifier {echoed:08X}, not {identifier:08X}")
    return frame.data[IDENTIFIER_BYTES:]


def parse_energy_answer(
    raw: bytes, *, address: str, identifier: int = FORWARD_ACTIVE_TOTAL
) -> float:
    """kWh from the answer to a read of an energy register."""
    value = parse_read_answer(raw, address=address, identifier=identifier)
    return decode_energy(value, signed=identifier == COMBINED_ACTIVE_TOTAL)


def identifier_bytes(identifier: int) -> bytes:
    """A data identifier as sent: DI0 first."""
    if not 0 <= identifier <= 0xFFFF_FFFF:
        raise ValueError(f"data identifier {identifier:#x} does not fit in 4 bytes")
    return identifier.to_bytes(IDENTIFIER_BYTES, "little")


def describe_error(error: int) -> str:
    """The meanings of the bits set in an abnormal answer's error byte."""
    meanings = [text for bit, text in ERROR_MEANINGS.items() if error & bit]
    if error & 0x80:
        meanings.append("reserved bit 7")
    return f"error byte {error:02X}: " + ("; ".join(meanings) or "no error bit set")


# --- values -------------------------------------------------------------------------------------


def encode_energy(kwh: float, *, signed: bool = False) -> bytes:
    """XXXXXX.XX kWh as 4 BCD bytes, hundredths first; a signed (combined) register keeps the
    sign in the top bit of its last byte."""
    limit = SIGNED_ENERGY_LIMIT_KWH if signed else ENERGY_LIMIT_KWH
    hundredths = round(abs(kwh) * 100)
    if (kwh < 0 and not signed) or hundredths >= limit * 100:
        raise ValueError(f"{kwh} kWh does not fit an XXXXXX.XX energy register")
    raw = bytearray(_to_bcd(hundredths, ENERGY_BYTES))
    if kwh < 0 and hundredths:
        raw[-1] |= SIGN_BIT
    return bytes(raw)


def decode_energy(raw: bytes, *, signed: bool = False) -> float:
    """kWh from 4 BCD bytes (XXXXXX.XX, hundredths first)."""
    if len(raw) != ENERGY_BYTES:
        raise FrameError(f"an energy value has {ENERGY_BYTES} bytes, got {len(raw)}: {_hex(raw)}")
    negative = signed and bool(raw[-1] & SIGN_BIT)
    magnitude = _from_bcd(raw[:-1] + bytes([raw[-1] & ~SIGN_BIT]) if negative else raw)
    return (-magnitude if negative else magnitude) / 100


def _to_bcd(number: int, size: int) -> bytes:
    digits = f"{number:0{2 * size}d}"
    return bytes(int(digits[i : i + 2], 16) for i in reversed(range(0, 2 * size, 2)))


def _from_bcd(raw: bytes) -> int:
    digits = bytes(reversed(raw)).hex()
    if not digits.isdecimal():
        raise FrameError(f"value bytes {_hex(raw)} are not BCD digits")
    return int(digits)


# --- helpers ------------------------------------------------------------------------------------


def _expect(frame: bytes, index: int, value: int, what: str) -> None:
    if frame[index] != value:
        raise FrameError(f"expected the {what} {value:02X}, got {frame[index]:02X}")


def _hex(raw: bytes) -> str:
    return raw.hex(" ").upper()

"""How long bytes take on an RS-485 line: the arithmetic behind serial timeouts, the silence
between Modbus RTU frames, the simulators' byte timing and the bus-speed benchmark.

A character on the wire is a start bit, 8 data bits, an optional parity bit and 1 or 2 stop
bits. Modbus RTU ends a frame with at least 3.5 characters of silence; above 19,200 baud the
specification fixes that silence at 1.75 ms (and 1.5 characters at 0.75 ms), since the
per-character figure would be too short for UARTs to time.
"""

from typing import Literal

Parity = Literal["N", "E", "O"]
StopBits = Literal[1, 2]

BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
"""Rates RS-485 meters offer; anything else is almost certainly a typo."""

FIXED_TIMING_ABOVE_BAUD = 19_200
FIXED_FRAME_SILENCE_S = 0.00175

RTU_READ_REQUEST_BYTES = 8
"""unit, function, address (2), count (2), CRC (2)."""
RTU_WRITE_SINGLE_BYTES = 8
"""unit, function, address (2), value (2), CRC (2): request and echoed answer alike."""


def bits_per_char(parity: Parity = "N", stop_bits: StopBits = 1) -> int:
    return 1 + 8 + (0 if parity == "N" else 1) + stop_bits


def char_time_s(baud: int, parity: Parity = "N", stop_bits: StopBits = 1) -> float:
    """Seconds one character occupies the line."""
    if baud <= 0:
        raise ValueError(f"baud rate must be positive, got {baud}")
    return bits_per_char(parity, stop_bits) / baud


def frame_time_s(size: int, baud: int, parity: Parity = "N", stop_bits: StopBits = 1) -> float:
    """Seconds a frame of `size` bytes occupies the line, sent back to back."""
    return size * char_time_s(baud, parity, stop_bits)


def frame_silence_s(baud: int, parity: Parity = "N", stop_bits: StopBits = 1) -> float:
    """The silence that ends a Modbus RTU frame (t3.5)."""
    if baud > FIXED_TIMING_ABOVE_BAUD:
        return FIXED_FRAME_SILENCE_S
    return 3.5 * char_time_s(baud, parity, stop_bits)


def rtu_read_response_bytes(count: int) -> int:
    """unit, function, byte count, 2 bytes per register, CRC (2)."""
    return 5 + 2 * count


def rtu_read_transaction_s(
    count: int, baud: int, parity: Parity = "N", stop_bits: StopBits = 1
) -> float:
    """The shortest time one read of `count` registers can take on the line: request, the
    silence that ends it, response, the silence that ends that (a device's own turnaround
    comes on top, so this is the physical limit)."""
    silence = frame_silence_s(baud, parity, stop_bits)
    request = frame_time_s(RTU_READ_REQUEST_BYTES, baud, parity, stop_bits)
    response = frame_time_s(rtu_read_response_bytes(count), baud, parity, stop_bits)
    return request + silence + response + silence

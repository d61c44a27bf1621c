"""Register codecs: Modbus 16-bit words <-> numbers, for every data type a profile may name."""

import struct
from typing import Literal

DataType = Literal["int16", "uint16", "int32", "uint32", "float32", "float64"]
WordOrder = Literal["big", "little"]

_FORMATS: dict[str, tuple[str, int]] = {
    "int16": ("h", 1),
    "uint16": ("H", 1),
    "int32": ("i", 2),
    "uint32": ("I", 2),
    "float32": ("f", 2),
    "float64": ("d", 4),
}


def word_count(data_type: DataType) -> int:
    """How many 16-bit registers a value of this type occupies."""
    return _FORMATS[data_type][1]


def decode(words: list[int], data_type: DataType, word_order: WordOrder = "big") -> float:
    """Numbers from registers; bytes within a word are always big-endian (Modbus)."""
    fmt, count = _FORMATS[data_type]
    if len(words) != count:
        raise ValueError(f"{data_type} needs {count} registers, got {len(words)}")
    ordered = words if word_order == "big" else list(reversed(words))
    raw = b"".join(w.to_bytes(2, "big") for w in ordered)
    return float(struct.unpack(">" + fmt, raw)[0])


def encode(value: float, data_type: DataType, word_order: WordOrder = "big") -> list[int]:
    """Registers from a number (what a simulated device serves)."""
    fmt, count = _FORMATS[data_type]
    number: float | int = value if fmt in "fd" else int(round(value))
    raw = struct.pack(">" + fmt, number)
    words = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, 2 * count, 2)]
    return words if word_order == "big" else list(reversed(words))

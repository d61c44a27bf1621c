import math
import struct

import pytest

from protocols.codecs import decode, encode, word_count

CASES = [
    ("int16", -12345, 1),
    ("uint16", 54321, 1),
    ("int32", -2_000_000_000, 2),
    ("uint32", 4_000_000_000, 2),
    ("float32", 229.5, 2),
    ("float64", 123456.789012345, 4),
]


@pytest.mark.parametrize(("data_type", "value", "words"), CASES)
@pytest.mark.parametrize("word_order", ["big", "little"])
def test_every_type_round_trips_in_both_word_orders(data_type, value, words, word_order):
    registers = encode(value, data_type, word_order)
    assert len(registers) == words == word_count(data_type)
    assert all(0 <= r <= 0xFFFF for r in registers)
    assert decode(registers, data_type, word_order) == pytest.approx(value)


def test_float32_big_endian_matches_the_meter_manual_layout():
    # 230.0 V as IEEE 754 is 0x43660000: high word first on a DDSU666.
    assert encode(230.0, "float32") == [0x4366, 0x0000]
    assert decode([0x4366, 0x0000], "float32") == 230.0
    assert decode([0x0000, 0x4366], "float32", "little") == 230.0


def test_signed_and_unsigned_read_the_same_words_differently():
    assert decode([0xFFFF], "int16") == -1
    assert decode([0xFFFF], "uint16") == 65535


def test_wrong_register_count_is_refused():
    with pytest.raises(ValueError, match="float32 needs 2 registers, got 1"):
        decode([0x4366], "float32")


def test_out_of_range_integers_are_refused():
    with pytest.raises(struct.error):
        encode(70000, "uint16")


def test_nan_survives_the_round_trip_so_drivers_can_spot_it():
    assert math.isnan(decode(encode(math.nan, "float32"), "float32"))

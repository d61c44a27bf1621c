import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols import dlt645
from protocols.dlt645 import (
    AbnormalAnswer,
    Frame,
    FrameError,
    WrongAddress,
    answer_complete,
    decode,
    encode,
)

METER = "202301150042"
# On the wire, last pair of digits first: 42 00 15 01 23 20.
# The 68 A0..A5 68 part every frame to or from this meter starts with sums to
# 68+42+00+15+01+23+20+68 = 0x16B.

READ_ENERGY = bytes.fromhex("FE FE FE FE 68 42 00 15 01 23 20 68 11 04 33 33 34 33 4D 16")
# C = 11 (read data), L = 04, DI 00 01 00 00 sent DI0 first (00 00 01 00), +33 each.
# CS = 0x16B + 11 + 04 + 33+33+34+33 (0xCD) = 0x24D -> 4D.

ENERGY_12345_67 = bytes.fromhex(
    "FE FE FE FE 68 42 00 15 01 23 20 68 91 08 33 33 34 33 9A 78 56 34 6D 16"
)
# C = 91 (normal answer to a read), L = 08: the DI echoed, then 012345.67 kWh as BCD
# hundredths first (67 45 23 01), +33 each: 9A 78 56 34.
# CS = 0x16B + 91 + 08 + 0xCD + 9A+78+56+34 (0x19C) = 0x46D -> 6D.

NO_SUCH_DATA = bytes.fromhex("68 42 00 15 01 23 20 68 D1 01 35 72 16")
# C = D1 (abnormal answer to a read), L = 01, error byte 02 (no requested data) + 33 = 35.
# CS = 0x16B + D1 + 01 + 35 = 0x272 -> 72.

# A published exchange (https://553668.com/manong/786292.html, also icode9.com): a read of
# total forward active energy from meter 000102030425 answered with 1206.42 kWh.
PUBLISHED_REQUEST = bytes.fromhex("68 25 04 03 02 01 00 68 11 04 33 33 34 33 E1 16")
PUBLISHED_ANSWER = bytes.fromhex("68 25 04 03 02 01 00 68 91 08 33 33 34 33 75 39 45 33 8B 16")

addresses = st.text(alphabet="0123456789", min_size=12, max_size=12)


# --- golden frames ------------------------------------------------------------------------------


def test_read_request_matches_the_hand_built_frame():
    assert dlt645.read_request(METER) == READ_ENERGY


def test_energy_answer_matches_the_hand_built_frame_and_parses_back():
    assert dlt645.energy_answer(METER, 12345.67) == ENERGY_12345_67
    assert dlt645.parse_energy_answer(ENERGY_12345_67, address=METER) == 12345.67


def test_abnormal_answer_matches_the_hand_built_frame():
    assert dlt645.abnormal_answer(METER, dlt645.NO_REQUESTED_DATA)[4:] == NO_SUCH_DATA


def test_a_published_exchange_reads_as_published():
    request = encode(Frame("000102030425", dlt645.READ_DATA, bytes([0, 0, 1, 0])), wake_up=False)
    assert request == PUBLISHED_REQUEST
    assert dlt645.parse_energy_answer(PUBLISHED_ANSWER, address="000102030425") == 1206.42


def test_decode_skips_the_wake_up_preamble_and_removes_the_data_offset():
    frame = decode(READ_ENERGY)
    assert frame == Frame(METER, dlt645.READ_DATA, bytes([0x00, 0x00, 0x01, 0x00]))
    assert dlt645.requested_identifier(frame) == dlt645.FORWARD_ACTIVE_TOTAL


def test_frame_sizes_for_line_time_arithmetic():
    assert dlt645.frame_bytes(4) == len(READ_ENERGY) == 20
    assert dlt645.frame_bytes(8) == len(ENERGY_12345_67) == 24
    assert dlt645.frame_bytes(1, wake_up=False) == len(NO_SUCH_DATA)


# --- addresses ----------------------------------------------------------------------------------


def test_address_is_bcd_with_the_last_digits_first():
    assert dlt645.encode_address(METER) == bytes([0x42, 0x00, 0x15, 0x01, 0x23, 0x20])
    assert dlt645.decode_address(bytes([0x42, 0x00, 0x15, 0x01, 0x23, 0x20])) == METER


def test_wildcard_pairs_match_any_digits_and_nothing_else_does():
    assert dlt645.encode_address(dlt645.WILDCARD_ADDRESS) == b"\xaa" * 6
    assert dlt645.addressed_to(METER, dlt645.WILDCARD_ADDRESS)
    assert dlt645.addressed_to(METER, "AAAAAA150042")  # shortened addressing: low digits only
    assert not dlt645.addressed_to(METER, "AAAAAA150043")
    assert not dlt645.addressed_to(METER, dlt645.BROADCAST_ADDRESS)


@pytest.mark.parametrize(
    "address", ["20230115004", "2023011500421", "20230115004X", "AB0115004200"]
)
def test_impossible_addresses_are_refused(address):
    with pytest.raises(ValueError, match="not 12 digits"):
        Frame(address, dlt645.READ_DATA)


def test_an_address_that_is_not_bcd_on_the_wire_is_named():
    raw = bytearray(ENERGY_12345_67)
    raw[5] = 0x4F  # A0
    raw[-2] = (raw[-2] + 0x4F - 0x42) & 0xFF  # keep the checksum right
    with pytest.raises(FrameError, match="address bytes 4F 00 15 01 23 20 are not BCD"):
        decode(bytes(raw))


# --- what goes wrong ----------------------------------------------------------------------------


def test_bad_checksum_names_both_sums():
    damaged = ENERGY_12345_67[:-2] + bytes([0x6C, 0x16])
    with pytest.raises(FrameError, match="bad checksum: frame says 6C, bytes sum to 6D"):
        decode(damaged)


def test_answer_from_another_meter_is_refused():
    with pytest.raises(WrongAddress, match="from meter 202301150042, not 202301150043"):
        dlt645.parse_energy_answer(ENERGY_12345_67, address="202301150043")


def test_abnormal_answer_says_what_the_meter_meant():
    with pytest.raises(AbnormalAnswer, match="no requested data") as refused:
        dlt645.parse_energy_answer(NO_SUCH_DATA, address=METER)
    assert refused.value.error == dlt645.NO_REQUESTED_DATA


def test_every_error_bit_is_described():
    assert dlt645.describe_error(0x05) == (
        "error byte 05: other error; wrong password or not authorised"
    )
    assert "reserved bit 7" in dlt645.describe_error(0x80)
    assert "no error bit set" in dlt645.describe_error(0x00)


def test_value_that_is_not_bcd_is_named():
    # 0x9A - 0x33 = 0x67; make the first value byte 0x6A instead: nibble A is no digit.
    raw = bytearray(ENERGY_12345_67)
    raw[18] = 0x6A + 0x33
    raw[-2] = (raw[-2] + 0x03) & 0xFF
    with pytest.raises(FrameError, match="value bytes 6A 45 23 01 are not BCD digits"):
        dlt645.parse_energy_answer(bytes(raw), address=METER)


def test_answer_for_another_data_identifier_is_refused():
    answer = dlt645.read_answer(METER, 0x0201_0100, bytes([0x01, 0x22]))  # phase A voltage
    with pytest.raises(FrameError, match="identifier 02010100, not 00010000"):
        dlt645.parse_energy_answer(answer, address=METER)


def test_a_request_echoed_back_is_not_an_answer():
    with pytest.raises(FrameError, match="control code 11 is not an answer"):
        dlt645.parse_energy_answer(READ_ENERGY, address=METER)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "too short for a frame: nothing"),
        (ENERGY_12345_67[:-3], "truncated: length byte says 8 data bytes"),
        (ENERGY_12345_67 + b"\x00", "1 stray bytes after the end"),
        (b"\x00" + ENERGY_12345_67[4:], "expected the start byte 68, got 00"),
        (ENERGY_12345_67[:-1] + b"\x17", "expected the end byte 16, got 17"),
    ],
)
def test_malformed_frames_say_what_is_wrong(raw, message):
    with pytest.raises(FrameError, match=message):
        decode(raw)


def test_second_start_byte_is_checked():
    raw = bytearray(READ_ENERGY)
    raw[11] = 0x69
    with pytest.raises(FrameError, match="second start byte after the address 68, got 69"):
        decode(bytes(raw))


# --- energy values ------------------------------------------------------------------------------


def test_energy_register_limits():
    assert dlt645.encode_energy(999999.99) == bytes([0x99, 0x99, 0x99, 0x99])
    with pytest.raises(ValueError, match="does not fit"):
        dlt645.encode_energy(1_000_000.0)
    with pytest.raises(ValueError, match="does not fit"):
        dlt645.encode_energy(-0.01)


def test_combined_energy_keeps_its_sign_in_the_top_bit():
    # -1.50 kWh: BCD 50 01 00 00, the top bit of the last byte set.
    assert dlt645.encode_energy(-1.5, signed=True) == bytes([0x50, 0x01, 0x00, 0x80])
    assert dlt645.decode_energy(bytes([0x50, 0x01, 0x00, 0x80]), signed=True) == -1.5
    answer = dlt645.energy_answer(METER, -1.5, dlt645.COMBINED_ACTIVE_TOTAL)
    kwh = dlt645.parse_energy_answer(answer, address=METER, identifier=dlt645.COMBINED_ACTIVE_TOTAL)
    assert kwh == -1.5


@given(st.integers(min_value=0, max_value=99_999_999))
def test_energy_round_trips_to_the_hundredth(hundredths):
    kwh = hundredths / 100
    raw = dlt645.encode_energy(kwh)
    assert dlt645.decode_energy(raw) == kwh
    assert raw == bytes.fromhex(f"{hundredths:08d}")[::-1]  # BCD, hundredths first


@given(st.integers(min_value=-79_999_999, max_value=79_999_999))
def test_signed_energy_round_trips(hundredths):
    kwh = hundredths / 100
    assert dlt645.decode_energy(dlt645.encode_energy(kwh, signed=True), signed=True) == kwh


# --- round trips and completeness ---------------------------------------------------------------


frames = st.builds(
    Frame,
    address=addresses | st.just(dlt645.WILDCARD_ADDRESS),
    control=st.integers(0, 0xFF),
    data=st.binary(max_size=200),
)


@given(frames, st.booleans())
def test_every_frame_round_trips(frame, wake_up):
    assert decode(encode(frame, wake_up=wake_up)) == frame


@given(frames, st.booleans())
def test_answer_is_complete_exactly_when_its_last_byte_arrives(frame, wake_up):
    raw = encode(frame, wake_up=wake_up)
    assert not any(answer_complete(raw[:n]) for n in range(len(raw)))
    assert answer_complete(raw)


@given(addresses, st.integers(min_value=0, max_value=99_999_999))
def test_energy_answers_round_trip(address, hundredths):
    answer = dlt645.energy_answer(address, hundredths / 100)
    assert dlt645.parse_energy_answer(answer, address=address) == hundredths / 100


def test_a_buffer_that_cannot_become_a_frame_is_complete_so_nobody_waits_for_it():
    assert answer_complete(b"\xfe\xfe\x00")
    assert answer_complete(READ_ENERGY[:11] + b"\x00")  # no second 68 after the address
    assert not answer_complete(b"\xfe\xfe\xfe")

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols import modbus_rtu as rtu

units = st.integers(min_value=1, max_value=247)
words = st.integers(min_value=0, max_value=0xFFFF)


def test_crc_matches_the_specifications_worked_example():
    # Modbus over serial line V1.02, 6.2.2: "02 07" has CRC 0x1241, sent 41 12.
    assert rtu.crc16(bytes([0x02, 0x07])) == 0x1241
    assert rtu.with_crc(bytes([0x02, 0x07])) == bytes([0x02, 0x07, 0x41, 0x12])
    # The check value of CRC-16/MODBUS (the CRC catalogue's "123456789").
    assert rtu.crc16(b"123456789") == 0x4B37


def test_a_read_request_is_byte_for_byte_what_the_standard_shows():
    # Read 2 input registers from 0x2000 of unit 1, as mbpoll sends it.
    frame = rtu.read_request(unit_id=1, function_code=4, address=0x2000, count=2)
    assert frame.hex(" ") == "01 04 20 00 00 02 7a 0b"


@given(data=st.binary(min_size=2, max_size=256))
def test_a_frame_with_its_crc_checks_and_any_flipped_bit_is_caught(data):
    frame = rtu.with_crc(data)
    assert rtu.crc_ok(frame)
    for position in range(len(frame)):
        for bit in range(8):
            damaged = bytearray(frame)
            damaged[position] ^= 1 << bit
            assert not rtu.crc_ok(bytes(damaged))


@given(
    unit=units,
    function_code=st.sampled_from(rtu.REGISTER_READS),
    address=st.integers(min_value=0, max_value=0xFFFF - 125),
    values=st.lists(words, min_size=1, max_size=125),
)
def test_register_reads_round_trip(unit, function_code, address, values):
    request = rtu.read_request(
        unit_id=unit, function_code=function_code, address=address, count=len(values)
    )
    parsed = rtu.parse_request(request)
    assert parsed == rtu.Request(unit, function_code, address, len(values))
    answer = rtu.registers_answer(parsed, values)
    assert not rtu.answer_complete(request, answer[:-1])
    assert rtu.answer_complete(request, answer)
    assert rtu.parse_registers(request, answer) == values


@given(unit=units, address=words, bits=st.lists(st.booleans(), min_size=1, max_size=2000))
def test_coil_reads_round_trip(unit, address, bits):
    bits = bits[: 0x10000 - address]
    request = rtu.read_request(unit_id=unit, function_code=1, address=address, count=len(bits))
    answer = rtu.bits_answer(rtu.parse_request(request), bits)
    assert rtu.answer_complete(request, answer) and not rtu.answer_complete(request, answer[:-1])
    assert rtu.parse_bits(request, answer) == bits


@given(unit=units, address=words, value=words, on=st.booleans())
def test_single_writes_are_echoed(unit, address, value, on):
    for request in (
        rtu.write_register_request(unit_id=unit, address=address, value=value),
        rtu.write_coil_request(unit_id=unit, address=address, value=on),
    ):
        answer = rtu.write_answer(rtu.parse_request(request))
        assert answer == request
        assert rtu.answer_complete(request, answer)
        rtu.check_write_answer(request, answer)
    coil = rtu.parse_request(rtu.write_coil_request(unit_id=unit, address=address, value=on))
    assert coil.values == ((rtu.COIL_ON if on else rtu.COIL_OFF),)


@given(
    unit=units,
    address=st.integers(min_value=0, max_value=0xFFFF - 123),
    values=st.lists(words, min_size=1, max_size=123),
)
def test_multiple_register_writes_round_trip(unit, address, values):
    request = rtu.write_registers_request(unit_id=unit, address=address, values=values)
    parsed = rtu.parse_request(request)
    assert parsed == rtu.Request(unit, 16, address, len(values), tuple(values))
    answer = rtu.write_answer(parsed)
    assert len(answer) == 8 and rtu.answer_complete(request, answer)
    rtu.check_write_answer(request, answer)


@given(unit=units, code=st.sampled_from(sorted(rtu.EXCEPTION_NAMES)))
def test_an_exception_answer_is_complete_at_five_bytes_and_raises_its_code(unit, code):
    request = rtu.read_request(unit_id=unit, function_code=3, address=0x3000, count=10)
    answer = rtu.exception_answer(rtu.parse_request(request), code)
    assert len(answer) == 5
    assert not rtu.answer_complete(request, answer[:4]) and rtu.answer_complete(request, answer)
    with pytest.raises(rtu.ExceptionAnswer) as refused:
        rtu.parse_registers(request, answer)
    assert refused.value.code == code and refused.value.function_code == 3
    assert f"exception code {code}" in str(refused.value)


def test_answers_from_elsewhere_are_frame_errors():
    request = rtu.read_request(unit_id=5, function_code=4, address=0, count=2)
    good = rtu.registers_answer(rtu.parse_request(request), [1, 2])
    with pytest.raises(rtu.FrameError, match="CRC"):
        rtu.parse_registers(request, good[:-1] + bytes([good[-1] ^ 1]))
    other_unit = rtu.registers_answer(rtu.Request(6, 4, 0, 2), [1, 2])
    with pytest.raises(rtu.FrameError, match="unit 6, asked unit 5"):
        rtu.parse_registers(request, other_unit)
    other_function = rtu.registers_answer(rtu.Request(5, 3, 0, 2), [1, 2])
    with pytest.raises(rtu.FrameError, match="function 3, asked function 4"):
        rtu.parse_registers(request, other_function)
    short = rtu.registers_answer(rtu.Request(5, 4, 0, 1), [1])
    with pytest.raises(rtu.FrameError, match="expected 9"):
        rtu.parse_registers(request, short)


def test_requests_the_standard_forbids_are_refused_before_sending():
    with pytest.raises(ValueError, match="1..125"):
        rtu.read_request(unit_id=1, function_code=3, address=0, count=126)
    with pytest.raises(ValueError, match="not a read"):
        rtu.read_request(unit_id=1, function_code=6, address=0, count=1)
    with pytest.raises(ValueError, match="unit id 0"):
        rtu.read_request(unit_id=0, function_code=3, address=0, count=1)
    with pytest.raises(ValueError, match="leaves"):
        rtu.read_request(unit_id=1, function_code=3, address=0xFFFF, count=2)
    with pytest.raises(ValueError, match="16-bit"):
        rtu.write_register_request(unit_id=1, address=0, value=0x10000)
    rtu.write_coil_request(unit_id=0, address=0, value=True)  # a broadcast may write


def test_a_device_ignores_torn_frames_and_learns_of_unknown_functions():
    request = rtu.read_request(unit_id=1, function_code=3, address=0, count=1)
    with pytest.raises(rtu.FrameError):
        rtu.parse_request(request[:-1])
    with pytest.raises(rtu.FrameError, match="not 8"):
        rtu.parse_request(rtu.with_crc(request[:-2] + b"\x00"))
    assert rtu.parse_request(rtu.with_crc(bytes([1, 43, 14, 1, 0]))) == rtu.Request(1, 43)

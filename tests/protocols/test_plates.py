import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.plates import (
    ALNUM,
    CONFUSABLE,
    FORMATS,
    LETTERS,
    correct,
    correct_text,
    is_valid_plate,
    normalise,
    plate_character,
    plate_format,
    vote,
)


@st.composite
def plates(draw: st.DrawFn, formats: tuple[str, ...] = ()) -> str:
    fmt = draw(st.sampled_from([f for f in FORMATS if not formats or f.name in formats]))
    return "".join(draw(st.sampled_from(slot)) for slot in fmt.slots)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("京A12345", "standard"),
        ("苏ED0N19", "standard"),
        ("湘DD08808", "new_energy_small"),
        ("皖KF1234", "standard"),
        ("皖KF12345", "new_energy_small"),
        ("皖A12345D", "new_energy_large"),
        ("粤ZP560港", "special"),
        ("京A0001警", "special"),
        ("沪A1234领", "special"),
        ("使014578", "embassy"),
    ],
)
def test_national_formats(text, kind):
    found = plate_format(text)
    assert found is not None and found.name == kind


@pytest.mark.parametrize(
    "text",
    [
        "京A1234",  # too short
        "京A1234567",  # too long
        "港A12345",  # 港 ends a plate, it does not start one
        "京112345",  # the authority is a letter
        "京A12O45",  # no O in a serial
        "京A1I345",  # no I either
        "京I12345",
        "皖AZ12345",  # new-energy small plates start with D, F or A-K
        "皖A1234F5",
        "",
    ],
)
def test_invalid_plates(text):
    assert not is_valid_plate(text)


def test_normalise_drops_separators_and_full_width_forms():
    assert normalise("苏E·D0N19") == "苏ED0N19"
    assert normalise("京Ａ 12-345") == "京A12345"
    assert normalise("辽b：3142q") == "辽B3142Q"


@given(plates())
def test_a_valid_plate_is_left_as_it_is(plate):
    fixed = correct_text(plate)
    assert fixed is not None
    assert fixed.text == plate and fixed.changed == 0 and fixed.confidence == 1.0


@given(plates(("standard",)), st.integers(min_value=1, max_value=6), st.data())
def test_a_confusion_where_it_cannot_stand_is_undone(plate, position, data):
    """A character swapped for one it is confused with, where the format does not allow that
    one, comes back as a character the read is confused with — valid, and changed only
    there."""
    slot = LETTERS if position == 1 else ALNUM
    misreads = [m for m, could_be in CONFUSABLE.items() if plate[position] in could_be]
    misreads = [m for m in misreads if m not in slot]
    if not misreads:
        return
    misread = data.draw(st.sampled_from(misreads))
    read = plate[:position] + misread + plate[position + 1 :]
    fixed = correct_text(read)
    assert fixed is not None and is_valid_plate(fixed.text)
    assert fixed.changed == 1
    assert fixed.text[position] in CONFUSABLE[misread]
    assert (
        fixed.text[:position] + fixed.text[position + 1 :] == read[:position] + read[position + 1 :]
    )


@pytest.mark.parametrize(
    ("read", "plate"),
    [
        ("京012345", "京D12345"),  # 0 where a letter must stand
        ("京812345", "京B12345"),
        ("京212345", "京Z12345"),
        ("京512345", "京S12345"),
        ("京A1O345", "京A10345"),  # O and I never stand in a serial
        ("京AI2345", "京A12345"),
        ("皖K001833", "皖KD01833"),  # a small new-energy plate starts its serial with a letter
        ("皖KDO1B33", "皖KD01833"),  # ...and ends in four digits
        ("苏E·D0N19", "苏ED0N19"),
    ],
)
def test_position_aware_correction(read, plate):
    fixed = correct_text(read)
    assert fixed is not None and fixed.text == plate


def test_the_likelier_allowed_character_wins_by_position():
    read = [{"京": 0.9}, {"0": 0.6, "D": 0.3, "Q": 0.1}, *[{c: 0.95} for c in "12345"]]
    fixed = correct(read)
    assert fixed is not None and fixed.text == "京D12345"
    # The model's 0 stands for D at 0.6 * 0.8 = 0.48, above D's own 0.3.
    read[1] = {"0": 0.9, "Q": 0.05}
    fixed = correct(read)
    assert fixed is not None and fixed.text == "京D12345" and fixed.changed == 1


def test_a_stray_mark_at_an_end_is_dropped_at_its_cost():
    clean = [{"京": 0.99}, {"A": 0.99}, *[{c: 0.99} for c in "12345"]]
    stray = correct([*clean, {"1": 0.3}])
    assert stray is not None and stray.text == "京A12345"
    plain = correct(clean)
    assert plain is not None and stray.confidence < plain.confidence


def test_eight_characters_make_a_new_energy_plate_not_a_seven_with_one_dropped():
    read = [{c: 0.97} for c in "湘DD08808"]
    fixed = correct(read)
    assert fixed is not None and fixed.text == "湘DD08808" and fixed.format == "new_energy_small"


def test_nothing_fits_a_read_too_short_or_without_a_province():
    assert correct_text("京A123") is None
    assert correct_text("AA12345") is None
    assert correct([]) is None


def test_vote_takes_each_position_by_weighted_majority():
    result = vote([("京A12345", 0.9), ("京A12845", 0.5), ("京A12345", 0.7), ("京B12345", 0.4)])
    assert result is not None
    assert result.text == "京A12345"
    assert result.reads == 4 and result.agreeing == 2
    assert 0 < result.confidence < 0.9


def test_vote_combines_reads_no_single_one_got_right():
    result = vote([("京A12349", 0.9), ("京A82345", 0.9), ("京A12345", 0.5), ("京A12345", 0.5)])
    assert result is not None and result.text == "京A12345"


def test_vote_ignores_invalid_reads_and_prefers_the_stronger_length():
    result = vote([("京A1234", 0.99), ("湘DD08808", 0.8), ("湘D08808", 0.3), ("", 0.9)])
    assert result is not None and result.text == "湘DD08808" and result.reads == 2
    assert vote([]) is None
    assert vote([("nonsense", 1.0)]) is None


@given(st.lists(st.tuples(plates(), st.floats(min_value=0.01, max_value=1.0)), min_size=1))
def test_a_vote_is_always_a_valid_plate_with_a_confidence_in_range(reads):
    result = vote(reads)
    assert result is not None
    assert is_valid_plate(result.text)
    assert 0 < result.confidence <= 1.0


@pytest.mark.parametrize(
    ("symbol", "char"),
    [
        ("I", "1"),
        ("l", "1"),
        ("!", "1"),
        ("丨", "1"),
        ("o", "0"),
        ("k", "K"),
        ("Ａ", "A"),
        ("苏", "苏"),
        ("7", "7"),
    ],
)
def test_look_alike_symbols_stand_for_plate_characters(symbol, char):
    assert plate_character(symbol) == char


@pytest.mark.parametrize("symbol", ["·", "-", " ", "办", "ab", ""])
def test_symbols_no_plate_carries_stand_for_nothing(symbol):
    assert plate_character(symbol) is None

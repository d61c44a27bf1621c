import numpy as np
import pytest

from edge.drivers.plate_ocr import LineReader


@pytest.fixture(scope="module")
def reader() -> LineReader:
    return LineReader()


def _steps(reader: LineReader, steps: list[dict[str, float]]) -> np.ndarray:
    """Recogniser output: one row per time step over the model's whole vocabulary."""
    column = {c: i for i, c in enumerate(reader._vocab)}
    probs = np.zeros((len(steps), len(reader._vocab)), np.float32)
    for row, step in enumerate(steps):
        for symbol, p in step.items():
            probs[row, column[symbol]] = p
    return probs


def test_a_thin_one_spread_over_look_alikes_is_read_as_one(reader):
    # Alone, the blank wins each step; together, 1, I and ! are a 1.
    ones = {"": 0.35, "1": 0.25, "I": 0.2, "!": 0.2}
    read = reader._decode(_steps(reader, [{"K": 1.0}, ones, {"": 1.0}, ones]))
    assert read.text == "K11"
    assert read.chars[1]["1"] == pytest.approx(0.65)


def test_lower_case_and_full_width_count_for_the_plate_character(reader):
    read = reader._decode(_steps(reader, [{"k": 0.6, "长": 0.4}, {"": 1.0}, {"Ａ": 0.9}]))
    assert read.text == "KA"


def test_a_separator_is_no_character(reader):
    read = reader._decode(_steps(reader, [{"A": 1.0}, {"·": 0.9, "1": 0.1}, {"5": 1.0}]))
    assert read.text == "A5"

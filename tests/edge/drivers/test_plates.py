import cv2
import numpy as np
import pytest

from bench.plates import to_1080p
from edge.drivers.plate_ocr import LineRead
from edge.drivers.plates import PlateReader, _rectangle, _shear, _upright
from tests.plates_dev import photo


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return PlateReader()


def _frame(name: str, *, scene: bool) -> np.ndarray:
    image = cv2.imdecode(np.fromfile(photo(name).path, dtype=np.uint8), cv2.IMREAD_COLOR)
    return to_1080p(image) if scene else image


@pytest.mark.parametrize(
    ("name", "scene", "colour"),
    [
        ("scene_011.jpg", True, "blue"),
        ("scene_003.jpg", True, "yellow"),  # a double-row plate on a bus
        ("scene_004.jpg", True, "green"),  # new energy, eight characters
        ("hyperlpr_rec_1.jpg", False, "green"),
        ("hyperlpr_a.jpg", False, "black"),  # Hong Kong entry plate ending in 港
        ("scene_042.jpg", True, "yellow"),  # a row of thin 1s, small in the frame
        ("hyperlpr_test_img.jpg", True, "green"),  # seen from the side: characters slanted
    ],
)
def test_reads_real_photos(reader, name, scene, colour):
    found = reader.read(_frame(name, scene=scene))
    assert found is not None
    assert found.plate == photo(name).plate
    assert found.colour == colour
    assert 0.6 <= found.confidence <= 1.0
    snapshot = cv2.imdecode(np.frombuffer(found.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert snapshot is not None and snapshot.shape[0] == 64
    if scene:  # where the plate is in the frame: inside it, plate-shaped
        x0, y0 = found.quad.min(axis=0)
        x1, y1 = found.quad.max(axis=0)
        assert 0 <= x0 < x1 <= 1920 and 0 <= y0 < y1 <= 1080
        assert 1.2 < (x1 - x0) / (y1 - y0) < 8


def test_a_frame_without_a_plate_reads_nothing(reader):
    rng = np.random.default_rng(3)
    frame = cv2.GaussianBlur(rng.integers(0, 255, (1080, 1920, 3), dtype=np.uint8), (9, 9), 0)
    assert reader.read(frame) is None
    assert reader.read(np.full((1080, 1920, 3), 128, np.uint8)) is None


def _column_unevenness(line: np.ndarray) -> float:
    dark = (cv2.cvtColor(line, cv2.COLOR_BGR2GRAY) < 128).sum(axis=0).astype(np.float64)
    return float(np.square(dark).sum())


@pytest.mark.parametrize("lean", [-0.35, 0.25])
def test_slanted_characters_are_set_upright(lean):
    upright = np.full((48, 200, 3), 255, np.uint8)
    for x in range(20, 180, 22):
        cv2.rectangle(upright, (x, 8), (x + 4, 40), (0, 0, 0), -1)
    slanted = cv2.warpAffine(upright, _shear(lean, 48), (200, 48), borderValue=(255, 255, 255))
    straightened = _upright(slanted)
    assert _column_unevenness(slanted) < 0.6 * _column_unevenness(upright)
    assert _column_unevenness(straightened) > 0.85 * _column_unevenness(upright)


def test_an_upright_line_is_left_as_it_is():
    line = np.full((48, 200, 3), 255, np.uint8)
    for x in range(20, 180, 22):
        cv2.rectangle(line, (x, 8), (x + 4, 40), (0, 0, 0), -1)
    assert np.array_equal(_upright(line), line)


class _CannedReader:
    """Stands in for the recogniser: gives `reads` in turn and notes the width of each line."""

    def __init__(self, *reads: tuple[str, float]) -> None:
        self.reads = list(reads)
        self.widths: list[int] = []

    def read(self, line: np.ndarray, *, min_aspect: float = 1.0) -> LineRead:
        self.widths.append(round(48 * max(min_aspect, line.shape[1] / line.shape[0])))
        text, p = self.reads.pop(0) if self.reads else ("", 0.0)
        return LineRead(text, tuple({c: p} for c in text))


def _read_row(reader: PlateReader, canned: _CannedReader, width: int):
    frame = np.full((200, 400, 3), 200, np.uint8)
    row = np.array([[10, 10], [10 + width, 10], [10 + width, 58], [10, 58]], np.float32)
    reader._reads_left = 4
    original = reader.line_reader
    reader.line_reader = canned  # type: ignore[assignment]
    try:
        return reader._read_layouts(frame, [[row]], _rectangle(400, 200), 400, 200)
    finally:
        reader.line_reader = original


def test_doubtful_reads_that_agree_back_each_other_up(reader):
    canned = _CannedReader(("京A12345", 0.5), ("京A12345", 0.5))
    found = _read_row(reader, canned, width=100)
    assert found is not None and found[0].text == "京A12345"
    assert found[0].confidence == pytest.approx(0.75)
    assert len(set(canned.widths[:2])) == 2  # two different widths, not the same read twice


def test_a_doubtful_read_alone_stays_doubtful_and_the_search_goes_on(reader):
    canned = _CannedReader(("京A12345", 0.5), ("京A12346", 0.55))
    found = _read_row(reader, canned, width=100)
    assert found is not None and found[0].text == "京A12346"
    assert found[0].confidence == pytest.approx(0.55)
    assert len(canned.widths) == 4  # both widths, as they are and enhanced


def test_a_line_already_wide_enough_is_read_once_per_preparation(reader):
    canned = _CannedReader(("京A12345", 0.5), ("京A12345", 0.5))
    found = _read_row(reader, canned, width=300)
    assert len(canned.widths) == 2  # as it is, and enhanced: never the same line twice
    assert found is not None and found[0].confidence == pytest.approx(0.75)


def test_a_read_sure_on_its_own_ends_the_search(reader):
    canned = _CannedReader(("京A12345", 0.9))
    found = _read_row(reader, canned, width=100)
    assert found is not None and found[0].confidence == pytest.approx(0.9)
    assert len(canned.widths) == 1

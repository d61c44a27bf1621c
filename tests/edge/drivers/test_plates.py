import cv2
import numpy as np
import pytest

from bench.plates import to_1080p
from edge.drivers.plates import PlateRead, PlateReader, PlateTracker, plate_colour
from tests.plates_dev import photo

# Plate grounds and character colours (BGR) as a camera sees them.
GROUNDS = {
    "blue": ((170, 70, 10), (245, 245, 245)),
    "yellow": ((20, 190, 235), (25, 25, 25)),
    "black": ((25, 25, 25), (235, 235, 235)),
    "white": ((235, 235, 235), (25, 25, 25)),
}


def synthetic_plate(colour: str, *, size=(140, 440), text="A12345") -> np.ndarray:
    height, width = size
    if colour == "green":
        # A new-energy plate: white at the top fading to green, black characters.
        plate = np.zeros((height, width, 3), np.uint8)
        for row in range(height):
            share = min(1.0, row / (0.6 * height))
            plate[row] = (1 - share) * np.array([240, 245, 240]) + share * np.array([90, 200, 60])
        ink = (20, 20, 20)
    else:
        ground, ink = GROUNDS[colour]
        plate = np.full((height, width, 3), ground, np.uint8)
    cv2.putText(
        plate, text, (20, int(height * 0.75)), cv2.FONT_HERSHEY_SIMPLEX, height / 45, ink, 6
    )
    return plate


@pytest.mark.parametrize("colour", ["blue", "yellow", "green", "black", "white"])
def test_colour_of_a_plate_crop(colour):
    assert plate_colour(synthetic_plate(colour)) == colour


@pytest.mark.parametrize("colour", ["blue", "yellow", "green", "black", "white"])
def test_colour_holds_in_shade_and_small_crops(colour):
    plate = synthetic_plate(colour, size=(40, 126))
    darker = cv2.convertScaleAbs(plate, alpha=0.7, beta=0)
    assert plate_colour(plate) == colour
    assert plate_colour(darker) == colour


def test_a_greenish_blue_plate_is_blue_for_its_white_characters():
    plate = synthetic_plate("blue")
    hsv = cv2.cvtColor(plate, cv2.COLOR_BGR2HSV)
    hsv[:, :, 0] = np.where(hsv[:, :, 1] > 70, 88, hsv[:, :, 0])  # white balance gone cyan
    assert plate_colour(cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)) == "blue"


def _read(plate: str, confidence: float) -> PlateRead:
    quad = np.zeros((4, 2), np.float32)
    return PlateRead(plate, confidence, "blue", "standard", quad, b"jpeg:" + plate.encode(), plate)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_passage_is_voted_once_after_the_plate_is_gone():
    clock = Clock()
    tracker = PlateTracker(gap_s=2.0, max_reads=10, clock=clock)
    for plate, confidence in [("京A12345", 0.9), ("京A12845", 0.6), ("京A12345", 0.8)]:
        assert tracker.add(_read(plate, confidence)) == []
        clock.now += 0.5
    assert tracker.flush() == []  # seen 0.5 s ago: the car is still there
    clock.now += 2.0
    [passage] = tracker.flush()
    assert passage.vote.text == "京A12345"
    assert passage.vote.reads == 3 and passage.vote.agreeing == 2
    assert passage.best.confidence == 0.9  # the snapshot of the best agreeing read
    assert passage.last_seen - passage.first_seen == pytest.approx(1.0)
    assert tracker.flush(everything=True) == []


def test_two_cars_make_two_passages_and_a_full_one_ends_at_once():
    clock = Clock()
    tracker = PlateTracker(gap_s=2.0, max_reads=3, clock=clock)
    tracker.add(_read("京A12345", 0.9))
    tracker.add(_read("沪B55555", 0.9))
    tracker.add(_read("京A12345", 0.9))
    [full] = tracker.add(_read("京A12345", 0.9))
    assert full.vote.text == "京A12345" and full.vote.reads == 3
    [other] = tracker.flush(everything=True)
    assert other.vote.text == "沪B55555"


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

import numpy as np
import pytest

from edge.drivers.plate_passages import PlateTracker
from edge.drivers.plates import PlateRead


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


def test_a_sure_read_is_taken_at_once_and_its_car_is_one_passage_however_long_it_stands():
    clock = Clock()
    tracker = PlateTracker(gap_s=2.0, max_reads=3, sure=0.9, clock=clock)
    assert tracker.add(_read("京A12345", 0.6)) == []  # not sure yet: wait for more
    clock.now += 0.5
    [taken] = tracker.add(_read("京A12345", 0.95))
    assert taken.vote.text == "京A12345" and taken.best.confidence == 0.95
    for _ in range(10):  # the car stands there, read again and again (past max_reads)
        clock.now += 0.5
        assert tracker.add(_read("京A12345", 0.97)) == []
        assert tracker.flush() == []
    clock.now += 2.0
    assert tracker.flush() == []  # gone: nothing more is said of it
    [again] = tracker.add(_read("京A12345", 0.96))  # a later visit is a new passage
    assert again.first_seen == clock.now


def test_without_a_sure_read_the_passage_still_waits_for_the_vote():
    clock = Clock()
    tracker = PlateTracker(gap_s=2.0, max_reads=10, sure=0.9, clock=clock)
    for confidence in (0.6, 0.7, 0.8):
        assert tracker.add(_read("沪B67890", confidence)) == []
        clock.now += 0.5
    clock.now += 2.0
    [voted] = tracker.flush()
    assert voted.vote.reads == 3

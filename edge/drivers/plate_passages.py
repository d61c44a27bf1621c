"""The frames of one vehicle's passage: reads of similar plates close together in time are
grouped, and voted on once the vehicle has gone, with the best read's snapshot kept; a sure
read is taken at once, so a car waiting at a barrier is not kept waiting for the vote."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from edge.drivers.plates import PlateRead
from protocols.plates import Vote, vote


@dataclass
class _Passage:
    reads: list[PlateRead] = field(default_factory=list)
    first_seen: float = 0.0
    last_seen: float = 0.0
    seen_at: datetime | None = None
    announced: bool = False
    """Taken at once on a sure read: nothing more is said of this passage."""


@dataclass(frozen=True)
class VehicleRead:
    """What the frames of one vehicle's passage agree on, with its best snapshot."""

    vote: Vote
    best: PlateRead
    first_seen: float
    last_seen: float
    """Monotonic times of its first and last read."""
    seen_at: datetime | None
    """When its first frame was taken, if the reads said."""


class PlateTracker:
    """Groups reads into passages and votes once per passage.

    A passage is the reads of similar plates (one character apart at most) less than `gap_s`
    apart; it ends `gap_s` after its last read, or once it holds `max_reads` reads, and then
    `flush` returns its vote.
    """

    def __init__(
        self,
        *,
        gap_s: float = 2.0,
        max_reads: int = 8,
        sure: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gap_s = gap_s
        self.max_reads = max_reads
        self.sure = sure
        self._clock = clock
        self._open: list[_Passage] = []

    def add(self, read: PlateRead, *, at: datetime | None = None) -> list[VehicleRead]:
        """Record a read (of a frame taken `at`); returns the passages this ends (full ones, or
        this one on a sure read), usually none."""
        now = self._clock()
        passage = next((p for p in self._open if _similar(p.reads[-1].plate, read.plate)), None)
        if passage is None:
            passage = _Passage(first_seen=now, seen_at=at)
            self._open.append(passage)
        passage.last_seen = now
        if passage.announced:
            return []
        passage.reads.append(read)
        if self.sure is not None and read.confidence >= self.sure:
            taken = self._results([passage])
            passage.announced = bool(taken)
            if taken:
                return taken
        done = [p for p in self._open if len(p.reads) >= self.max_reads and not p.announced]
        return self._close(done)

    def flush(self, *, everything: bool = False) -> list[VehicleRead]:
        """Passages with no read for `gap_s` (all of them if `everything`), voted."""
        now = self._clock()
        done = [p for p in self._open if everything or now - p.last_seen >= self.gap_s]
        return self._close(done)

    def _close(self, done: list[_Passage]) -> list[VehicleRead]:
        for passage in done:
            self._open.remove(passage)
        return self._results([p for p in done if not p.announced])

    def _results(self, passages: list[_Passage]) -> list[VehicleRead]:
        out = []
        for passage in passages:
            result = vote([(r.plate, r.confidence) for r in passage.reads])
            if result is None:
                continue
            matching = [r for r in passage.reads if r.plate == result.text] or passage.reads
            best = max(matching, key=lambda r: r.confidence)
            out.append(
                VehicleRead(result, best, passage.first_seen, passage.last_seen, passage.seen_at)
            )
        return out


def _similar(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) <= 1

"""Plate reader: finds plates in a frame, reads them, fits the reads to the national formats,
and keeps a JPEG of the plate with each read (`plate_passages` votes over the frames of one
vehicle).

Per candidate region (`plate_finder`): a window around it goes through PP-OCR's text detector
to find the exact text line(s) — one for a single-row plate, two for a double-row one — each
line through the recogniser, and the characters through `protocols.plates.correct`. The most
plate-like candidates go first and the search stops at the first confident read, so a frame
with a clear plate costs one detection and one recognition.
"""

import dataclasses
import itertools
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from edge.drivers.plate_finder import (
    Candidate,
    Image,
    Quad,
    cut_out,
    find_candidates,
    plate_colour,
)
from edge.drivers.plate_ocr import LineFinder, LineReader, TextLine
from protocols.plates import Correction, PlateColour, correct

CONFIDENT = 0.7
"""A read at least this sure ends the search of a frame."""
MIN_CONFIDENCE = 0.6
"""A read less sure than this is not reported at all."""
MAX_CANDIDATES = 4
"""Candidate regions tried per frame at most (each costs a detection and a recognition)."""
MAX_LINE_READS = 4
"""Recognitions per frame at most, so a frame full of text-like things costs bounded time."""
WINDOW_GROW = (1.5, 2.4)
"""A candidate's window for the text detector: this many times its width and height."""
WINDOW_MIN_ASPECT = 4.5
"""... and at least this many times its height wide."""
WINDOW_HEIGHT = 192
ONE_ROW_ASPECT = 3.3
"""A text line this many times wider than high holds a whole single-row plate."""
READ_ASPECTS = (3.6, 4.6)
"""A single-row plate's line goes to the recogniser at least this many times wider than high,
once at each (the second only if the first was not sure enough).
The detector's line reaches well above and below the characters, so a plate seen small or at
an angle can come out little over twice as wide as high; squeezed that narrow, the model's
columns (one per 8 pixels) are too few for seven or eight characters and a separator, and
thin characters (a run of 1s) or whole letters vanish between them."""
CROP_MAX_HEIGHT = 400
"""A picture at most this high may itself be a cropped plate, and is read whole as well."""
MAX_SHEAR = 0.5
"""Characters leaning up to this far (horizontal shift per unit of height) are set upright."""
SHEAR_STEPS = 21
SNAPSHOT_HEIGHT = 64
JPEG_QUALITY = 85


@dataclass(frozen=True)
class PlateRead:
    """One plate read in one frame."""

    plate: str
    confidence: float
    colour: PlateColour
    format: str
    quad: Quad
    """Where it is in the frame (corners in pixels)."""
    jpeg: bytes
    """The plate, straightened, as a JPEG."""
    raw: str
    """What the recogniser read, before fitting it to a format."""


class PlateReader:
    """Reads the plates of camera frames (BGR arrays) on one CPU thread."""

    def __init__(self, *, threads: int = 1, max_candidates: int = MAX_CANDIDATES) -> None:
        cv2.setNumThreads(threads)
        self.line_reader = LineReader(threads=threads)
        self.line_finder = LineFinder(threads=threads)
        self.max_candidates = max_candidates
        self._reads_left = 0
        self._lock = threading.Lock()  # one frame at a time: cameras may share a reader
        _evened(np.zeros((48, 96, 3), np.uint8))  # OpenCV builds its colour tables on first use

    def __repr__(self) -> str:
        return f"PlateReader(max_candidates={self.max_candidates})"

    def read(self, frame: Image) -> PlateRead | None:
        """The most certain valid plate in `frame`, or None."""
        with self._lock:
            return self._read(frame)

    def _read(self, frame: Image) -> PlateRead | None:
        best: PlateRead | None = None
        self._reads_left = MAX_LINE_READS
        candidates = find_candidates(frame)[: self.max_candidates]
        if min(frame.shape[:2]) <= CROP_MAX_HEIGHT:
            candidates.append(_whole(frame))
        for candidate in candidates:
            if self._reads_left <= 0:
                break
            found = self._read_candidate(frame, candidate)
            if found is not None and (best is None or found.confidence > best.confidence):
                best = found
            if best is not None and best.confidence >= CONFIDENT:
                break
        return best if best is not None and best.confidence >= MIN_CONFIDENCE else None

    def _read_candidate(self, frame: Image, candidate: Candidate) -> PlateRead | None:
        window_quad = _window(candidate) if candidate.score > 0 else candidate.quad
        window = cut_out(frame, window_quad, height=WINDOW_HEIGHT, margin=0.0)
        lines = sorted(self.line_finder.find(window), key=lambda line: line.centre[1])
        layouts = _layouts(lines, window.shape[0])
        if "double" in candidate.layouts and candidate.score > 0:
            # A plate-coloured region of a double-row plate's shape makes two rows likelier; a
            # line long enough for a whole plate's characters, one.
            two_rows = candidate.colour is not None and candidate.layouts[0] == "double"
            one_row = any(line.core_aspect >= ONE_ROW_ASPECT for line in lines)
            at = 1 if one_row and not two_rows else 0
            layouts.insert(at, _double_rows(candidate, window_quad, window))
        best = self._read_layouts(frame, layouts, window_quad, window.shape[1], window.shape[0])
        if best is None:
            return None
        fitted, quad, raw = best
        plate = cut_out(frame, quad, height=SNAPSHOT_HEIGHT, margin=0.06)
        return PlateRead(
            plate=fitted.text,
            confidence=fitted.confidence,
            colour=plate_colour(plate),
            format=fitted.format,
            quad=quad,
            jpeg=encode_jpeg(plate),
            raw=raw,
        )

    def _read_layouts(
        self, frame: Image, layouts: list[list[Quad]], window_quad: Quad, width: int, height: int
    ) -> tuple[Correction, Quad, str] | None:
        """The best plate the layouts (rows in window pixels) read as. Lines as they are first,
        then with contrast evened out (glare, shade) and strokes made bolder; a single row at
        each of READ_ASPECTS. Reads that agree on a plate back each other up: their
        confidences combine as independent chances of being right. Only one read sure on its
        own ends the search early, so agreeing doubtful reads do not shut out a better one."""
        agreed: dict[str, tuple[Correction, Quad, str]] = {}
        best: tuple[Correction, Quad, str] | None = None
        seen: set[tuple[bool, tuple[int, ...]]] = set()
        for enhance, aspect in itertools.product((False, True), READ_ASPECTS):
            for rows in layouts:
                if self._reads_left < len(rows) or (len(rows) > 1 and aspect != READ_ASPECTS[0]):
                    continue
                in_frame = [_to_frame(row, window_quad, width, height) for row in rows]
                found = self._attempt(frame, in_frame, enhance=enhance, aspect=aspect, seen=seen)
                if found is None:
                    continue
                fitted = found[0]
                sure = fitted.confidence >= CONFIDENT
                if fitted.text in agreed:
                    earlier = agreed[fitted.text][0].confidence
                    together = 1.0 - (1.0 - earlier) * (1.0 - fitted.confidence)
                    fitted = dataclasses.replace(fitted, confidence=round(together, 4))
                    found = (fitted, *found[1:])
                agreed[fitted.text] = found
                if best is None or fitted.confidence > best[0].confidence:
                    best = found
                if sure:
                    return best
        return best

    def _attempt(
        self,
        frame: Image,
        rows: list[Quad],
        *,
        enhance: bool,
        aspect: float,
        seen: set[tuple[bool, tuple[int, ...]]],
    ) -> tuple[Correction, Quad, str] | None:
        """Read `rows` of `frame` (one line, or the two of a double-row plate) as one plate;
        each line is cut from the frame itself, so a small plate is resampled only once. None
        also for lines that would go to the recogniser exactly as an earlier read's did (a
        line already wider than `aspect`): the same read twice is no second opinion."""
        min_aspect = aspect if len(rows) == 1 else 1.0
        lines = [_upright(cut_out(frame, quad, height=48, margin=0.04)) for quad in rows]
        widths = tuple(max(line.shape[1], round(line.shape[0] * min_aspect)) for line in lines)
        if (enhance, widths) in seen:
            return None
        seen.add((enhance, widths))
        chars: list[dict[str, float]] = []
        raw = []
        for line in lines:
            line = _bolder(_evened(line)) if enhance else line
            read = self.line_reader.read(line, min_aspect=min_aspect)
            self._reads_left -= 1
            chars += read.chars
            raw.append(read.text)
        fitted = correct(chars)
        return None if fitted is None else (fitted, _plate_quad(rows), "/".join(raw))


def _upright(line: Image) -> Image:
    """`line` with its characters' lean taken out. A plate seen from the side or from below
    and straightened only by the rotated rectangle of its text keeps its characters slanted,
    like italics, which the recogniser misreads; sheared the right amount, the vertical
    strokes line up and the columns of the line's horizontal gradient are at their most
    uneven (strokes and gaps, not a blur of both)."""
    height, width = line.shape[:2]
    luma = cv2.cvtColor(line, cv2.COLOR_BGR2GRAY)
    edges = np.abs(cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3))
    best_shear, best_score = 0.0, -1.0
    for shear in np.linspace(-MAX_SHEAR, MAX_SHEAR, SHEAR_STEPS):
        columns = cv2.warpAffine(edges, _shear(float(shear), height), (width, height)).sum(axis=0)
        score = float(np.square(columns).sum())
        if score > best_score:
            best_shear, best_score = float(shear), score
    if best_shear == 0.0:
        return line
    return cv2.warpAffine(
        line, _shear(best_shear, height), (width, height), borderMode=cv2.BORDER_REPLICATE
    )


def _shear(shear: float, height: int) -> Image:
    """The affine map that shifts each row by `shear` times its distance from the middle."""
    return np.array([[1.0, shear, -shear * height / 2], [0.0, 1.0, 0.0]], np.float32)


def _evened(line: Image) -> Image:
    """`line` with local contrast equalised on its lightness."""
    lab = cv2.cvtColor(line, cv2.COLOR_BGR2LAB)
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(2, 8))
    lab[:, :, 0] = clahe.apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def _bolder(line: Image) -> Image:
    """`line` with its characters' strokes a pixel thicker (thin 1s otherwise vanish): the
    minority of a line's pixels are its characters, light or dark."""
    luma = cv2.cvtColor(line, cv2.COLOR_BGR2GRAY)
    threshold, _ = cv2.threshold(luma, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    kernel = np.ones((2, 2), np.uint8)
    if np.count_nonzero(luma > threshold) < 0.5 * luma.size:
        return cv2.dilate(line, kernel)
    return cv2.erode(line, kernel)


def _window(candidate: Candidate) -> Quad:
    """The region around a candidate the text detector searches: taller than the candidate,
    and wide enough for a whole plate even where only part of it showed its colour."""
    grow_x = max(WINDOW_GROW[0], WINDOW_MIN_ASPECT / candidate.aspect)
    return _through(candidate.quad, _centred_box(grow_x, WINDOW_GROW[1]))


def _double_rows(candidate: Candidate, window_quad: Quad, window: Image) -> list[Quad]:
    """The two rows of a double-row plate, in window pixels: the province and letter in the
    middle of the top third, the serial across the bottom two thirds."""
    top = np.array([[0.15, -0.02], [0.85, -0.02], [0.85, 0.40], [0.15, 0.40]], np.float32)
    bottom = np.array([[-0.02, 0.33], [1.02, 0.33], [1.02, 1.02], [-0.02, 1.02]], np.float32)
    corners = _rectangle(window.shape[1], window.shape[0])
    to_window = cv2.getPerspectiveTransform(window_quad.astype(np.float32), corners)
    rows = []
    for part in (top, bottom):
        in_frame = _through(candidate.quad, part)
        rows.append(cv2.perspectiveTransform(in_frame.reshape(-1, 1, 2), to_window).reshape(4, 2))
    return rows


def _centred_box(grow_x: float, grow_y: float) -> Quad:
    x0, x1 = 0.5 - grow_x / 2, 0.5 + grow_x / 2
    y0, y1 = 0.5 - grow_y / 2, 0.5 + grow_y / 2
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def _through(quad: Quad, unit: Quad) -> Quad:
    """Points given relative to `quad` (its corners are (0,0), (1,0), (1,1), (0,1)) in the
    frame: perspective is kept, so a plate seen at an angle stays a plate."""
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    transform = cv2.getPerspectiveTransform(square, quad.astype(np.float32))
    return cv2.perspectiveTransform(unit.reshape(-1, 1, 2), transform).reshape(4, 2)


def _whole(frame: Image) -> Candidate:
    """The whole frame as a last candidate: a picture that is already a cropped plate."""
    h, w = frame.shape[:2]
    return Candidate(quad=_rectangle(w, h), colour=None, score=0.0, aspect=w / h)


def _quad(line: TextLine) -> Quad:
    points = cv2.boxPoints(line.rect)
    by_sum = points.sum(axis=1)
    by_diff = np.diff(points, axis=1).ravel()
    return np.array(
        [points[by_sum.argmin()], points[by_diff.argmin()], points[by_sum.argmax()],
         points[by_diff.argmax()]],
        dtype=np.float32,
    )  # fmt: skip


def _layouts(lines: list[TextLine], height: int) -> list[list[Quad]]:
    """Ways the detected lines may make a plate: the longest line alone, and a short line above
    a longer one (a double-row plate: province and letter over the serial)."""
    tall_enough = [line for line in lines if line.size[1] >= height * 0.12]
    if not tall_enough:
        return []
    out = [[_quad(max(tall_enough, key=lambda line: line.size[0] * line.size[1]))]]
    for upper, lower in itertools.pairwise(tall_enough):
        (ux, uy), (uw, uh) = upper.centre, upper.size
        (lx, ly), (lw, lh) = lower.centre, lower.size
        stacked = ly - uy > 0.5 * (uh + lh) / 2 and abs(ux - lx) < lw / 2
        if stacked and uw < lw * 1.1 and lh >= uh * 0.9:
            out.append([_quad(upper), _quad(lower)])
    return out


def _plate_quad(rows: list[Quad]) -> Quad:
    """The plate the rows make: the one row, or the lower row stretched up over the upper one
    (a double-row plate's upper row is the narrower)."""
    lower = rows[-1]
    if len(rows) == 1:
        return lower
    top_left, top_right, bottom_right, bottom_left = lower
    rise = float(lower[0][1] - rows[0][0][1]) / max(float(bottom_left[1] - top_left[1]), 1.0)
    return np.array(
        [
            top_left + (top_left - bottom_left) * rise,
            top_right + (top_right - bottom_right) * rise,
            bottom_right,
            bottom_left,
        ],
        dtype=np.float32,
    )


def _to_frame(quad: Quad, window_quad: Quad, width: int, height: int) -> Quad:
    """Corners of `quad` (window pixels) in the frame the window was cut from."""
    corners = _rectangle(width, height)
    back = cv2.getPerspectiveTransform(corners, window_quad.astype(np.float32))
    return cv2.perspectiveTransform(quad.reshape(-1, 1, 2), back).reshape(4, 2)


def _rectangle(width: int, height: int) -> Quad:
    """The corners of a whole image `width` x `height`."""
    return np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
    )


def encode_jpeg(image: Image) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode the snapshot as JPEG")
    return bytes(data.tobytes())

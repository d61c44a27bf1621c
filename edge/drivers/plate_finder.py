"""Finding licence plates in a camera frame without a detection network: regions of plate
colour (blue, yellow, new-energy green) and regions dense in vertical strokes (any colour,
black and white plates too), each scored for how much it looks like a plate, then cut out
upright and straightened for the recogniser; and telling a plate's colour from its crop.

Everything works on a copy of the frame scaled to WORK_SIDE on its longer side, so the cost per
frame is fixed whatever the camera sends; cut-outs come from the full-resolution frame.
"""

import math
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from protocols.plates import PLATE_COLOURS, PlateColour

Image = npt.NDArray[Any]
"""An OpenCV image: height x width x 3 (BGR) or height x width, 8 bits."""
Quad = npt.NDArray[Any]
"""Four corners (x, y) in frame pixels, float32: top-left, top-right, bottom-right,
bottom-left."""

WORK_SIDE = 960
"""Longer side of the scaled copy the finder searches (1080p -> 960 x 540)."""
MIN_PLATE_HEIGHT = 7
"""In scaled pixels: a plate lower than this has characters too small to read."""
SINGLE_ASPECT = 440 / 140
DOUBLE_ASPECT = 440 / 220
LIKENESS_HEIGHT = 32
"""Height a candidate is straightened to for judging it."""

# OpenCV HSV: hue 0..180, saturation and value 0..255.
COLOUR_RANGES: dict[PlateColour, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "blue": ((100, 70, 40), (124, 255, 255)),
    "yellow": ((12, 80, 70), (34, 255, 255)),
    "green": ((35, 35, 50), (85, 255, 255)),
}

Layout = Literal["single", "double"]


@dataclass(frozen=True)
class Candidate:
    """A region that may be a plate: where it is in the frame and what it looks like."""

    quad: Quad
    colour: PlateColour | None
    score: float
    aspect: float

    @property
    def layouts(self) -> tuple[Layout, ...]:
        """How its text may be laid out: one row, two rows, or either."""
        if self.aspect >= 2.9:
            return ("single",)
        if self.aspect <= 2.3:
            return ("double", "single")
        return ("single", "double")


def find_candidates(frame: Image, *, limit: int = 8) -> list[Candidate]:
    """Likely plates in `frame` (BGR), the most plate-like first."""
    height, width = frame.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    small = (
        frame
        if scale == 1.0
        else cv2.resize(
            frame, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
        )
    )
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    found: list[Candidate] = []
    for colour, (low, high) in COLOUR_RANGES.items():
        mask = cv2.inRange(hsv, np.array(low, np.uint8), np.array(high, np.uint8))
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, _kernel(7, 3))
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, _kernel(3, 3))
        found += _regions(mask, small, colour)
    found += _regions(_stroke_mask(gray), small, None)
    found = _without_duplicates(sorted(found, key=lambda c: -c.score))[:limit]
    return [
        Candidate(quad=c.quad / np.float32(scale), colour=c.colour, score=c.score, aspect=c.aspect)
        for c in found
    ]


def _kernel(width: int, height: int) -> Image:
    return cv2.getStructuringElement(cv2.MORPH_RECT, (width, height))


def _stroke_mask(gray: Image) -> Image:
    """Where vertical strokes crowd together, as text does: the plate of any colour."""
    edges = cv2.convertScaleAbs(cv2.Sobel(cv2.GaussianBlur(gray, (3, 3), 0), cv2.CV_16S, 1, 0))
    _, strong = cv2.threshold(edges, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    strong = cv2.morphologyEx(strong, cv2.MORPH_CLOSE, _kernel(15, 3))
    return cv2.morphologyEx(strong, cv2.MORPH_OPEN, _kernel(5, 5))


def _regions(mask: Image, small: Image, colour: PlateColour | None) -> list[Candidate]:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if area < 4 * MIN_PLATE_HEIGHT * MIN_PLATE_HEIGHT:
            continue
        (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
        if w < h:
            w, h, angle = h, w, angle + 90
        if h < MIN_PLATE_HEIGHT or abs(_signed(angle)) > 30:
            continue
        aspect = w / h
        if not 1.4 <= aspect <= 6.5 or area / (w * h) < 0.45:
            continue
        box = _ordered(cv2.boxPoints(((cx, cy), (w, h), angle)))
        quad = _corners(contour, box) if colour is not None else box
        score = _plate_likeness(quad, small, colour, aspect)
        if score > 0:
            out.append(Candidate(quad=quad, colour=colour, score=score, aspect=aspect))
    return out


def _signed(angle: float) -> float:
    """An angle folded into -90..90 degrees."""
    return (angle + 90) % 180 - 90


def _ordered(points: npt.NDArray[Any]) -> Quad:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    points = np.asarray(points, dtype=np.float32)
    by_sum = points.sum(axis=1)
    by_diff = np.diff(points, axis=1).ravel()
    return np.array(
        [
            points[by_sum.argmin()],
            points[by_diff.argmin()],
            points[by_sum.argmax()],
            points[by_diff.argmax()],
        ],
        dtype=np.float32,
    )


def _corners(contour: npt.NDArray[Any], box: Quad) -> Quad:
    """The four corners of a coloured region seen at an angle (a plate is a rectangle in
    perspective), or its bounding rotated rectangle if it has no clear four corners."""
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for share in (0.02, 0.04, 0.06, 0.08):
        polygon = cv2.approxPolyDP(hull, share * perimeter, True)
        if len(polygon) == 4:
            quad = _ordered(polygon.reshape(4, 2))
            # Trust it only if it covers most of the rotated rectangle.
            if cv2.contourArea(quad) >= 0.8 * cv2.contourArea(box):
                return quad
            break
    return box


def _plate_likeness(quad: Quad, small: Image, colour: PlateColour | None, aspect: float) -> float:
    """0 for not a plate, more for more plate-like: a row of character-sized marks on the
    region straightened, at a plate's proportions. Light marks on blue (and on anything
    without a colour), dark marks on yellow and green."""
    straight = cut_out(small, quad, height=LIKENESS_HEIGHT, margin=0.0)
    patch = cv2.cvtColor(straight, cv2.COLOR_BGR2GRAY)
    marks = 0
    for light in (False, True) if colour is None else (colour == "blue",):
        flag = cv2.THRESH_BINARY if light else cv2.THRESH_BINARY_INV
        _, binary = cv2.threshold(patch, 0, 255, flag | cv2.THRESH_OTSU)
        marks = max(marks, _character_marks(binary))
    shape = max(
        1.0 - abs(math.log(aspect / SINGLE_ASPECT)) / 0.8,
        1.0 - abs(math.log(aspect / DOUBLE_ASPECT)) / 0.5,
        0.0,
    )
    ground = 1.0 if colour is not None else 0.6
    return min(marks, 7) / 7 * (0.3 + shape) * ground


def _character_marks(binary: Image) -> int:
    """Connected marks of a character's size: most of the height (or of a double-row plate's
    lower row) and a narrow share of the width."""
    height, width = binary.shape
    count, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    h = stats[1:, cv2.CC_STAT_HEIGHT]
    w = stats[1:, cv2.CC_STAT_WIDTH]
    sized = (h >= 0.3 * height) & (h <= 0.95 * height) & (w <= 0.2 * width) & (w * 6 >= h)
    return int(np.count_nonzero(sized)) if count > 1 else 0


def _without_duplicates(candidates: list[Candidate]) -> list[Candidate]:
    """Keep the better-scored of regions that mostly overlap (colour and stroke views of one
    plate)."""
    kept: list[Candidate] = []
    boxes: list[tuple[float, float, float, float]] = []
    for candidate in candidates:
        x0, y0 = candidate.quad.min(axis=0)
        x1, y1 = candidate.quad.max(axis=0)
        box = (float(x0), float(y0), float(x1), float(y1))
        if all(_overlap(box, other) < 0.6 for other in boxes):
            kept.append(candidate)
            boxes.append(box)
    return kept


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over the smaller box."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / max(smaller, 1e-6)


def cut_out(frame: Image, quad: Quad, *, height: int = 96, margin: float = 0.08) -> Image:
    """The region `quad` of `frame`, upright, `height` pixels high, with a small margin so no
    character at the edge is clipped."""
    top_left, top_right, bottom_right, bottom_left = quad.astype(np.float32)
    width_px = max(_length(top_right - top_left), _length(bottom_right - bottom_left))
    height_px = max(_length(bottom_left - top_left), _length(bottom_right - top_right))
    aspect = width_px / max(height_px, 1.0)
    width = max(height, round(height * aspect))
    mx, my = margin * width, margin * height
    target = np.array(
        [[mx, my], [width - 1 - mx, my], [width - 1 - mx, height - 1 - my], [mx, height - 1 - my]],
        dtype=np.float32,
    )
    transform = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(
        frame, transform, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _length(vector: npt.NDArray[Any]) -> float:
    return float(np.linalg.norm(vector))


def plate_colour(plate: Image) -> PlateColour:
    """The plate's ground colour from a straightened crop (BGR).

    Which way the characters contrast decides first — light characters on blue and black
    plates, dark ones on yellow, green and white plates — so a blue plate that a camera's
    white balance turned greenish stays blue. Then the hue most saturated pixels share, or,
    with too few of those, black or white."""
    h, w = plate.shape[:2]
    middle = plate[h // 6 : h - h // 6, w // 10 : w - w // 10]
    luma = cv2.cvtColor(middle, cv2.COLOR_BGR2GRAY)
    threshold, _ = cv2.threshold(luma, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    light_characters = np.count_nonzero(luma > threshold) < 0.5 * luma.size
    hsv = cv2.cvtColor(middle, cv2.COLOR_BGR2HSV).reshape(-1, 3).astype(np.int32)
    hue, sat, val = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    coloured = (sat >= 70) & (val >= 35)
    if light_characters:
        counts = {"blue": np.count_nonzero(coloured & (hue >= 75) & (hue <= 135))}
    else:
        counts = {
            "yellow": np.count_nonzero(coloured & (hue >= 8) & (hue < 35)),
            # A new-energy plate fades from green to white at the top: less green suffices.
            "green": np.count_nonzero(coloured & (hue >= 35) & (hue < 95)) * 2,
        }
    name = max(counts, key=lambda c: int(counts[c]))
    if counts[name] >= 0.25 * len(hsv):
        return _colour(name)
    return "black" if light_characters else "white"


def _colour(name: str) -> PlateColour:
    for colour in PLATE_COLOURS:
        if colour == name:
            return colour
    raise ValueError(name)

"""Reading one line of plate text with PP-OCR's recognition model (CRNN, CTC), run by
onnxruntime on one thread. The model ships inside the `rapidocr-onnxruntime` wheel; nothing is
downloaded.

What comes back is not a string but, for every character read, the probabilities of the plate
characters at that point, so `protocols.plates.correct` can choose by position (a D where only
letters may stand, although the model slightly preferred 0).
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from edge.drivers.plate_finder import Image
from protocols.plates import ALPHABET, normalise, plate_character

MODEL_PACKAGE = "rapidocr_onnxruntime"
MODEL_FILE = "models/ch_PP-OCRv4_rec_infer.onnx"
LINE_HEIGHT = 48
"""The model's input height."""
MAX_LINE_WIDTH = 8 * LINE_HEIGHT


class TextLine(NamedTuple):
    """A detected line as an OpenCV rotated rectangle (centre, size, angle in degrees), long
    side first, grown around the detector's core; and how elongated that core was."""

    centre: tuple[float, float]
    size: tuple[float, float]
    angle: float
    core_aspect: float

    @property
    def rect(self) -> tuple[tuple[float, float], tuple[float, float], float]:
        return self.centre, self.size, self.angle


ALTERNATIVES = 5
"""Plate characters kept per position besides the model's own choice."""


class PlateOcrError(RuntimeError):
    """The recognition model cannot be found or loaded."""


def bundled_model() -> Path:
    """The recognition model inside the installed wheel (found without importing the package,
    whose own pipeline we do not use)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise PlateOcrError(f"{MODEL_PACKAGE} is not installed; it carries the PP-OCR model")
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise PlateOcrError(f"no recognition model at {path}")
    return path


@dataclass(frozen=True)
class LineRead:
    """What the model read on one line: its text and, per character, plate-character odds."""

    text: str
    chars: tuple[dict[str, float], ...]


class LineReader:
    """PP-OCR text recognition for single lines of plate text."""

    def __init__(self, model: Path | None = None, *, threads: int = 1) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model or bundled_model()), options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        meta = self._session.get_modelmeta().custom_metadata_map
        if "character" not in meta:
            raise PlateOcrError("the recognition model carries no character list")
        # Index 0 is the CTC blank; the model's own list ends with a space.
        self._vocab = ["", *meta["character"].splitlines(), " "]
        wanted = set(ALPHABET)
        self._plate_columns = np.array([i for i, c in enumerate(self._vocab) if c in wanted])
        self._plate_chars = [self._vocab[i] for i in self._plate_columns]
        # Symbols that on a plate can only be one plate character (k, I, !, full-width forms)
        # give their probability to that character: a thin 1 the model spreads over 1, I and
        # ! is then a 1 rather than a gap.
        column = {c: i for i, c in enumerate(self._vocab) if c}
        pairs = [
            (i, column[char])
            for i, symbol in enumerate(self._vocab)
            if (char := plate_character(symbol)) is not None and char != symbol and char in column
        ]
        self._alike = np.array([i for i, _ in pairs], dtype=np.int64)
        self._alike_of = np.array([j for _, j in pairs], dtype=np.int64)

    def __repr__(self) -> str:
        return f"LineReader({len(self._vocab)} characters)"

    def read(self, line: Image, *, min_aspect: float = 1.0) -> LineRead:
        """Read one line (BGR, any size; it is scaled to the model's height, and stretched to
        at least `min_aspect` times that wide)."""
        height, width = line.shape[:2]
        aspect = max(min_aspect, width / max(height, 1))
        target = min(MAX_LINE_WIDTH, max(LINE_HEIGHT, round(LINE_HEIGHT * aspect)))
        resized = cv2.resize(line, (target, LINE_HEIGHT), interpolation=cv2.INTER_LINEAR)
        tensor = resized.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0
        probs = self._session.run(None, {self._input: tensor[np.newaxis]})[0][0]
        return self._decode(np.asarray(probs, dtype=np.float32))

    def _decode(self, probs: npt.NDArray[np.float32]) -> LineRead:
        probs = probs.copy()
        np.add.at(probs.T, self._alike_of, probs[:, self._alike].T)
        probs[:, self._alike] = 0.0
        best = probs.argmax(axis=1)
        text: list[str] = []
        chars: list[dict[str, float]] = []
        step = 0
        while step < len(best):
            index = int(best[step])
            end = step
            while end + 1 < len(best) and best[end + 1] == index:
                end += 1
            if index != 0:
                peak = step + int(probs[step : end + 1, index].argmax())
                read = self._position(probs[peak], index)
                if read is not None:
                    text.append(next(iter(read)))
                    chars.append(read)
            step = end + 1
        return LineRead("".join(text), tuple(chars))

    def _position(self, row: npt.NDArray[np.float32], index: int) -> dict[str, float] | None:
        """The model's choice first, then the likeliest plate characters; None for a separator."""
        own = normalise(self._vocab[index])
        plate = row[self._plate_columns]
        top = np.argsort(plate)[::-1][:ALTERNATIVES]
        alternatives = {self._plate_chars[i]: float(plate[i]) for i in top}
        if len(own) != 1:
            # A separator (·, :, -) or a space: not a character of the plate, unless a plate
            # character was nearly as likely.
            if plate[top[0]] < 0.5 * float(row[index]):
                return None
            return alternatives
        return {own: float(row[index]), **{c: p for c, p in alternatives.items() if c != own}}


DET_MODEL_FILE = "models/ch_PP-OCRv4_det_infer.onnx"
DET_THRESHOLD = 0.3
"""Pixels the detector is at least this sure are text form a line's core."""
DET_BOX_THRESHOLD = 0.5
"""A line is kept if its core's mean certainty reaches this."""
DET_UNCLIP = 1.6
"""The core is grown by area * UNCLIP / perimeter on each side: cores are drawn shrunk."""


class LineFinder:
    """PP-OCR text detection (DB): the text lines in a small image, as rotated rectangles."""

    def __init__(self, model: Path | None = None, *, threads: int = 1) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        path = model or bundled_model().with_name(Path(DET_MODEL_FILE).name)
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def __repr__(self) -> str:
        return "LineFinder()"

    def find(self, image: Image, *, height: int = 96) -> list[TextLine]:
        """Text lines of `image` (scaled to `height`, a multiple of 32) as OpenCV rotated
        rectangles in `image` pixels, long side first."""
        h, w = image.shape[:2]
        width = max(32, round(w * height / h / 32) * 32)
        resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
        tensor = resized.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0
        prob = np.asarray(self._session.run(None, {self._input: tensor[np.newaxis]})[0][0, 0])
        core = (prob > DET_THRESHOLD).astype(np.uint8)
        contours, _ = cv2.findContours(core, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        sx, sy = w / width, h / height
        lines = []
        for contour in contours:
            (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
            if min(rw, rh) < 3:
                continue
            x, y, bw, bh = cv2.boundingRect(contour)
            inside = np.zeros((bh, bw), np.uint8)
            cv2.drawContours(inside, [contour - [x, y]], -1, 1, thickness=-1)
            if float(prob[y : y + bh, x : x + bw][inside > 0].mean()) < DET_BOX_THRESHOLD:
                continue
            core_aspect = max(rw, rh) / min(rw, rh)
            grow = rw * rh * DET_UNCLIP / (2 * (rw + rh))
            rw, rh = rw + 2 * grow, rh + 2 * grow
            if rw < rh:
                rw, rh, angle = rh, rw, angle + 90
            lines.append(TextLine((cx * sx, cy * sy), (rw * sx, rh * sy), angle, core_aspect))
        return lines

"""Chinese licence plates as text: the national formats, position-aware correction of what an
OCR read, and a vote across the reads of one vehicle. Pure: no images, no I/O.

A plate is written without separators: province character, issuing-authority letter, then the
serial (`京A12345`); new-energy plates have a six-character serial (`湘DD08808`, `皖A12345D`);
a few kinds end with a special character (`粤ZP560港`, `京A1234警`); embassy plates start with
使. Double-layer plates are written top row then bottom row. Serials never use I or O.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
"""Letters a plate may carry: the alphabet without I and O (they read as 1 and 0)."""
DIGITS = "0123456789"
ALNUM = DIGITS + LETTERS
SUFFIXES = "学警挂领港澳"
EMBASSY = "使"
NEW_ENERGY_SMALL_FIRST = "DABCEFGHJK"
"""First serial character of a small new-energy plate: D, A–E pure electric; F, G–K others."""
NEW_ENERGY_LARGE_LAST = "DF"

ALPHABET = PROVINCES + LETTERS + DIGITS + SUFFIXES + EMBASSY
"""Every character a plate can show."""

PlateColour = Literal["blue", "yellow", "green", "black", "white"]
PLATE_COLOURS: tuple[PlateColour, ...] = ("blue", "yellow", "green", "black", "white")

CONFUSABLE: Mapping[str, str] = {
    "0": "DQ",
    "D": "0Q",
    "Q": "0D",
    "O": "0DQ",
    "8": "B",
    "B": "8",
    "1": "I",
    "I": "1",
    "2": "Z",
    "Z": "2",
    "5": "S",
    "S": "5",
    "6": "G",
    "G": "6",
}
"""Characters an OCR mistakes for one another on plates: read -> what it may really be."""
CONFUSION_FACTOR = 0.8
"""A character put in place of a confusable one keeps this share of the read's probability."""


@dataclass(frozen=True)
class PlateFormat:
    """One national format: the characters allowed at each position."""

    name: str
    slots: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.slots)

    def matches(self, text: str) -> bool:
        return len(text) == len(self.slots) and all(
            c in s for c, s in zip(text, self.slots, strict=True)
        )


FORMATS: tuple[PlateFormat, ...] = (
    PlateFormat("standard", (PROVINCES, LETTERS, *[ALNUM] * 5)),
    PlateFormat(
        "new_energy_small", (PROVINCES, LETTERS, NEW_ENERGY_SMALL_FIRST, ALNUM, *[DIGITS] * 4)
    ),
    PlateFormat("new_energy_large", (PROVINCES, LETTERS, *[DIGITS] * 5, NEW_ENERGY_LARGE_LAST)),
    PlateFormat("special", (PROVINCES, LETTERS, *[ALNUM] * 4, SUFFIXES)),
    PlateFormat("embassy", (EMBASSY, *[DIGITS] * 6)),
)


def plate_format(text: str) -> PlateFormat | None:
    """The national format `text` follows, or None if it follows none."""
    return next((f for f in FORMATS if f.matches(text)), None)


def is_valid_plate(text: str) -> bool:
    return plate_format(text) is not None


def normalise(text: str) -> str:
    """Upper case without separators, spaces or full-width forms: `苏E·D0N19` -> `苏ED0N19`."""
    out = []
    for char in text:
        code = ord(char)
        if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII
            char = chr(code - 0xFEE0)
        char = char.upper()
        if char.isalnum():
            out.append(char)
    return "".join(out)


LOOK_ALIKES: Mapping[str, str] = {
    "I": "1",
    "i": "1",
    "l": "1",
    "|": "1",
    "!": "1",
    "！": "1",
    "丨": "1",
    "O": "0",
    "o": "0",
}
"""Symbols a general text recogniser knows that on a plate can only be a plate character: a
thin vertical stroke is a 1 (plates carry no I, and no lower case), a ring a 0 (no O)."""


def plate_character(symbol: str) -> str | None:
    """The plate character a recogniser's `symbol` stands for, or None if none."""
    char = LOOK_ALIKES.get(symbol) or normalise(symbol)
    return char if len(char) == 1 and char in ALPHABET else None


# --- correction ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    """A plate made to fit a format, with how sure it is (0..1)."""

    text: str
    confidence: float
    format: str
    changed: int
    """How many characters differ from what was read."""


def correct(read: Sequence[Mapping[str, float]]) -> Correction | None:
    """The most probable valid plate from an OCR read: one mapping per character read, of
    candidate characters to probabilities (the best one first is not required). Its
    confidence is that of its least sure character (a plate is only as right as that), less
    the chance that a dropped character was real.

    Each position takes the likeliest character its format allows there, or one the read is
    often confused with (0 in a letter's place becomes D). Characters at either end that no
    format needs (a rivet read as 1, a border as I) may be dropped, at the cost of the chance
    they were real. None if nothing fits.
    """
    best: tuple[float, Correction] | None = None
    for fmt in FORMATS:
        for start in range(len(read) - len(fmt) + 1):
            window = read[start : start + len(fmt)]
            dropped = [*read[:start], *read[start + len(fmt) :]]
            found = _fit(fmt, window)
            if found is None:
                continue
            text, log_fit, weakest, changed = found
            log_drop = sum(math.log(max(1e-6, 1.0 - _top(d))) for d in dropped)
            if best is None or log_fit + log_drop > best[0]:
                confidence = weakest * math.exp(log_drop)
                correction = Correction(text, round(confidence, 4), fmt.name, changed)
                best = (log_fit + log_drop, correction)
    return best[1] if best else None


def correct_text(text: str) -> Correction | None:
    """`correct` for a read that is only text (an ANPR camera's, a person's): every character
    is taken as certain, so only confusions fix it."""
    return correct([{char: 1.0} for char in normalise(text)])


def _fit(
    fmt: PlateFormat, window: Sequence[Mapping[str, float]]
) -> tuple[str, float, float, int] | None:
    """The format's best text for `window`: text, log probability, its least sure character's
    probability, characters changed."""
    chars = []
    log_p = 0.0
    weakest = 1.0
    changed = 0
    for slot, read in zip(fmt.slots, window, strict=True):
        choice = _best_in(slot, read)
        if choice is None:
            return None
        char, p = choice
        chars.append(char)
        log_p += math.log(max(p, 1e-6))
        weakest = min(weakest, p)
        changed += char != max(read, key=read.__getitem__)
    return "".join(chars), log_p, weakest, changed


def _best_in(slot: str, read: Mapping[str, float]) -> tuple[str, float] | None:
    """The likeliest character of `slot` for one read position, directly or by confusion."""
    scores: dict[str, float] = {}
    for char, p in read.items():
        if char in slot:
            scores[char] = max(scores.get(char, 0.0), p)
        for other in CONFUSABLE.get(char, ""):
            if other in slot:
                scores[other] = max(scores.get(other, 0.0), p * CONFUSION_FACTOR)
    if not scores:
        return None
    char = max(scores, key=scores.__getitem__)
    return char, scores[char]


def _top(read: Mapping[str, float]) -> float:
    return max(read.values(), default=0.0)


# --- voting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vote:
    """The plate the reads of one vehicle agree on."""

    text: str
    confidence: float
    reads: int
    agreeing: int
    """Reads that are exactly `text`."""


def vote(reads: Sequence[tuple[str, float]]) -> Vote | None:
    """Combine valid reads `(plate, confidence)` of one vehicle, position by position.

    Reads of the length with the most total confidence vote at each position, weighted by
    their confidence; the result is the winner of every position if that is a valid plate,
    else the strongest single read. Its confidence is the mean share of the weight each
    winning character got, times the mean confidence of the reads that voted.
    """
    valid = [(text, conf) for text, conf in reads if is_valid_plate(text) and conf > 0]
    if not valid:
        return None
    by_length: dict[int, float] = {}
    for text, conf in valid:
        by_length[len(text)] = by_length.get(len(text), 0.0) + conf
    length = max(by_length, key=lambda n: (by_length[n], n))
    voters = [(text, conf) for text, conf in valid if len(text) == length]
    total = sum(conf for _, conf in voters)
    chars = []
    shares = []
    for i in range(length):
        weights: dict[str, float] = {}
        for text, conf in voters:
            weights[text[i]] = weights.get(text[i], 0.0) + conf
        winner = max(weights, key=lambda c: (weights[c], c))
        chars.append(winner)
        shares.append(weights[winner] / total)
    text = "".join(chars)
    if not is_valid_plate(text):
        text = max(voters, key=lambda r: r[1])[0]
    mean_share = sum(shares) / len(shares)
    confidence = mean_share * total / len(voters)
    agreeing = sum(1 for t, _ in voters if t == text)
    return Vote(text, round(confidence, 4), len(valid), agreeing)

"""Which open session an exit read belongs to, forgiving one misread character.

Only the confusions cameras really make on plates count (0/D/Q, 8/B, 1/I), and only where the
national format allows the other character there: `京A1234D` may be `京A12340` (a standard
serial may end in a digit) but a province or authority letter is never taken for a digit.
"""

from collections.abc import Iterable

from protocols.plates import is_valid_plate, normalise

GROUPS = ("0DQ", "8B", "1I")
_SWAPS = {char: group.replace(char, "") for group in GROUPS for char in group}


def misreads(plate: str) -> set[str]:
    """Valid plates that differ from `plate` by one confusable character."""
    out = set()
    for i, char in enumerate(plate):
        for other in _SWAPS.get(char, ""):
            candidate = plate[:i] + other + plate[i + 1 :]
            if is_valid_plate(candidate):
                out.add(candidate)
    out.discard(plate)
    return out


def best_match(read: str, open_plates: Iterable[str]) -> str | None:
    """The open plate the exit read `read` is: the same plate, else the only one a single
    confusion away. None when there is none, or more than one (a person must look)."""
    read = normalise(read)
    plates = set(open_plates)
    if read in plates:
        return read
    near = misreads(read) & plates
    return near.pop() if len(near) == 1 else None

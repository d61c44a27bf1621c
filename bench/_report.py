"""How every benchmark reports: a readable table, then `RESULT {json}` as the last line."""

import json
import time
from collections.abc import Callable
from typing import Any


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call of `fn` takes (wall clock, perf_counter)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def report(name: str, rows: list[tuple[str, float, str]], result: dict[str, Any]) -> None:
    """Print `rows` (label, figure, unit) as a table and `result` as the RESULT line."""
    print(f"== {name}")
    width = max(len(label) for label, _, _ in rows)
    for label, figure, unit in rows:
        print(f"  {label:<{width}}  {figure:>14,.2f}  {unit}")
    print("RESULT " + json.dumps({"bench": name, **result}, sort_keys=True))

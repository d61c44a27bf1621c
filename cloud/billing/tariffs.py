"""Pure money arithmetic of billing: largest-remainder splits, tiered and time-of-use prices.

No I/O here, so the rules are tested on their own (by hand and with hypothesis).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from cloud.errors import Invalid

FEN = Decimal("0.01")
KWH = Decimal("0.01")
BANDS = ("peak", "flat", "valley")


def split(total: Decimal, weights: Sequence[Decimal], unit: Decimal = FEN) -> list[Decimal]:
    """`total` split in proportion to `weights`, to `unit`, the parts summing to `total` exactly:
    each part is rounded down and the units left over go to the largest remainders (ties to the
    earlier part). All-zero weights split equally."""
    if not weights:
        return []
    if any(w < 0 for w in weights):
        raise Invalid("a split weight is negative", field="weights")
    if total < 0:
        return [-part for part in split(-total, weights, unit)]
    whole = sum(weights, Decimal(0))
    shares = list(weights) if whole > 0 else [Decimal(1)] * len(weights)
    whole = whole if whole > 0 else Decimal(len(weights))
    exact = [total * w / whole for w in shares]
    parts = [e.quantize(unit, ROUND_DOWN) for e in exact]
    left = int((total - sum(parts, Decimal(0))) / unit)
    order = sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[:left]:
        parts[i] += unit
    return parts


def tiered_amount(kwh: Decimal, tiers: Sequence[Mapping[str, Any]]) -> Decimal:
    """kWh priced by blocks: `[{"up_to": "1000", "price": "1.00"}, {"up_to": None, ...}]`, each
    block's price on the kWh within it, the sum rounded once to the fen, half up."""
    amount, floor = Decimal(0), Decimal(0)
    for tier in tiers:
        ceiling = Decimal(str(tier["up_to"])) if tier.get("up_to") is not None else None
        top = kwh if ceiling is None else min(kwh, ceiling)
        if top > floor:
            amount += (top - floor) * Decimal(str(tier["price"]))
        if ceiling is None or kwh <= ceiling:
            return amount.quantize(FEN, ROUND_HALF_UP)
        floor = ceiling
    raise Invalid(f"the tiers end at {floor} kWh, below {kwh}", field="tiers")


@dataclass(frozen=True)
class Band:
    """Local clock hours [start, end) in one price band; end 00:00 means midnight."""

    start: time
    end: time
    band: str

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> "Band":
        if raw["band"] not in BANDS:
            raise Invalid(f"band {raw['band']} is not one of {', '.join(BANDS)}", field="bands")
        return cls(time.fromisoformat(raw["start"]), time.fromisoformat(raw["end"]), raw["band"])


def _band_at(moment: datetime, bands: Sequence[Band]) -> str:
    clock = moment.time()
    for b in bands:
        if b.start <= clock < b.end or (b.end == time(0) and clock >= b.start):
            return b.band
    return "flat"


def _cuts(start: datetime, end: datetime, bands: Sequence[Band]) -> list[datetime]:
    """Local instants in (start, end) where the band may change."""
    marks = sorted({b.start for b in bands} | {b.end for b in bands})
    cuts, day = [], start.date()
    while day <= end.date():
        for mark in marks:
            at = datetime.combine(day, mark, tzinfo=start.tzinfo)
            if start < at < end:
                cuts.append(at)
        day += timedelta(days=1)
    return cuts


def tou_kwh(
    points: Sequence[tuple[datetime, Decimal]],
    raw_bands: Sequence[Mapping[str, Any]],
    zone: ZoneInfo,
    ct_ratio: Decimal,
) -> dict[str, Decimal]:
    """kWh per band between the first and last of cumulative register `points`, each step's
    energy spread evenly over its time and cut at band boundaries (local clock of `zone`);
    rounded to 0.01 kWh by largest remainder so the bands add up to the register difference."""
    bands = [Band.of(b) for b in raw_bands]
    exact = dict.fromkeys(BANDS, Decimal(0))
    for (t0, v0), (t1, v1) in zip(points, points[1:], strict=False):
        if t1 <= t0 or v1 == v0:
            continue
        a, b = t0.astimezone(zone), t1.astimezone(zone)
        edges = [a, *_cuts(a, b, bands), b]
        span = Decimal((b - a).total_seconds())
        for lo, hi in zip(edges, edges[1:], strict=False):
            share = Decimal((hi - lo).total_seconds()) / span
            exact[_band_at(lo, bands)] += (v1 - v0) * share * ct_ratio
    total = ((points[-1][1] - points[0][1]) * ct_ratio).quantize(KWH, ROUND_HALF_UP)
    return dict(zip(BANDS, split(total, [exact[b] for b in BANDS], KWH), strict=True))


def tou_amount(kwh: Mapping[str, Decimal], prices: Mapping[str, Any]) -> Decimal:
    """Each band's kWh at its price, summed and rounded once to the fen, half up."""
    total = sum((kwh[b] * Decimal(str(prices[b])) for b in BANDS if kwh.get(b)), Decimal(0))
    return total.quantize(FEN, ROUND_HALF_UP)

"""How the web UI writes money, meter values and instants for people to read."""

from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Final

_FEN: Final = Decimal("0.01")


def cny(amount: Decimal) -> str:
    """`Decimal("1234.5")` -> `¥1,234.50`; never via float, so the fen shown is the fen stored."""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount).quantize(_FEN):,}"


def area(square_metres: Decimal) -> str:
    """`Decimal("1661.5")` -> `1,661.50` (square metres, to the hundredth as stored)."""
    return f"{square_metres.quantize(_FEN):,}"


def percent(ratio: Decimal | None) -> str:
    """`Decimal("0.7454")` -> `74.5%`; no ratio (nothing to divide by) is a dash."""
    return "—" if ratio is None else f"{(ratio * 100).quantize(Decimal('0.1'))}%"


def tariff(price: Decimal) -> str:
    """A price per kWh with as many places as it was set with (at least two): `¥0.8523/kWh`."""
    places = max(2, -price.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f"¥{price:.{places}f}/kWh"


def kwh(energy: Decimal | float) -> str:
    """Energy for a bill line, to the place a meter register resolves: `1,234.56`."""
    return f"{Decimal(str(energy)).quantize(_FEN):,}"


@dataclass(frozen=True)
class MetricDisplay:
    """How one meter metric is shown: its translation key, decimals and unit."""

    metric: str
    label_key: str
    decimals: int
    unit: str

    def format(self, value: float | None) -> str:
        return "—" if value is None else f"{value:,.{self.decimals}f} {self.unit}"


# The columns of a meter reading, in the order people scan them.
METER_METRICS: Final[tuple[MetricDisplay, ...]] = (
    MetricDisplay("voltage", "meter.voltage", 1, "V"),
    MetricDisplay("current", "meter.current", 2, "A"),
    MetricDisplay("active_power", "meter.active_power", 3, "kW"),
    MetricDisplay("energy_import", "meter.energy_import", 2, "kWh"),
)


def local_time(instant: datetime, zone: tzinfo) -> str:
    """An instant in the org's time zone, to the second: `2026-03-05 14:02:07`."""
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def local_minute(instant: datetime | None, zone: tzinfo) -> str:
    """An instant in the org's time zone, to the minute, or a dash when there is none."""
    return local_time(instant, zone)[:16] if instant else "—"

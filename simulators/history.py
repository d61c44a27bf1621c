"""What a simulated meter's energy register read in the past, had it been polled all along.

The history ends exactly where the live simulated meter starts, so a demo can show a month of
consumption (and a real month-to-date bill) from the moment it starts.
"""

from datetime import datetime, timedelta

from simulators.meter import SITE_TIMEZONE, SimulatedMeter

_SLICE = timedelta(minutes=5)
"""Integration step: the load curve's noise changes smoothly over five minutes."""


def register_history(
    meter: SimulatedMeter, *, since: datetime, until: datetime, every: timedelta
) -> list[tuple[datetime, float]]:
    """(instant, kWh) every `every` from `since` up to `until`, where the register reads the
    meter's start energy; energy between points is the load curve integrated at real speed."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until need a time zone")
    if every < _SLICE or every % _SLICE:
        raise ValueError(f"every must be a whole multiple of {_SLICE}")
    points: list[tuple[datetime, float]] = []
    at, energy = until, meter.start_energy_kwh
    while at >= since:
        points.append((at, energy))
        for _ in range(every // _SLICE):
            middle = (at - _SLICE / 2).astimezone(SITE_TIMEZONE)
            energy -= meter.load.power_kw(middle, seed=meter.seed) * _SLICE.total_seconds() / 3600
            at -= _SLICE
    if energy < 0:
        raise ValueError(f"unit {meter.unit_id}: the register would read below zero at {since}")
    return points[::-1]

"""A believable office tenant's electrical load over the week: what a simulated meter measures.

Pure and deterministic: the same datetime and seed always give the same kW.
"""

import math
import random
from dataclasses import dataclass
from datetime import datetime

_EPOCH = datetime(2000, 1, 1)
_NOISE_STEP_S = 300
"""Noise changes smoothly between points five minutes apart, like real aggregate load."""


@dataclass(frozen=True)
class OfficeLoad:
    """Active power drawn by an office floor: night/weekend base load, a working-day plateau."""

    base_kw: float = 1.2
    """Servers, fridges, emergency lighting: what stays on at night and at weekends."""
    peak_kw: float = 8.0
    """Lighting, HVAC and computers on a working afternoon."""
    lunch_dip: float = 0.2
    """Share of the working load that goes away over lunch (12:00-13:30)."""
    noise: float = 0.06
    """Relative amplitude of the pseudo-random wobble."""

    def __post_init__(self) -> None:
        if not 0 <= self.base_kw <= self.peak_kw:
            raise ValueError("need 0 <= base_kw <= peak_kw")
        if not 0 <= self.lunch_dip < 1 or not 0 <= self.noise < 1:
            raise ValueError("lunch_dip and noise are fractions in [0, 1)")

    @property
    def ceiling_kw(self) -> float:
        """The most this load ever draws: the working plateau with the noise at its top."""
        return self.peak_kw * (1.0 + self.noise)

    def power_kw(self, at: datetime, *, seed: int = 0) -> float:
        """Active power at local wall-clock time `at` (its tzinfo, if any, is not converted)."""
        occupancy = _occupancy(at, lunch_dip=self.lunch_dip)
        level = self.base_kw + (self.peak_kw - self.base_kw) * occupancy
        return max(0.0, level * (1.0 + self.noise * _smooth_noise(at, seed)))


def _occupancy(at: datetime, *, lunch_dip: float) -> float:
    """0 (empty building) .. 1 (everyone at their desk)."""
    if at.weekday() >= 5:
        return 0.05  # a few people come in on Saturdays; cleaners
    hour = at.hour + at.minute / 60 + at.second / 3600
    if hour < 7.5 or hour >= 20.0:
        return 0.0
    if hour < 8.5:  # HVAC pre-cooling, early arrivals
        return _ease(hour - 7.5)
    if hour < 12.0:
        return 1.0
    if hour < 13.5:  # lunch: lights and PCs off in many offices
        return 1.0 - lunch_dip * math.sin(math.pi * (hour - 12.0) / 1.5)
    if hour < 18.5:
        return 1.0
    return 1.0 - _ease((hour - 18.5) / 1.5)  # people leave over 90 minutes


def _ease(fraction: float) -> float:
    """Smooth 0 -> 1 ramp: loads come on gradually, not as a step."""
    return 0.5 - 0.5 * math.cos(math.pi * min(max(fraction, 0.0), 1.0))


def _smooth_noise(at: datetime, seed: int) -> float:
    """Value noise in [-1, 1], interpolated between fixed points so it has no jumps."""
    # Wall-clock seconds, independent of the machine's own time zone.
    seconds = (at.replace(tzinfo=None) - _EPOCH).total_seconds()
    step, offset = divmod(seconds, _NOISE_STEP_S)
    left, right = _noise_point(seed, int(step)), _noise_point(seed, int(step) + 1)
    return left + (right - left) * _ease(offset / _NOISE_STEP_S)


def _noise_point(seed: int, step: int) -> float:
    # A string seed is hashed with SHA-512 by `random`, so this is stable across processes.
    return random.Random(f"{seed}:{step}").uniform(-1.0, 1.0)

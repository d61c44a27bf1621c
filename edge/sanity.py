"""Reading sanity: cumulative registers (energy, water volume) only grow. When one does not,
the reading still goes to the cloud with its raw value, carrying a flag that says what
happened, so billing can handle it and nobody loses a reading:

- `rollover:<metric>`  the register wrapped past its largest value to near zero;
- `replaced:<metric>`  it fell far (a new meter, or one reset to zero): a new series starts;
- `backwards:<metric>` it fell a little (a glitch, or a meter that corrected itself); the
  reference stays at the highest value seen, so the next readings are measured against it.

The last good value of each register is kept on disk (`RegisterMemory`), so a restarted agent
still notices a meter swapped while it was down.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from protocols.profiles import DeviceProfile

ROLLOVER_NEAR = 0.9
"""A rollover: the last value was above this share of the register's range..."""
ROLLOVER_RESTART = 0.1
"""...and the new one is below this share of it."""
REPLACED_BELOW = 0.5
"""A fall to under this share of the last value is a replaced (or reset) meter."""


class RegisterMemory(Protocol):
    """Durable last values of cumulative registers, by (device, metric)."""

    def last_value(self, device: str, metric: str) -> float | None: ...

    def remember(self, device: str, values: dict[str, float]) -> None: ...


@dataclass(frozen=True)
class Cumulative:
    """A register that only grows, and where it wraps (None: it does not wrap, e.g. float32)."""

    metric: str
    wraps_at: float | None = None


def cumulative_registers(profile: DeviceProfile) -> tuple[Cumulative, ...]:
    """The profile's cumulative values with the largest value each register can hold."""
    return tuple(Cumulative(v.metric, v.wraps_at) for v in profile.values if v.cumulative)


class CumulativeGuard:
    """Flags readings whose cumulative registers went backwards; keeps the references."""

    def __init__(
        self,
        *,
        memory: RegisterMemory,
        registers: Callable[[str], Iterable[Cumulative]],
    ) -> None:
        self.memory = memory
        self._registers = registers

    def check(self, device: str, values: dict[str, float]) -> list[str]:
        flags: list[str] = []
        references: dict[str, float] = {}
        for register in self._registers(device):
            value = values.get(register.metric)
            if value is None:
                continue
            last = self.memory.last_value(device, register.metric)
            flag = _judge(register, last, value)
            if flag:
                flags.append(f"{flag}:{register.metric}")
            if flag != "backwards":
                references[register.metric] = value
        if references:
            self.memory.remember(device, references)
        return flags


def _judge(register: Cumulative, last: float | None, value: float) -> str | None:
    if last is None or value >= last:
        return None
    wraps_at = register.wraps_at
    if wraps_at and last > ROLLOVER_NEAR * wraps_at and value < ROLLOVER_RESTART * wraps_at:
        return "rollover"
    if value < REPLACED_BELOW * last:
        return "replaced"
    return "backwards"

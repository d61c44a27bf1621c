"""The outbox's limits, apart from its storage: the byte budget with its record classes and
nearly-full alarm, and the pace at which a backlog is replayed."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum

ROW_OVERHEAD_BYTES = 50
"""What SQLite adds to a row beyond its JSON (key, columns, cell, page slack): the `edge-outbox`
bench measures about 50 bytes for 5-value readings. Counted so a budget is close to the file."""
ALARM_REARM_RATIO = 0.75
"""The nearly-full alarm re-arms once usage falls below this share of its mark (80% → 60%)."""


class RecordClass(IntEnum):
    """What the byte budget may do with a stored record (0 and 1 cost SQLite no bytes)."""

    TELEMETRY = 0
    """A reading of a meter not used for billing: the oldest goes first when space runs out."""
    BILLING = 1
    """A reading of a billing meter (a billing snapshot): never dropped."""
    EVENT = 2
    """Something that happened (a door, a plate, an alarm): never dropped."""
    DROPPED = 3
    """Telemetry dropped for room: a placeholder that keeps its (boot, seq) and nothing else."""


@dataclass(frozen=True)
class OutboxStats:
    """What the outbox holds, for the agent's health logs."""

    pending: Mapping[str, int]
    """Records waiting for an ack, by class: `telemetry`, `billing`, `event`, `dropped`."""
    used_bytes: int
    max_bytes: int
    dropped_telemetry: int
    """Telemetry dropped or refused for room since the outbox file was made."""


@dataclass
class Usage:
    """What the records table holds, kept in step with it so no append needs a full-table SUM."""

    rows: dict[RecordClass, int] = field(default_factory=dict)
    record_bytes: int = 0
    dropped_telemetry: int = 0
    alarm_raised: bool = False
    no_telemetry_before: tuple[int, int] = (0, 0)
    """(boot, seq) at or below which no telemetry is left: keys only grow, so the search for
    the oldest telemetry starts here instead of walking over billing and events again."""

    def used_bytes(self) -> int:
        return self.record_bytes + self.pending() * ROW_OVERHEAD_BYTES

    def pending(self) -> int:
        return sum(self.rows.values())

    def add(self, record_class: RecordClass, size: int) -> None:
        self.rows[record_class] = self.rows.get(record_class, 0) + 1
        self.record_bytes += size

    def remove(self, record_class: RecordClass, size: int) -> None:
        self.rows[record_class] -= 1
        self.record_bytes -= size


@dataclass(frozen=True)
class Budget:
    """`max_bytes` for the outbox, and the alarm raised at `alarm_fraction` of it."""

    max_bytes: int
    alarm_fraction: float = 0.8

    def __post_init__(self) -> None:
        if self.max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {self.max_bytes}")
        if not 0 < self.alarm_fraction <= 1:
            raise ValueError(f"alarm_fraction must be in (0, 1], not {self.alarm_fraction}")

    def short_by(self, usage: Usage, size: int) -> int:
        """Bytes to free before a record of `size` fits (0 or less: it fits)."""
        return usage.used_bytes() + size + ROW_OVERHEAD_BYTES - self.max_bytes

    def alarm_due(self, usage: Usage) -> bool:
        return not usage.alarm_raised and usage.used_bytes() >= self.alarm_fraction * self.max_bytes

    def calm(self, usage: Usage) -> bool:
        """Usage is back below the re-arm mark: the alarm, and logs of a full outbox, re-arm."""
        rearm = self.alarm_fraction * ALARM_REARM_RATIO * self.max_bytes
        return usage.used_bytes() < rearm

    def stats(self, usage: Usage) -> OutboxStats:
        return OutboxStats(
            pending={c.name.lower(): usage.rows.get(c, 0) for c in RecordClass},
            used_bytes=usage.used_bytes(),
            max_bytes=self.max_bytes,
            dropped_telemetry=usage.dropped_telemetry,
        )


class ReplayPace:
    """A token bucket: `records_per_s` on `clock`, in bursts of up to one second's worth."""

    def __init__(self, records_per_s: float, clock: Callable[[], float]) -> None:
        if records_per_s <= 0:
            raise ValueError(f"replay_records_per_s must be positive, not {records_per_s}")
        self.records_per_s = records_per_s
        self.burst = max(1, int(records_per_s))
        self._clock = clock
        self._tokens = float(self.burst)
        self._at = clock()

    def available(self) -> int:
        """Records that may be replayed now."""
        now = self._clock()
        elapsed = max(0.0, now - self._at)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.records_per_s)
        self._at = now
        return int(self._tokens)

    def take(self, count: int) -> None:
        self._tokens -= count

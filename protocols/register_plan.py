"""Which Modbus requests read a device profile: its values grouped into the fewest reads.

Pure, so the edge driver, the config check (does a serial line have time for its polls?) and
the request-count benchmark agree on one plan.
"""

from dataclasses import dataclass

from protocols.profiles import DeviceProfile, MeasuredValue

MAX_REGISTERS_PER_READ = 125
"""Modbus limit for one read request (function codes 3 and 4)."""


@dataclass(frozen=True)
class RegisterBlock:
    """One read request covering values that sit at or near each other in the register map."""

    function_code: int
    address: int
    values: tuple[MeasuredValue, ...]

    @property
    def count(self) -> int:
        return max(v.end for v in self.values) - self.address


def plan_reads(profile: DeviceProfile, *, max_gap: int = 0) -> tuple[RegisterBlock, ...]:
    """Group the profile's values into as few requests as possible.

    Values of one function code merge into one read when at most `max_gap` registers lie
    between them and the read stays within 125 registers. With the default 0 a read never
    covers a register the profile does not list: many meters answer an exception for an
    address they do not define, and that would fail the whole read.
    """
    if max_gap < 0:
        raise ValueError(f"max_gap must not be negative, got {max_gap}")
    ordered = sorted(profile.values, key=lambda v: (v.function_code, v.address))
    blocks: list[RegisterBlock] = []
    for value in ordered:
        last = blocks[-1] if blocks else None
        if (
            last is not None
            and last.function_code == value.function_code
            and value.address - (last.address + last.count) <= max_gap
            and value.end - last.address <= MAX_REGISTERS_PER_READ
        ):
            blocks[-1] = RegisterBlock(last.function_code, last.address, (*last.values, value))
        else:
            blocks.append(RegisterBlock(value.function_code, value.address, (value,)))
    return tuple(blocks)


def minimum_reads(profile: DeviceProfile) -> int:
    """The fewest requests that can read the profile at all, reading any gap (greedy covering
    by 125-register windows is optimal): what a benchmark compares a plan with."""
    return len(plan_reads(profile, max_gap=MAX_REGISTERS_PER_READ))

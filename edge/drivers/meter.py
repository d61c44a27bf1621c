"""Meter driver: read every value a device profile lists and return it in the profile's units."""

import math
from dataclasses import dataclass

from edge.transports.modbus import RegisterReader
from protocols.codecs import decode
from protocols.profiles import DeviceProfile, MeasuredValue

MAX_REGISTERS_PER_READ = 125
"""Modbus limit for one read request (function codes 3 and 4)."""


@dataclass(frozen=True)
class RegisterBlock:
    """One read request covering values that sit next to each other in the register map."""

    function_code: int
    address: int
    values: tuple[MeasuredValue, ...]

    @property
    def count(self) -> int:
        last = self.values[-1]
        return last.address + last.count - self.address


def plan_reads(profile: DeviceProfile) -> tuple[RegisterBlock, ...]:
    """Group the profile's values into as few requests as possible, never reading a gap
    (many meters answer an exception for an address they do not define)."""
    ordered = sorted(profile.values, key=lambda v: (v.function_code, v.address))
    blocks: list[RegisterBlock] = []
    for value in ordered:
        last = blocks[-1] if blocks else None
        if (
            last is not None
            and last.function_code == value.function_code
            and last.address + last.count == value.address
            and last.count + value.count <= MAX_REGISTERS_PER_READ
        ):
            blocks[-1] = RegisterBlock(last.function_code, last.address, (*last.values, value))
        else:
            blocks.append(RegisterBlock(value.function_code, value.address, (value,)))
    return tuple(blocks)


class MeterDriver:
    """Reads one meter (a unit id on a bus) through the transport it is given."""

    def __init__(self, *, transport: RegisterReader, profile: DeviceProfile, unit_id: int) -> None:
        self.transport = transport
        self.profile = profile
        self.unit_id = unit_id
        self.reads = plan_reads(profile)

    def __repr__(self) -> str:
        return f"MeterDriver({self.profile.name}, unit {self.unit_id})"

    async def read(self) -> dict[str, float]:
        """metric -> value in the profile's unit; TransportError if any request fails.

        A register holding NaN or infinity (some meters' way of saying "not available") is left
        out rather than sent on as a number nobody can store.
        """
        values: dict[str, float] = {}
        for block in self.reads:
            words = await self.transport.read_registers(
                function_code=block.function_code,
                unit_id=self.unit_id,
                address=block.address,
                count=block.count,
            )
            for measured in block.values:
                start = measured.address - block.address
                raw = decode(
                    words[start : start + measured.count], measured.data_type, measured.word_order
                )
                if math.isfinite(raw):
                    values[measured.metric] = raw * measured.scale
        return values

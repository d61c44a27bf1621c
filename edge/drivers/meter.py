"""Meter driver: read every value a device profile lists and return it in the profile's units."""

import math

from edge.transports.modbus import RegisterReader
from protocols.codecs import decode
from protocols.profiles import DeviceProfile
from protocols.register_plan import RegisterBlock, plan_reads


class MeterDriver:
    """Reads one meter (a unit id on a bus) through the transport it is given."""

    def __init__(
        self,
        *,
        transport: RegisterReader,
        profile: DeviceProfile,
        unit_id: int,
        reads: tuple[RegisterBlock, ...] | None = None,
    ) -> None:
        """`reads` is the plan of requests (protocols.register_plan); by default the profile's
        own, which crosses only the gaps the profile says are defined."""
        self.transport = transport
        self.profile = profile
        self.unit_id = unit_id
        self.reads = reads if reads is not None else plan_reads(profile, max_gap=profile.max_gap)

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

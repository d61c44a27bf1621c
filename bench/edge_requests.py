"""Edge requests per meter snapshot, for every built-in profile, against the fewest possible.

MeterDriver reads a simulated meter over Modbus TCP with the profile's own plan; requests are
counted twice, at the transport it is given and on the TCP connection (a counting hop in front
of the gateway), so a retry or a split read could not hide. The minimum is
protocols.register_plan.minimum_reads: 125-register windows that may cross any gap.
"""

import asyncio
import logging
from dataclasses import dataclass

from bench._modbus_proxy import HOST, ModbusTcpProxy, free_tcp_port
from bench._report import report
from edge.drivers.meter import MeterDriver
from edge.errors import TransportError
from edge.transports.modbus import ModbusTcpTransport, RegisterReader
from protocols.profiles import PROFILES, DeviceProfile
from protocols.register_plan import (
    MAX_REGISTERS_PER_READ,
    RegisterBlock,
    minimum_reads,
    plan_reads,
)
from simulators.meter import SimulatedMeter, serve_meters

SNAPSHOTS = 20
UNIT_ID = 1


class CountingReader:
    """The transport a driver is given, counting the read requests it is asked for."""

    def __init__(self, transport: RegisterReader) -> None:
        self.transport = transport
        self.requests = 0

    async def read_registers(
        self, *, function_code: int, unit_id: int, address: int, count: int
    ) -> list[int]:
        self.requests += 1
        return await self.transport.read_registers(
            function_code=function_code, unit_id=unit_id, address=address, count=count
        )


@dataclass(frozen=True)
class Measured:
    profile: DeviceProfile
    requests: float
    """Read requests per snapshot the driver made (counted at the transport)."""
    on_wire: float
    """Requests per snapshot that crossed the TCP connection (counted by the proxy)."""
    minimum: int
    refused_across_gaps: bool
    """Whether the simulated meter refuses the minimum plan's reads across unlisted registers."""

    @property
    def ratio(self) -> float:
        return self.on_wire / self.minimum

    def reason(self) -> str:
        """Why the profile's plan makes more requests than the minimum ('' if it does not)."""
        if self.on_wire <= self.minimum:
            return ""
        plan = plan_reads(self.profile, max_gap=self.profile.max_gap)
        gaps = ", ".join(_gaps(plan))
        why = (
            "max_gap 0, its map does not say these are defined"
            if self.profile.max_gap == 0
            else f"wider than its max_gap {self.profile.max_gap}"
        )
        refused = "; the simulated meter refuses a read across them"
        return f"gaps {gaps} ({why}{refused if self.refused_across_gaps else ''})"


def _gaps(plan: tuple[RegisterBlock, ...]) -> list[str]:
    """The unread registers between consecutive reads of one function code."""
    gaps = []
    for before, after in zip(plan, plan[1:], strict=False):
        first, last = before.address + before.count, after.address - 1
        if before.function_code == after.function_code and first <= last:
            gaps.append(f"{first:#06x}..{last:#06x}")
    return gaps


async def _measure(profile: DeviceProfile) -> Measured:
    port = free_tcp_port()
    ready = asyncio.Event()
    meter = SimulatedMeter(unit_id=UNIT_ID, profile=profile.name)
    gateway = asyncio.create_task(serve_meters(host=HOST, port=port, meters=[meter], ready=ready))
    try:
        await ready.wait()
        async with (
            ModbusTcpProxy(upstream_port=port) as proxy,
            ModbusTcpTransport(host=HOST, port=proxy.port, timeout_s=1.0) as transport,
        ):
            counting = CountingReader(transport)
            driver = MeterDriver(transport=counting, profile=profile, unit_id=UNIT_ID)
            metrics = {value.metric for value in profile.values}
            for _ in range(SNAPSHOTS):
                values = await driver.read()
                if set(values) != metrics:
                    raise RuntimeError(f"{profile.name}: read {sorted(values)}, not {metrics}")
            on_wire = proxy.requests[UNIT_ID]
            refused = await _refuses_minimum_plan(transport, profile)
    finally:
        gateway.cancel()
        await asyncio.gather(gateway, return_exceptions=True)
    return Measured(
        profile=profile,
        requests=counting.requests / SNAPSHOTS,
        on_wire=on_wire / SNAPSHOTS,
        minimum=minimum_reads(profile),
        refused_across_gaps=refused,
    )


async def _refuses_minimum_plan(transport: ModbusTcpTransport, profile: DeviceProfile) -> bool:
    widest = plan_reads(profile, max_gap=MAX_REGISTERS_PER_READ)
    driver = MeterDriver(transport=transport, profile=profile, unit_id=UNIT_ID, reads=widest)
    try:
        await driver.read()
    except TransportError:
        return True
    return False


async def _measure_all() -> list[Measured]:
    return [await _measure(profile) for profile in PROFILES.values()]


def main() -> None:
    for chatty in ("pymodbus", "simulators"):  # a gateway per profile, each announcing itself
        logging.getLogger(chatty).setLevel(logging.WARNING)
    measured = asyncio.run(_measure_all())
    rows = []
    for each in measured:
        comparison = f"requests/snapshot (minimum {each.minimum}, ratio {each.ratio:.2f})"
        rows.append((each.profile.name, each.on_wire, comparison))
    for each in measured:
        if reason := each.reason():
            rows.append((f"  {each.profile.name} is above the minimum", each.ratio, reason))
    report(
        "edge-requests",
        rows,
        {
            "snapshots_per_profile": SNAPSHOTS,
            "profiles": {
                each.profile.name: {
                    "requests_per_snapshot": each.requests,
                    "on_wire_per_snapshot": each.on_wire,
                    "minimum": each.minimum,
                    "ratio": round(each.ratio, 3),
                    "above_minimum_because": each.reason() or None,
                }
                for each in measured
            },
            "at_minimum": [m.profile.name for m in measured if m.ratio == 1],
        },
    )


if __name__ == "__main__":
    main()

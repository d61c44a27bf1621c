import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from edge.bus import BusWorker
from edge.transports.modbus import ModbusTcpTransport
from protocols.profiles import CHINT_DDSU666
from protocols.site_config import ModbusTcpBus
from simulators.meter import SimulatedMeter, serve_meters
from tests.conftest import free_tcp_port
from tests.edge.drivers.test_meter import DDSU666_READING, FakeBus, _load
from tests.support import eventually, running


class Readings:
    """A sink that keeps what the bus worker hands over."""

    def __init__(self) -> None:
        self.by_device: dict[str, list[dict[str, float]]] = {}

    def append_reading(
        self, *, device: str, ts: datetime, values: dict[str, float], flags: Sequence[str] = ()
    ) -> int:
        assert ts.tzinfo is not None
        self.by_device.setdefault(device, []).append(values)
        return sum(len(v) for v in self.by_device.values())

    def count(self, device: str) -> int:
        return len(self.by_device.get(device, []))


def _bus(port: int, *units: tuple[str, int], timeout_s: float = 0.3) -> ModbusTcpBus:
    devices = [
        {"code": code, "profile": "chint-ddsu666", "unit_id": unit, "poll_interval_s": 0.05}
        for code, unit in units
    ]
    return ModbusTcpBus(
        code="gw1", host="127.0.0.1", port=port, timeout_s=timeout_s, devices=devices
    )


async def _run_for_a_while(worker: BusWorker, until) -> None:
    polling = asyncio.create_task(worker.run())
    try:
        await eventually(until, timeout_s=5)
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)


async def test_an_absent_unit_never_stops_the_live_meter_on_the_same_gateway(caplog):
    port = free_tcp_port()
    meters = [SimulatedMeter(unit_id=1, start_energy_kwh=50.0)]
    bus = _bus(port, ("EM-LIVE", 1), ("EM-GONE", 9))
    sink = Readings()

    async def gateway(ready):
        await serve_meters(host="127.0.0.1", port=port, meters=meters, ready=ready)

    caplog.set_level(logging.INFO, logger="edge.bus")
    async with (
        running(gateway),
        ModbusTcpTransport(host=bus.host, port=bus.port, timeout_s=bus.timeout_s) as transport,
    ):
        worker = BusWorker(bus=bus, transport=transport, sink=sink)
        await _run_for_a_while(worker, lambda: sink.count("EM-LIVE") >= 5)
    assert sink.count("EM-GONE") == 0
    assert sink.by_device["EM-LIVE"][-1]["energy_import"] >= 50.0
    gone = next(m for m in worker.meters if m.device.code == "EM-GONE")
    assert not gone.health.healthy and gone.health.failures >= 2
    failing = [r for r in caplog.records if "EM-GONE" in r.getMessage()]
    assert len(failing) == 1, "a dead device is reported once, not on every poll"


class HangingUnit(FakeBus):
    """A gateway where one unit never answers: only the bus worker's deadline saves us."""

    def __init__(self, hanging_unit: int) -> None:
        super().__init__({})
        self.hanging_unit = hanging_unit
        self.in_flight = self.most_in_flight = 0

    async def read_registers(self, *, function_code, unit_id, address, count):
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(3600 if unit_id == self.hanging_unit else 0.001)
            return await super().read_registers(
                function_code=function_code, unit_id=unit_id, address=address, count=count
            )
        finally:
            self.in_flight -= 1


async def test_a_hanging_device_costs_its_deadline_not_the_others_polls(caplog):
    transport = HangingUnit(hanging_unit=2)
    _load(transport, 1, CHINT_DDSU666, DDSU666_READING)
    bus = _bus(1502, ("EM-1", 1), ("EM-STUCK", 2), timeout_s=0.05)
    sink = Readings()
    worker = BusWorker(bus=bus, transport=transport, sink=sink)
    caplog.set_level(logging.INFO, logger="edge.bus")
    await _run_for_a_while(worker, lambda: sink.count("EM-1") >= 4)
    assert sink.count("EM-STUCK") == 0
    assert transport.most_in_flight == 1, "calls on one bus must never overlap"
    assert "no answer within 0.2 s" in caplog.text


async def test_a_device_that_comes_back_is_reported_recovered_once(caplog):
    transport = FakeBus({})
    bus = _bus(1502, ("EM-1", 1))
    sink = Readings()
    worker = BusWorker(bus=bus, transport=transport, sink=sink)
    caplog.set_level(logging.INFO, logger="edge.bus")
    [meter] = worker.meters
    assert await worker.poll(meter) is None
    assert await worker.poll(meter) is None
    _load(transport, 1, CHINT_DDSU666, DDSU666_READING)
    assert await worker.poll(meter) is not None
    assert await worker.poll(meter) is not None
    messages = [r.getMessage() for r in caplog.records]
    assert sum("failing" in m for m in messages) == 1
    assert sum("recovered after 2 failed attempts" in m for m in messages) == 1
    assert sink.count("EM-1") == 2

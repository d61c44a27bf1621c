import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

import pytest

from edge.bus import QUARANTINE_AFTER_FAILURES, BusWorker, Lane, PolledDevice
from edge.drivers.meter import MeterDriver
from edge.errors import TransportError
from edge.transports.modbus import ModbusTcpTransport
from protocols.profiles import CHINT_DDSU666
from simulators.meter import SimulatedMeter, serve_meters
from tests.conftest import free_tcp_port
from tests.edge.drivers.test_meter import DDSU666_READING, FakeBus, _load
from tests.support import eventually, running


class Readings:
    """A sink that keeps what the bus worker hands over, in order."""

    def __init__(self) -> None:
        self.by_device: dict[str, list[dict[str, float]]] = {}
        self.order: list[str] = []
        self.flags: list[list[str]] = []
        self.billing: dict[str, bool] = {}

    def append_reading(
        self,
        *,
        device: str,
        ts: datetime,
        values: dict[str, float],
        flags: Sequence[str] = (),
        billing: bool = False,
    ) -> int:
        assert ts.tzinfo is not None
        self.by_device.setdefault(device, []).append(values)
        self.order.append(device)
        self.flags.append(list(flags))
        self.billing[device] = billing
        return len(self.order)

    def count(self, device: str) -> int:
        return len(self.by_device.get(device, []))


def _meter(
    transport, code: str, unit: int, *, interval_s: float = 0.05, deadline_s: float = 0.3, **kw
) -> PolledDevice:
    driver = MeterDriver(transport=transport, profile=CHINT_DDSU666, unit_id=unit)
    return PolledDevice(
        code=code, driver=driver, poll_interval_s=interval_s, deadline_s=deadline_s, **kw
    )


async def _run_for_a_while(worker: BusWorker, until, timeout_s: float = 5) -> None:
    polling = asyncio.create_task(worker.run())
    try:
        await eventually(until, timeout_s=timeout_s)
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)


async def test_an_absent_unit_never_stops_the_live_meter_on_the_same_gateway(caplog):
    port = free_tcp_port()
    meters = [SimulatedMeter(unit_id=1, start_energy_kwh=50.0)]
    sink = Readings()

    async def gateway(ready):
        await serve_meters(host="127.0.0.1", port=port, meters=meters, ready=ready)

    caplog.set_level(logging.INFO, logger="edge.bus")
    async with (
        running(gateway),
        ModbusTcpTransport(host="127.0.0.1", port=port, timeout_s=0.3) as transport,
    ):
        devices = [_meter(transport, "EM-LIVE", 1), _meter(transport, "EM-GONE", 9)]
        worker = BusWorker(code="gw1", devices=devices, sink=sink)
        await _run_for_a_while(worker, lambda: sink.count("EM-LIVE") >= 5)
    assert sink.count("EM-GONE") == 0
    assert sink.by_device["EM-LIVE"][-1]["energy_import"] >= 50.0
    gone = worker.device("EM-GONE")
    assert not gone.health.healthy and gone.health.failures >= 1
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
    devices = [
        _meter(transport, "EM-1", 1, deadline_s=0.1),
        _meter(transport, "EM-STUCK", 2, deadline_s=0.1),
    ]
    sink = Readings()
    worker = BusWorker(code="gw1", devices=devices, sink=sink)
    caplog.set_level(logging.INFO, logger="edge.bus")
    await _run_for_a_while(worker, lambda: sink.count("EM-1") >= 4)
    assert sink.count("EM-STUCK") == 0
    assert transport.most_in_flight == 1, "calls on one bus must never overlap"
    assert "no answer within 0.1 s" in caplog.text


async def test_a_device_that_comes_back_is_reported_recovered_once(caplog):
    transport = FakeBus({})
    sink = Readings()
    worker = BusWorker(code="gw1", devices=[_meter(transport, "EM-1", 1)], sink=sink)
    caplog.set_level(logging.INFO, logger="edge.bus")
    [meter] = worker.devices
    assert await worker.poll(meter) is None
    assert await worker.poll(meter) is None
    _load(transport, 1, CHINT_DDSU666, DDSU666_READING)
    assert await worker.poll(meter) is not None
    assert await worker.poll(meter) is not None
    messages = [r.getMessage() for r in caplog.records]
    assert sum("failing" in m for m in messages) == 1
    assert sum("recovered after 2 failed attempts" in m for m in messages) == 1
    assert sink.count("EM-1") == 2


class ScriptedDriver:
    """A device whose answers a test controls: a value, an error, or a slow answer."""

    def __init__(self, log: list[str], code: str, *, delay_s: float = 0.0) -> None:
        self.log, self.code, self.delay_s = log, code, delay_s
        self.dead = False
        self.energy = 100.0

    async def read(self) -> dict[str, float]:
        self.log.append(self.code)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.dead:
            raise TransportError(f"{self.code} did not answer")
        return {"energy_import": self.energy}


def _scripted(
    log: list[str], code: str, *, interval_s: float, billing: bool = False, delay_s: float = 0.0
) -> PolledDevice:
    return PolledDevice(
        code=code,
        driver=ScriptedDriver(log, code, delay_s=delay_s),
        poll_interval_s=interval_s,
        deadline_s=0.2,
        billing=billing,
    )


async def test_billing_snapshots_go_before_telemetry_when_both_are_due():
    wire: list[str] = []
    devices = [
        _scripted(wire, "EM-TELE-1", interval_s=3600),
        _scripted(wire, "EM-TELE-2", interval_s=3600),
        _scripted(wire, "EM-BILL", interval_s=3600, billing=True),
    ]
    sink = Readings()
    worker = BusWorker(code="gw1", devices=devices, sink=sink)
    assert [d.lane for d in devices] == [Lane.TELEMETRY, Lane.TELEMETRY, Lane.BILLING]
    await _run_for_a_while(worker, lambda: len(wire) >= 3)
    assert wire[0] == "EM-BILL"
    assert sink.billing == {"EM-BILL": True, "EM-TELE-1": False, "EM-TELE-2": False}


async def test_a_command_goes_on_the_wire_before_any_due_poll():
    wire: list[str] = []
    devices = [_scripted(wire, f"EM-{n}", interval_s=0.01) for n in range(4)]
    worker = BusWorker(code="gw1", devices=devices, sink=Readings())
    polling = asyncio.create_task(worker.run())
    try:
        await eventually(lambda: len(wire) >= 8)

        async def write() -> str:
            wire.append("WRITE")
            return "written"

        assert await worker.submit(write) == "written"
        at = wire.index("WRITE")
        # Every device was due when the write was submitted; at most the poll then on the
        # wire finished before it.
        assert "WRITE" in wire[at - 1 : at + 1]
        assert await worker.reread("EM-2") == {"energy_import": 100.0}
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)


async def test_a_failing_command_fails_its_submitter_and_the_bus_goes_on():
    wire: list[str] = []
    worker = BusWorker(
        code="gw1", devices=[_scripted(wire, "EM-1", interval_s=0.01)], sink=Readings()
    )
    polling = asyncio.create_task(worker.run())
    try:

        async def refused() -> None:
            raise TransportError("device answered exception code 1")

        with pytest.raises(TransportError, match="exception code 1"):
            await worker.submit(refused)
        count = len(wire)
        await eventually(lambda: len(wire) > count + 2)
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)


async def test_a_dead_device_is_quarantined_and_probed_on_back_off():
    wire: list[str] = []
    healthy = [_scripted(wire, f"EM-{n}", interval_s=0.05) for n in range(3)]
    dead = _scripted(wire, "EM-DEAD", interval_s=0.05)
    dead.driver.dead = True  # type: ignore[attr-defined]
    worker = BusWorker(code="gw1", devices=[*healthy, dead], sink=Readings())
    await _run_for_a_while(worker, lambda: wire.count("EM-0") >= 30)
    assert dead.quarantined and dead.health.failures >= QUARANTINE_AFTER_FAILURES
    # 30 polls of a healthy device took ~1.5 s: without back-off the dead one would have
    # been tried as often; with it, a handful of probes (0.05, 0.1, 0.2, 0.4, 0.8 s apart).
    assert wire.count("EM-DEAD") <= 7
    dead.driver.dead = False  # type: ignore[attr-defined]
    await _run_for_a_while(worker, lambda: dead.health.healthy, timeout_s=10)
    assert dead.pause_after_poll_s() == dead.poll_interval_s


async def test_a_saturated_bus_shares_its_time_fairly():
    wire: list[str] = []
    devices = [_scripted(wire, f"EM-{n}", interval_s=0.001, delay_s=0.002) for n in range(5)]
    worker = BusWorker(code="gw1", devices=devices, sink=Readings())
    await _run_for_a_while(worker, lambda: len(wire) >= 50)
    counts = [wire.count(f"EM-{n}") for n in range(5)]
    assert max(counts) - min(counts) <= 1, counts


async def test_a_slow_device_is_polled_no_faster_than_it_answers():
    wire: list[str] = []
    slow = _scripted(wire, "EM-SLOW", interval_s=0.01, delay_s=0.15)
    worker = BusWorker(code="gw1", devices=[slow], sink=Readings())
    await _run_for_a_while(worker, lambda: len(wire) >= 2)
    assert slow.answer_s >= 0.15
    assert slow.pause_after_poll_s() >= 2 * slow.answer_s


class FlagEverything:
    def __init__(self) -> None:
        self.checked: list[tuple[str, dict[str, float]]] = []

    def check(self, device: str, values: dict[str, float]) -> list[str]:
        self.checked.append((device, values))
        return ["backwards:energy_import"]


async def test_readings_pass_the_sanity_check_and_keep_its_flags():
    wire: list[str] = []
    check = FlagEverything()
    sink = Readings()
    device = _scripted(wire, "EM-1", interval_s=1)
    worker = BusWorker(code="gw1", devices=[device], sink=sink, check=check)
    assert await worker.poll(device) == {"energy_import": 100.0}
    assert check.checked == [("EM-1", {"energy_import": 100.0})]
    assert sink.flags == [["backwards:energy_import"]]

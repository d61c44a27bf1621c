import asyncio
from collections.abc import Callable

import pytest

from edge.drivers.dlt645 import Dlt645Driver
from edge.errors import TransportError
from edge.transports.serial import SerialLink
from protocols import dlt645
from simulators.dlt645 import SimulatedDlt645Meter, serve_dlt645_bus
from simulators.load_curve import OfficeLoad
from tests.support import running

METER = "202301150042"
OTHER_METER = "202301150043"
STILL = OfficeLoad(base_kw=0.0, peak_kw=0.0)
"""A meter whose register does not move, so a reading can be compared exactly."""


class FakeLink:
    """Answers every transaction with the bytes it was given, or raises; records requests."""

    def __init__(self, answer: bytes | Exception) -> None:
        self.answer = answer
        self.requests: list[tuple[bytes, float]] = []

    async def transact(
        self, request: bytes, *, timeout_s: float, complete: Callable[[bytes], bool]
    ) -> bytes:
        self.requests.append((request, timeout_s))
        if isinstance(self.answer, Exception):
            raise self.answer
        assert complete(self.answer)
        return self.answer


# --- through a fake link ------------------------------------------------------------------------


async def test_reads_total_forward_active_energy_as_energy_import():
    link = FakeLink(dlt645.energy_answer(METER, 18234.56))
    driver = Dlt645Driver(link=link, address=METER, timeout_s=0.8)
    assert await driver.read() == {"energy_import": 18234.56}
    assert link.requests == [(dlt645.read_request(METER, dlt645.FORWARD_ACTIVE_TOTAL), 0.8)]


async def test_a_refusal_names_the_meter_and_what_it_meant():
    link = FakeLink(dlt645.abnormal_answer(METER, dlt645.NO_REQUESTED_DATA))
    driver = Dlt645Driver(link=link, address=METER, timeout_s=0.8)
    with pytest.raises(TransportError, match=f"meter {METER}: .*no requested data"):
        await driver.read()


async def test_an_answer_from_another_meter_is_a_transport_error():
    link = FakeLink(dlt645.energy_answer(OTHER_METER, 1.0))
    driver = Dlt645Driver(link=link, address=METER, timeout_s=0.8)
    with pytest.raises(TransportError, match=f"comes from meter {OTHER_METER}, not {METER}"):
        await driver.read()


async def test_a_damaged_answer_is_a_transport_error():
    damaged = dlt645.energy_answer(METER, 1.0)[:-2] + b"\x00\x16"
    driver = Dlt645Driver(link=FakeLink(damaged), address=METER, timeout_s=0.8)
    with pytest.raises(TransportError, match="bad checksum"):
        await driver.read()


async def test_a_link_failure_names_the_meter():
    link = FakeLink(TransportError("/dev/ttyUSB1: no complete answer within 0.800 s"))
    driver = Dlt645Driver(link=link, address=METER, timeout_s=0.8)
    with pytest.raises(TransportError, match=f"DL/T 645 meter {METER}: /dev/ttyUSB1: no comp"):
        await driver.read()


@pytest.mark.parametrize("address", ["20230115004", "AAAAAAAAAAAA", "2023O1150042"])
def test_only_a_nameplate_address_is_accepted(address):
    with pytest.raises(ValueError, match="not the 12 digits"):
        Dlt645Driver(link=FakeLink(b""), address=address, timeout_s=0.8)


# --- over a real pty, against the simulated meters ----------------------------------------------


def _bus(tmp_path, meters, *, baud=9600):
    link = tmp_path / "ttyDLT645"

    def start(ready: asyncio.Event):
        return serve_dlt645_bus(
            link=link, baud=baud, parity="E", stop_bits=1, meters=meters, ready=ready
        )

    return link, start


async def test_reads_the_simulated_meters_energy_at_the_standards_2400_baud(tmp_path):
    meters = [SimulatedDlt645Meter(METER, start_energy_kwh=12345.67, load=STILL)]
    link, start = _bus(tmp_path, meters, baud=2400)
    async with running(start), SerialLink(port=str(link), baud=2400, parity="E", stop_bits=1) as s:
        driver = Dlt645Driver(link=s, address=METER, timeout_s=1.5)
        assert await driver.read() == {"energy_import": 12345.67}


async def test_energy_grows_between_reads(tmp_path):
    meters = [SimulatedDlt645Meter(METER, start_energy_kwh=100.0, speed=3600.0)]
    link, start = _bus(tmp_path, meters)
    async with running(start), SerialLink(port=str(link), baud=9600, parity="E", stop_bits=1) as s:
        driver = Dlt645Driver(link=s, address=METER, timeout_s=1.0)
        first = (await driver.read())["energy_import"]
        await asyncio.sleep(0.5)  # half a simulated hour: at least the 1.2 kW base load
        second = (await driver.read())["energy_import"]
    assert 100.0 <= first < second


async def test_a_wrong_address_times_out_with_the_meter_named(tmp_path):
    meters = [SimulatedDlt645Meter(METER, load=STILL)]
    link, start = _bus(tmp_path, meters)
    async with running(start), SerialLink(port=str(link), baud=9600, parity="E", stop_bits=1) as s:
        driver = Dlt645Driver(link=s, address=OTHER_METER, timeout_s=0.3)
        with pytest.raises(TransportError, match=f"meter {OTHER_METER}: .*no complete answer"):
            await driver.read()


async def test_a_dead_meter_costs_its_timeout_and_nothing_more(tmp_path):
    meters = [
        SimulatedDlt645Meter(METER, dead=True),
        SimulatedDlt645Meter(OTHER_METER, start_energy_kwh=42.5, load=STILL),
    ]
    link, start = _bus(tmp_path, meters)
    async with running(start), SerialLink(port=str(link), baud=9600, parity="E", stop_bits=1) as s:
        dead = Dlt645Driver(link=s, address=METER, timeout_s=0.3)
        healthy = Dlt645Driver(link=s, address=OTHER_METER, timeout_s=0.3)
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(TransportError, match=f"meter {METER}"):
            await dead.read()
        waited = loop.time() - began
        assert await healthy.read() == {"energy_import": 42.5}
    # It gave up at its timeout (a loose upper bound: the point is no 30 s hang).
    assert 0.3 <= waited < 1.3

import asyncio
from datetime import datetime

import pytest

from edge.transports.serial import SerialLink
from protocols import dlt645
from protocols.dlt645 import Frame
from simulators.dlt645 import (
    Dlt645Meters,
    LiveDlt645Meter,
    SimulatedDlt645Meter,
    serve_dlt645_bus,
)
from simulators.load_curve import OfficeLoad
from simulators.meter import SITE_TIMEZONE
from tests.support import running

WORKDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=SITE_TIMEZONE)
METER = "202301150042"
OTHER_METER = "202301150043"
STILL = OfficeLoad(base_kw=0.0, peak_kw=0.0)
VOLTAGE_A = 0x0201_0100
"""Phase A voltage: a real data identifier these simulated meters do not keep."""


def _line(*meters: SimulatedDlt645Meter) -> Dlt645Meters:
    return Dlt645Meters([LiveDlt645Meter(m, started_at=WORKDAY_10AM) for m in meters])


def _read(address: str, identifier: int = dlt645.FORWARD_ACTIVE_TOTAL) -> bytes:
    return dlt645.read_request(address, identifier)


# --- the meter ----------------------------------------------------------------------------------


def test_energy_integrates_the_office_load_and_only_grows():
    meter = LiveDlt645Meter(SimulatedDlt645Meter(METER, speed=60.0), started_at=WORKDAY_10AM)
    readings = []
    for _ in range(60):  # one simulated hour of a working morning
        meter.advance(1.0)
        readings.append(meter.energy_kwh)
    assert all(b > a for a, b in zip(readings, readings[1:], strict=False))
    assert readings[-1] == pytest.approx(8.0, rel=0.1)  # about an hour at the 8 kW plateau


def test_the_register_shows_whole_hundredths_and_rolls_over():
    meter = LiveDlt645Meter(
        SimulatedDlt645Meter(METER, start_energy_kwh=999999.995, load=STILL),
        started_at=WORKDAY_10AM,
    )
    assert meter.register_kwh == 999999.99  # never rounded up
    meter.energy_kwh = 1_000_000.016
    assert meter.register_kwh == 0.01


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"address": "12345"}, "not 12 digits"),
        ({"address": dlt645.BROADCAST_ADDRESS}, "broadcast address"),
        ({"speed": 0}, "speed must be positive"),
        ({"start_energy_kwh": 1_000_000}, "must fit the register"),
        ({"slow_s": -1}, "cannot be negative"),
    ],
)
def test_meters_that_cannot_exist_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        SimulatedDlt645Meter(**{"address": METER, **fields})


def test_two_meters_with_one_address_are_refused():
    with pytest.raises(ValueError, match="unique"):
        _line(SimulatedDlt645Meter(METER), SimulatedDlt645Meter(METER))


# --- who answers --------------------------------------------------------------------------------


async def test_the_addressed_meter_answers_with_its_register():
    line = _line(
        SimulatedDlt645Meter(METER, start_energy_kwh=10.0, load=STILL),
        SimulatedDlt645Meter(OTHER_METER, start_energy_kwh=20.0, load=STILL),
    )
    answer = await line.answer(_read(OTHER_METER))
    assert answer == dlt645.energy_answer(OTHER_METER, 20.0)


async def test_silence_for_a_wrong_address_a_broadcast_noise_and_answers():
    line = _line(SimulatedDlt645Meter(METER, load=STILL))
    assert await line.answer(_read(OTHER_METER)) is None
    assert await line.answer(_read(dlt645.BROADCAST_ADDRESS)) is None
    assert await line.answer(b"\x00\xff\x13") is None
    assert await line.answer(_read(METER)[:-2] + b"\x00\x16") is None  # bad checksum
    assert await line.answer(dlt645.energy_answer(METER, 1.0)) is None  # a meter's own words


async def test_the_wildcard_is_answered_only_by_a_meter_alone_on_the_line():
    alone = _line(SimulatedDlt645Meter(METER, start_energy_kwh=3.0, load=STILL))
    answer = await alone.answer(_read(dlt645.WILDCARD_ADDRESS))
    assert answer == dlt645.energy_answer(METER, 3.0)  # with its real address
    crowded = _line(SimulatedDlt645Meter(METER), SimulatedDlt645Meter(OTHER_METER))
    assert await crowded.answer(_read(dlt645.WILDCARD_ADDRESS)) is None
    # Shortened addressing narrows the wildcard to one meter again.
    assert await crowded.answer(_read("AAAAAAAAAA43")) is not None


async def test_an_unknown_data_identifier_gets_an_abnormal_answer():
    line = _line(SimulatedDlt645Meter(METER))
    answer = await line.answer(_read(METER, VOLTAGE_A))
    assert answer == dlt645.abnormal_answer(METER, dlt645.NO_REQUESTED_DATA)


async def test_an_unsupported_command_gets_an_abnormal_answer():
    line = _line(SimulatedDlt645Meter(METER))
    write = dlt645.encode(Frame(METER, 0x14, bytes(12)))  # write data
    answer = await line.answer(write)
    assert answer == dlt645.abnormal_answer(METER, dlt645.OTHER_ERROR, command=0x14)


async def test_a_dead_meter_is_silent_and_does_not_crowd_the_wildcard():
    line = _line(SimulatedDlt645Meter(METER, dead=True), SimulatedDlt645Meter(OTHER_METER))
    assert await line.answer(_read(METER)) is None
    assert await line.answer(_read(dlt645.WILDCARD_ADDRESS)) is not None


# --- over a real pty ----------------------------------------------------------------------------


def _serve(link, meters, baud=9600):
    def start(ready: asyncio.Event):
        return serve_dlt645_bus(link=link, baud=baud, parity="E", meters=meters, ready=ready)

    return start


def _link(path) -> SerialLink:
    return SerialLink(port=str(path), baud=9600, parity="E", stop_bits=1)


async def test_a_meter_alone_on_the_line_tells_its_address_to_the_wildcard(tmp_path):
    link = tmp_path / "tty645"
    meters = [SimulatedDlt645Meter(METER, start_energy_kwh=7.25, load=STILL)]
    async with running(_serve(link, meters)), _link(link) as serial:
        answer = await serial.transact(
            _read(dlt645.WILDCARD_ADDRESS), timeout_s=1.0, complete=dlt645.answer_complete
        )
    assert dlt645.decode(answer).address == METER
    assert dlt645.parse_energy_answer(answer, address=METER) == 7.25


async def test_an_abnormal_answer_over_the_line_says_what_it_means(tmp_path):
    link = tmp_path / "tty645"
    async with running(_serve(link, [SimulatedDlt645Meter(METER)])), _link(link) as serial:
        answer = await serial.transact(
            _read(METER, VOLTAGE_A), timeout_s=1.0, complete=dlt645.answer_complete
        )
    with pytest.raises(dlt645.AbnormalAnswer, match="no requested data"):
        dlt645.parse_read_answer(answer, address=METER, identifier=VOLTAGE_A)


async def test_a_slow_meter_answers_no_sooner_than_it_thinks(tmp_path):
    link = tmp_path / "tty645"
    meters = [SimulatedDlt645Meter(METER, slow_s=0.4, load=STILL)]
    async with running(_serve(link, meters)), _link(link) as serial:
        loop = asyncio.get_running_loop()
        began = loop.time()
        answer = await serial.transact(_read(METER), timeout_s=2.0, complete=dlt645.answer_complete)
        took = loop.time() - began
    assert dlt645.parse_energy_answer(answer, address=METER) == 0.0
    assert took >= 0.4


async def test_the_line_leaves_no_symlink_behind(tmp_path):
    link = tmp_path / "tty645"
    async with running(_serve(link, [SimulatedDlt645Meter(METER)])):
        assert link.is_symlink()
    assert not link.exists() and not link.is_symlink()

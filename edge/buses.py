"""What runs each bus of a site config: its link (TCP, serial port, RTU over TCP), a driver per
device, and the scheduler that owns the wire."""

from contextlib import AbstractAsyncContextManager
from typing import Any

from edge.bus import BusWorker, PolledDevice, ReadingCheck, ReadingSink
from edge.commands import BusHandle
from edge.drivers.dlt645 import Dlt645Driver
from edge.drivers.meter import MeterDriver
from edge.sanity import Cumulative, cumulative_registers
from edge.transports.modbus import open_transport
from edge.transports.serial import SerialLink
from protocols.profiles import ENERGY_IMPORT
from protocols.site_config import AnyBus, Dlt645Bus, Dlt645Device, MeterDevice, SiteConfig

DLT645_ENERGY_WRAPS_AT = 999_999.99
"""DL/T 645 energy is BCD XXXXXX.XX kWh: it rolls over past this."""


def open_link(bus: AnyBus) -> AbstractAsyncContextManager[Any]:
    """The bus's link, opened on entering and closed on leaving."""
    if isinstance(bus, Dlt645Bus):
        return SerialLink(port=bus.port, baud=bus.baud, parity=bus.parity, stop_bits=bus.stop_bits)
    return open_transport(bus)


def bus_worker(
    site: SiteConfig,
    bus: AnyBus,
    link: Any,
    *,
    sink: ReadingSink,
    check: ReadingCheck | None = None,
) -> BusHandle:
    """The scheduler of `bus` polling its devices through `link`, for the agent to run."""
    devices = [_polled(site, bus, device, link) for device in bus.devices]
    worker = BusWorker(code=bus.code, devices=devices, sink=sink, check=check)
    if isinstance(bus, Dlt645Bus):
        return BusHandle(worker=worker, transport=None, units={})
    units = {d.code: d.unit_id for d in bus.devices if isinstance(d, MeterDevice)}
    return BusHandle(worker=worker, transport=link, units=units)


def cumulative_registers_of(site: SiteConfig) -> dict[str, tuple[Cumulative, ...]]:
    """Device code -> its registers that only grow, for reading sanity."""
    registers: dict[str, tuple[Cumulative, ...]] = {}
    for _, device in site.meters():
        if isinstance(device, Dlt645Device):
            registers[device.code] = (Cumulative(ENERGY_IMPORT, DLT645_ENERGY_WRAPS_AT),)
        else:
            registers[device.code] = cumulative_registers(site.profile(device.profile))
    return registers


def _polled(
    site: SiteConfig, bus: AnyBus, device: MeterDevice | Dlt645Device, link: Any
) -> PolledDevice:
    if isinstance(device, Dlt645Device):
        assert isinstance(bus, Dlt645Bus)
        timeout_s = bus.answer_timeout_s()
        driver: Any = Dlt645Driver(link=link, address=device.address, timeout_s=timeout_s)
        where = f"{bus.code} address {device.address}"
        return _device(device, driver, deadline_s=timeout_s * 1.5, where=where)
    assert not isinstance(bus, Dlt645Bus)
    plan = site.read_plan(bus, device)
    driver = MeterDriver(
        transport=link, profile=site.profile(device.profile), unit_id=device.unit_id, reads=plan
    )
    # Every request's own timeout, plus one for (re)connecting: a dead device costs no more.
    deadline_s = sum(bus.read_timeout_s(block.count) for block in plan) + bus.read_timeout_s(0)
    return _device(device, driver, deadline_s=deadline_s, where=f"{bus.code} unit {device.unit_id}")


def _device(
    device: MeterDevice | Dlt645Device, driver: Any, *, deadline_s: float, where: str
) -> PolledDevice:
    return PolledDevice(
        code=device.code,
        driver=driver,
        poll_interval_s=device.poll_interval_s,
        deadline_s=deadline_s,
        billing=device.billing,
        where=where,
    )

"""Energy per meter, unit, tenant or building: series at a chosen bucket from the rollups, and
consumption over a period from the registers at its boundaries, as the actor may see them (a
tenant: its own units' meters, over its tenancy)."""

from collections import defaultdict
from datetime import UTC, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Double, cast, func, select, text
from sqlalchemy.orm import Session

from cloud.energy import rollups
from cloud.energy import service as energy_service
from cloud.energy.models import EnergyRollup, Meter, Reading
from cloud.energy.schemas import EnergySeries, MeterConsumption, PeriodConsumption, SeriesPoint
from cloud.errors import Forbidden, Invalid, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.leasing import service as leasing_service
from cloud.leasing.models import Lease
from cloud.properties.models import Building, Site, Unit
from protocols.profiles import ENERGY_IMPORT

MAX_POINTS = 20_000


class Scope(StrEnum):
    meter = "meter"
    unit = "unit"
    tenant = "tenant"
    building = "building"


class Width(StrEnum):
    quarter = "15m"
    hour = "1h"
    day = "1d"
    month = "1mo"


Window = tuple[datetime, datetime]


def scope_meters(
    *, session: Session, actor: Actor, scope: Scope, code: str, site_code: str | None = None
) -> list[Meter]:
    """The visible meters of a meter, unit, tenant (its units leased today) or building."""
    visible = energy_service.visible_meters(session=session, actor=actor)
    if scope is Scope.meter:
        return [energy_service.get_meter(session=session, actor=actor, code=code)]
    if scope is Scope.unit:
        unit = session.scalar(select(Unit).where(Unit.org_id == actor.org_id, Unit.code == code))
        if unit is None:
            raise NotFound(f"unit {code} not found")
        meters = list(session.scalars(visible.where(Meter.unit_id == unit.id)))
        if actor.is_tenant and not meters:
            raise NotFound(f"unit {code} not found")  # not the tenant's: say no more
        return meters
    if scope is Scope.tenant:
        tenant = leasing_service.get_tenant(session=session, actor=actor, code=code, field="code")
        today = identity_service.org_today(session=session, actor=actor)
        units = select(Lease.unit_id).where(
            Lease.tenant_id == tenant.id, Lease.start_date <= today, Lease.end_date >= today
        )
        return list(session.scalars(visible.where(Meter.unit_id.in_(units)).order_by(Meter.code)))
    if actor.is_tenant:
        raise Forbidden("a building's energy is for the park's staff")
    buildings = select(Building.id).where(Building.org_id == actor.org_id, Building.code == code)
    if site_code is not None:
        buildings = buildings.join(Site, Site.id == Building.site_id).where(Site.code == site_code)
    found = list(session.scalars(buildings))
    if len(found) != 1:
        problem = "not found" if not found else "in several sites: name the site"
        raise NotFound(f"building {code} {problem}")
    units = select(Unit.id).where(Unit.building_id == found[0])
    return list(session.scalars(visible.where(Meter.unit_id.in_(units)).order_by(Meter.code)))


def building_codes(*, session: Session, actor: Actor) -> list[str]:
    """Codes of the org's buildings, for staff to choose among."""
    if actor.is_tenant:
        raise Forbidden("a building's energy is for the park's staff")
    codes = session.scalars(
        select(Building.code)
        .where(Building.org_id == actor.org_id)
        .distinct()
        .order_by(Building.code)
    )
    return list(codes)


def _windows(
    session: Session, actor: Actor, meters: list[Meter], start: datetime, end: datetime
) -> dict[int, Window]:
    """Per meter, the part of [start, end) the actor may see (a tenant: its tenancy)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid("start and end need a time zone, e.g. 2026-03-01T00:00:00+08:00")
    if end <= start:
        raise Invalid("end must be after start", field="end")
    windows = {}
    for meter in meters:
        lo, hi = start, end
        if actor.is_tenant:
            assert meter.unit_id is not None  # a tenant sees only meters of its units
            since, until = leasing_service.tenancy(
                session=session, actor=actor, unit_id=meter.unit_id
            )
            lo, hi = max(lo, since), min(hi, until)
        if lo < hi:
            windows[meter.id] = (lo, hi)
    return windows


def series(
    *,
    session: Session,
    actor: Actor,
    scope: Scope,
    code: str,
    width: Width,
    start: datetime,
    end: datetime,
    site_code: str | None = None,
) -> EnergySeries:
    """kWh (CT ratio applied) per bucket of `width` with start <= bucket < end, summed over
    the scope's meters, from the rollups; months and days are the org's."""
    meters = scope_meters(session=session, actor=actor, scope=scope, code=code, site_code=site_code)
    windows = _windows(session, actor, meters, start, end)
    zone = ZoneInfo(identity_service.get_org(session=session, actor=actor).timezone)
    stored = Width.day if width is Width.month else width
    totals: dict[datetime, list[float]] = defaultdict(lambda: [0.0, 0, 0])
    for (lo, hi), device_ids in _grouped(windows).items():
        for bucket, kwh, resets, readings in _rollup_rows(session, stored, device_ids, lo, hi):
            at = _month_start(bucket, zone) if width is Width.month else bucket
            cell = totals[at]
            cell[0], cell[1], cell[2] = cell[0] + kwh, cell[1] + resets, cell[2] + readings
    if len(totals) > MAX_POINTS:
        raise Invalid(f"more than {MAX_POINTS} points; choose a wider bucket", field="width")
    return EnergySeries(
        scope=scope.value,
        code=code,
        width=width.value,
        meters=[m.code for m in meters],
        points=[
            SeriesPoint(bucket=at, kwh=round(kwh, 3), resets=int(resets), readings=int(n))
            for at, (kwh, resets, n) in sorted(totals.items())
        ],
    )


def _grouped(windows: dict[int, Window]) -> dict[Window, list[int]]:
    grouped: dict[Window, list[int]] = defaultdict(list)
    for device_id, window in windows.items():
        grouped[window].append(device_id)
    return grouped


def _rollup_rows(
    session: Session, width: Width, device_ids: list[int], lo: datetime, hi: datetime
) -> list[tuple[datetime, float, int, int]]:
    rows = session.execute(
        select(
            EnergyRollup.bucket,
            func.sum(EnergyRollup.kwh * cast(Meter.ct_ratio, Double)),
            func.sum(EnergyRollup.resets),
            func.sum(EnergyRollup.readings),
        )
        .join(Meter, Meter.id == EnergyRollup.device_id)
        .where(
            EnergyRollup.width == width.value,
            EnergyRollup.device_id.in_(device_ids),
            EnergyRollup.bucket >= lo,
            EnergyRollup.bucket < hi,
        )
        .group_by(EnergyRollup.bucket)
    )
    return [(b, float(k), int(r), int(n)) for b, k, r, n in rows]


def _month_start(at: datetime, zone: ZoneInfo) -> datetime:
    local = at.astimezone(zone).date().replace(day=1)
    return datetime.combine(local, time(0), tzinfo=zone).astimezone(UTC)


def consumption(
    *,
    session: Session,
    actor: Actor,
    scope: Scope,
    code: str,
    start: datetime,
    end: datetime,
    site_code: str | None = None,
) -> PeriodConsumption:
    """kWh of each of the scope's meters over [start, end): the energy register's last reading
    before `end` minus its last before `start`, times the CT ratio. Where the register went
    down in between (meter replaced, rolled over) the new register's count is added instead of
    the fall, and the meter is flagged."""
    meters = scope_meters(session=session, actor=actor, scope=scope, code=code, site_code=site_code)
    windows = _windows(session, actor, meters, start, end)
    found = [
        _meter_consumption(session, meter, *windows[meter.id])
        for meter in meters
        if meter.id in windows
    ]
    parts = [m for m in found if m is not None]
    return PeriodConsumption(
        scope=scope.value,
        code=code,
        start=start,
        end=end,
        kwh=round(sum(m.kwh for m in parts), 3),
        meters=parts,
    )


def _meter_consumption(
    session: Session, meter: Meter, lo: datetime, hi: datetime
) -> MeterConsumption | None:
    before = _last_before(session, meter, lo)
    closing = _last_before(session, meter, hi)
    if closing is None or (before is None and closing.ts < lo):
        return None  # nothing read in or before the period
    opening = before or energy_service.first_reading(
        session=session, meter=meter, metric=ENERGY_IMPORT, start=lo, before=hi
    )
    assert opening is not None
    dialect = session.get_bind().dialect.name
    rise, resets = session.execute(
        text(
            rollups.steps(dialect) + f"SELECT sum({rollups.RISE}), sum({rollups.DROP}) "
            "FROM steps WHERE ts >= :a"
        ).bindparams(*rollups.instant_params()),
        {"devices": rollups.devices_param(dialect, [meter.id]), "a": lo, "b": hi},
    ).one()
    later = energy_service.first_reading(
        session=session, meter=meter, metric=ENERGY_IMPORT, start=hi
    )
    ct = float(meter.ct_ratio)
    return MeterConsumption(
        meter_code=meter.code,
        opening_ts=opening.ts,
        opening_register=opening.value,
        closing_ts=closing.ts,
        closing_register=closing.value,
        ct_ratio=ct,
        kwh=round(float(rise or 0.0) * ct, 3),
        resets=int(resets or 0),
        partial=before is None or later is None,
    )


def _last_before(session: Session, meter: Meter, at: datetime) -> Reading | None:
    return session.scalar(
        select(Reading)
        .where(Reading.device_id == meter.id, Reading.metric == ENERGY_IMPORT, Reading.ts < at)
        .order_by(Reading.ts.desc())
        .limit(1)
    )

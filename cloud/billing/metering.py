"""Metered lines of a billing run: each lease's kWh as a difference of its billing meter's
cumulative register at the period boundaries, times the CT ratio, at a flat, tiered or
time-of-use tariff; and shared meters (公摊) split over their units.

Boundary readings of all meters come in one query per distinct pair of boundaries (the
correlated look-ups use the readings' primary key), so a run issues no query per lease.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, select
from sqlalchemy.orm import Session, aliased

from cloud.billing import tariffs
from cloud.billing.models import ElectricityTariff, MeterTariff, SharedMeter
from cloud.billing.schemas import RunLine
from cloud.billing.sources import Tenancy
from cloud.energy.models import Meter, MeterExchange, Reading
from protocols.profiles import ENERGY_IMPORT

STALE_AFTER = timedelta(days=1)
CHUNK = 2000
ELECTRICITY = "电费"


@dataclass(frozen=True)
class Point:
    ts: datetime
    value: Decimal


@dataclass(frozen=True)
class Boundaries:
    before: Point | None  # last reading at or before the start
    first: Point | None  # first reading in [start, end)
    closing: Point | None  # last reading at or before the end


def _point(ts: datetime | None, value: float | None) -> Point | None:
    return None if ts is None or value is None else Point(ts, Decimal(repr(value)))


def boundaries(
    session: Session, meter_ids: Sequence[int], start_at: datetime, end_at: datetime
) -> dict[int, Boundaries]:
    """The boundary readings of many meters over [start_at, end_at), a query per 2,000."""
    found: dict[int, Boundaries] = {}
    for at in range(0, len(meter_ids), CHUNK):
        found.update(_boundaries(session, meter_ids[at : at + CHUNK], start_at, end_at))
    return found


def _edge(agg: ColumnElement[datetime], *conds: ColumnElement[bool]) -> ScalarSelect[datetime]:
    """The newest or oldest reading time of the outer query's meter meeting `conds`."""
    return (
        select(agg)
        .where(Reading.device_id == Meter.id, Reading.metric == ENERGY_IMPORT, *conds)
        .correlate(Meter)
        .scalar_subquery()
    )


MARKS = ("before", "first", "closing")


def _boundaries(
    session: Session, meter_ids: Sequence[int], start_at: datetime, end_at: datetime
) -> dict[int, Boundaries]:
    in_period = (Reading.ts >= start_at, Reading.ts < end_at)
    marks = (
        select(
            Meter.id.label("meter_id"),
            _edge(func.max(Reading.ts), Reading.ts <= start_at).label("before"),
            _edge(func.min(Reading.ts), *in_period).label("first"),
            _edge(func.max(Reading.ts), Reading.ts <= end_at).label("closing"),
        )
        .where(Meter.id.in_(meter_ids))
        .subquery()
    )
    readings = [aliased(Reading) for _ in MARKS]
    columns = [c for r, m in zip(readings, MARKS, strict=True) for c in (marks.c[m], r.value)]
    stmt = select(marks.c.meter_id, *columns)
    for r, m in zip(readings, MARKS, strict=True):
        stmt = stmt.outerjoin(
            r, and_(r.device_id == marks.c.meter_id, r.metric == ENERGY_IMPORT, r.ts == marks.c[m])
        )
    return {
        row[0]: Boundaries(_point(row[1], row[2]), _point(row[3], row[4]), _point(row[5], row[6]))
        for row in session.execute(stmt)
    }


@dataclass(frozen=True)
class Break:
    """A meter exchange (or rollover): readings from `at` on are the new register's, which
    continues the old one's count once `offset` is added."""

    at: datetime
    final_value: Decimal
    initial_value: Decimal

    @property
    def offset(self) -> Decimal:
        return self.final_value - self.initial_value


def breaks(session: Session, meter_ids: Sequence[int], end_at: datetime) -> dict[int, list[Break]]:
    """The register breaks of many meters up to `end_at`, oldest first (a query per 2,000)."""
    found: dict[int, list[Break]] = defaultdict(list)
    for at in range(0, len(meter_ids), CHUNK):
        rows = session.scalars(
            select(MeterExchange)
            .where(MeterExchange.meter_id.in_(meter_ids[at : at + CHUNK]))
            .where(MeterExchange.at <= end_at)
            .order_by(MeterExchange.at)
        )
        for row in rows:
            found[row.meter_id].append(Break(row.at, row.final_value, row.initial_value))
    return found


def register_rise(
    opening: Point, closing: Point, meter_breaks: Sequence[Break]
) -> tuple[Decimal, list[Break]]:
    """How far the register counted from `opening` to `closing`, across the breaks between
    them (which are returned too)."""
    between = [b for b in meter_breaks if opening.ts < b.at <= closing.ts]
    return closing.value - opening.value + sum((b.offset for b in between), Decimal(0)), between


def continued(points: Sequence[Point], between: Sequence[Break]) -> list[Point]:
    """`points` as one unbroken count: each break's offset added to the readings after it."""
    return [
        Point(p.ts, p.value + sum((b.offset for b in between if b.at <= p.ts), Decimal(0)))
        for p in points
    ]


def _breaks_text(between: Sequence[Break], zone: ZoneInfo) -> str:
    """For the bill: 换表 2026-03-15 10:00 旧表止码 48213.7 新表起码 0."""
    return "；".join(
        f"{b.at.astimezone(zone):%Y-%m-%d %H:%M} 旧表止码 {b.final_value.normalize():f} "
        f"新表起码 {b.initial_value.normalize():f}"
        for b in between
    )


def instants(zone: ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in `zone`."""
    return (
        datetime.combine(first, time(0), tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone),
    )


@dataclass
class Metered:
    lines: list[RunLine]
    kwh_by_unit: dict[int, Decimal]
    warnings: list[str]


def lease_lines(
    session: Session,
    *,
    org_id: int,
    zone: ZoneInfo,
    leases: Sequence[Tenancy],
    period: tuple[date, date],
    due_date: date,
) -> Metered:
    """Electricity of each lease whose unit has a billing meter, over the part of `period` it
    runs; leases without a meter are left out quietly, those without readings with a warning."""
    meters = _billing_meters(session, org_id)
    by_dates: dict[tuple[date, date], list[Tenancy]] = defaultdict(list)
    for lease in leases:
        if lease.unit_id in meters:
            by_dates[(max(period[0], lease.start_date), min(period[1], lease.end_date))].append(
                lease
            )
    plans = _tariffs(session, org_id)
    out = Metered([], {}, [])
    for (first, last), group in by_dates.items():
        start_at, end_at = instants(zone, first, last)
        meter_ids = [meters[lease.unit_id].id for lease in group]
        marks = boundaries(session, meter_ids, start_at, end_at)
        broken = breaks(session, meter_ids, end_at)
        for lease in group:
            meter = meters[lease.unit_id]
            line = _lease_line(
                session,
                lease,
                meter,
                marks.get(meter.id),
                broken.get(meter.id, []),
                plans.get(meter.id),
                zone,
                (first, last, start_at, end_at),
                due_date,
                out.warnings,
            )
            if line is not None and line.amount > 0:
                out.lines.append(line)
                out.kwh_by_unit[lease.unit_id] = Decimal(line.detail["kwh"])
    return out


@dataclass(frozen=True, slots=True)
class BillingMeter:
    id: int
    code: str
    ct_ratio: Decimal


def _billing_meters(session: Session, org_id: int) -> dict[int, BillingMeter]:
    """The billing meter of each unit that has one (the first, if a unit has two)."""
    found: dict[int, BillingMeter] = {}
    for meter_id, code, ct_ratio, unit_id in session.execute(
        select(Meter.id, Meter.code, Meter.ct_ratio, Meter.unit_id)
        .where(Meter.org_id == org_id, Meter.billing, Meter.unit_id.is_not(None))
        .order_by(Meter.id)
    ):
        if unit_id is not None:
            found.setdefault(unit_id, BillingMeter(meter_id, code, ct_ratio))
    return found


def _tariffs(session: Session, org_id: int) -> dict[int, ElectricityTariff]:
    rows = session.execute(
        select(MeterTariff.meter_id, ElectricityTariff)
        .join(ElectricityTariff, ElectricityTariff.id == MeterTariff.tariff_id)
        .where(MeterTariff.org_id == org_id)
    )
    return {meter_id: tariff for meter_id, tariff in rows}


def _opening(marks: Boundaries, starts_here: bool, start_at: datetime) -> Point | None:
    """The last reading at or before the start; when the lease begins in the period and that
    reading is stale, what the meter counted before belongs to the previous occupant, so the
    first reading in the period opens instead."""
    before = marks.before
    if before is not None and not (starts_here and start_at - before.ts > STALE_AFTER):
        return before
    return marks.first


def _lease_line(
    session: Session,
    lease: Tenancy,
    meter: BillingMeter,
    marks: Boundaries | None,
    meter_breaks: Sequence[Break],
    plan: ElectricityTariff | None,
    zone: ZoneInfo,
    span: tuple[date, date, datetime, datetime],
    due_date: date,
    warnings: list[str],
) -> RunLine | None:
    first, last, start_at, end_at = span
    opening = _opening(marks, first == lease.start_date, start_at) if marks else None
    closing = marks.closing if marks else None
    if opening is None or closing is None or end_at - closing.ts > STALE_AFTER:
        # Left for a later run: the next period's opening is then this one's, so the energy is
        # billed once, later, instead of estimated now.
        warnings.append(f"{lease.code}: meter {meter.code} has no reading near {last} yet")
        return None
    rise, between = register_rise(opening, closing, meter_breaks)
    if rise < 0:
        warnings.append(
            f"{lease.code}: the register of meter {meter.code} went down from {opening.value} "
            f"to {closing.value}; if it was replaced or rolled over, record the exchange "
            "(换表) with the old register's final and the new one's initial value"
        )
        return None
    kwh = (rise * meter.ct_ratio).quantize(tariffs.KWH, ROUND_HALF_UP)
    detail = {
        "meter": meter.code,
        "opening": str(opening.value),
        "opening_ts": opening.ts.isoformat(),
        "closing": str(closing.value),
        "closing_ts": closing.ts.isoformat(),
        "ct_ratio": str(meter.ct_ratio),
        "kwh": str(kwh),
    }
    if between:
        detail["exchanges"] = _breaks_text(between, zone)
    amount = _price(session, meter, plan, kwh, (opening, closing, between), zone, lease, detail)
    return RunLine(
        source_key=f"kwh:{lease.id}:{first.isoformat()}",
        tenant_id=lease.tenant_id,
        tenant_code=lease.tenant_code,
        lease_id=lease.id,
        lease_code=lease.code,
        contract_id=lease.contract_id,
        unit_id=lease.unit_id,
        unit_code=lease.unit_code,
        item=ELECTRICITY,
        amount=amount,
        due_date=due_date,
        period_start=first,
        period_end=last,
        detail=detail,
    )


def _price(
    session: Session,
    meter: BillingMeter,
    plan: ElectricityTariff | None,
    kwh: Decimal,
    readings: tuple[Point, Point, Sequence[Break]],
    zone: ZoneInfo,
    lease: Tenancy,
    detail: dict[str, str],
) -> Decimal:
    """The line's amount; a time-of-use plan reads the register between `readings` (opening,
    closing and the breaks between them) to split the energy into its bands."""
    if plan is None:
        detail["tariff"] = str(lease.electricity_tariff)
        return (kwh * lease.electricity_tariff).quantize(tariffs.FEN, ROUND_HALF_UP)
    detail["tariff"] = plan.code
    if plan.kind == "tiered":
        return tariffs.tiered_amount(kwh, plan.tiers)
    opening, closing, between = readings
    points = [
        Point(r.ts, Decimal(repr(r.value)))
        for r in session.scalars(
            select(Reading)
            .where(
                Reading.device_id == meter.id,
                Reading.metric == ENERGY_IMPORT,
                Reading.ts >= opening.ts,
                Reading.ts <= closing.ts,
            )
            .order_by(Reading.ts)
        )
    ]
    points = continued(points, between)
    bands = tariffs.tou_kwh([(p.ts, p.value) for p in points], plan.bands, zone, meter.ct_ratio)
    detail.update({f"kwh_{band}": str(value) for band, value in bands.items()})
    return tariffs.tou_amount(bands, plan.prices)


def shared_lines(
    session: Session,
    *,
    org_id: int,
    zone: ZoneInfo,
    period: tuple[date, date],
    tenancy: dict[int, Tenancy],
    kwh_by_unit: dict[int, Decimal],
    due_date: date,
    warnings: list[str],
) -> list[RunLine]:
    """Each shared meter's energy plus its loss factor, priced, split over its member units by
    largest remainder; a unit let to nobody (`tenancy` has no lease for it) gives its share to
    the landlord (a line without tenant)."""
    shared = list(session.scalars(select(SharedMeter).where(SharedMeter.org_id == org_id)))
    if not shared:
        return []
    start_at, end_at = instants(zone, *period)
    marks = boundaries(session, [s.meter_id for s in shared], start_at, end_at)
    broken = breaks(session, [s.meter_id for s in shared], end_at)
    lines: list[RunLine] = []
    for meter in shared:
        point = marks.get(meter.meter_id)
        opening = point.before or point.first if point else None
        closing = point.closing if point else None
        if opening is None or closing is None or end_at - closing.ts > STALE_AFTER:
            warnings.append(f"shared meter {meter.meter_id}: no usable readings for the period")
            continue
        rise, _ = register_rise(opening, closing, broken.get(meter.meter_id, []))
        if rise < 0:
            warnings.append(
                f"shared meter {meter.meter_id}: the register went down; record the exchange"
            )
            continue
        master = session.get(Meter, meter.meter_id)
        assert master is not None
        kwh = rise * master.ct_ratio * (1 + meter.loss_factor)
        kwh = kwh.quantize(tariffs.KWH, ROUND_HALF_UP)
        total = (kwh * meter.price).quantize(tariffs.FEN, ROUND_HALF_UP)
        lines += _shares(meter, master.code, kwh, total, tenancy, kwh_by_unit, period, due_date)
    return lines


def _weights(meter: SharedMeter, kwh_by_unit: dict[int, Decimal]) -> list[Decimal]:
    members = meter.members
    if meter.basis == "headcount":
        return [Decimal(m.headcount) for m in members]
    if meter.basis == "usage":
        return [kwh_by_unit.get(m.unit_id, Decimal(0)) for m in members]
    return [m.unit.rentable_area_m2 for m in members]


def _shares(
    meter: SharedMeter,
    code: str,
    kwh: Decimal,
    total: Decimal,
    tenancy: dict[int, Tenancy],
    kwh_by_unit: dict[int, Decimal],
    period: tuple[date, date],
    due_date: date,
) -> Iterable[RunLine]:
    parts = tariffs.split(total, _weights(meter, kwh_by_unit))
    for member, part in zip(meter.members, parts, strict=True):
        lease = tenancy.get(member.unit_id)
        if part == 0:
            continue
        yield RunLine(
            source_key=f"shared:{meter.id}:{member.unit_id}:{period[0].isoformat()}",
            tenant_id=lease.tenant_id if lease else None,
            tenant_code=lease.tenant_code if lease else "",
            lease_id=lease.id if lease else None,
            lease_code=lease.code if lease else "",
            contract_id=lease.contract_id if lease else None,
            unit_id=member.unit_id,
            unit_code=member.unit.code,
            item=meter.item,
            amount=part,
            due_date=due_date,
            period_start=period[0],
            period_end=period[1],
            detail={
                "meter": code,
                "kwh_total": str(kwh),
                "total": str(total),
                "basis": meter.basis,
            },
        )

"""Meters and readings, scoped to the actor: staff see their org's, a tenant its units' meters."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Select, select, union_all
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.db.upsert import insert_ignoring_duplicates
from cloud.energy.models import Meter, MeterExchange, Reading
from cloud.energy.schemas import ExchangeCreate, MeterSnapshot, ReadingCreate
from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing import service as leasing_service
from protocols.profiles import PROFILES, MeasuredValue

MAX_READINGS = 50_000
_UNION_CHUNK = 400  # SQLite allows 500 terms in one compound SELECT


def visible_meters(*, session: Session, actor: Actor, today: date | None = None) -> Select[Meter]:
    """The meters the actor may see (a tenant: of the units it leases on `today`, by default
    the org's today), as a statement other domains can narrow further."""
    stmt = select(Meter).where(Meter.org_id == actor.org_id)
    if actor.is_tenant:
        units = leasing_service.visible_unit_ids(session=session, actor=actor, today=today)
        stmt = stmt.where(Meter.unit_id.in_(units))
    return stmt


def list_meters(*, session: Session, actor: Actor, today: date | None = None) -> list[Meter]:
    """Meters visible to the actor on `today` (default: the org's today), by code."""
    stmt = visible_meters(session=session, actor=actor, today=today)
    return list(session.scalars(stmt.order_by(Meter.code)))


def get_meter(*, session: Session, actor: Actor, code: str) -> Meter:
    """One visible meter by code; NotFound also when it exists but is not the actor's."""
    meter = session.scalar(visible_meters(session=session, actor=actor).where(Meter.code == code))
    if meter is None:
        raise NotFound(f"meter {code} not found")
    return meter


def latest_readings(*, session: Session, actor: Actor) -> list[MeterSnapshot]:
    """One snapshot per visible meter: the newest value of each metric of its profile."""
    meters = list_meters(session=session, actor=actor)
    pairs = [(m.id, v.metric) for m in meters for v in _profile_values(m.profile)]
    latest: dict[int, list[tuple[str, datetime, float]]] = {m.id: [] for m in meters}
    for device_id, metric, ts, value in _latest_values(session, pairs):
        latest[device_id].append((metric, ts, value))
    if actor.is_tenant:  # a value from before the tenant's lease is the previous tenant's
        for m in meters:
            assert m.unit_id is not None
            since, _ = leasing_service.tenancy(session=session, actor=actor, unit_id=m.unit_id)
            latest[m.id] = [(metric, ts, v) for metric, ts, v in latest[m.id] if ts >= since]
    return [
        MeterSnapshot(
            meter_code=m.code,
            unit_code=m.unit.code if m.unit else None,
            profile=m.profile,
            last_ts=max((ts for _, ts, _ in latest[m.id]), default=None),
            values={metric: value for metric, _, value in sorted(latest[m.id])},
        )
        for m in meters
    ]


def record_readings(
    *, session: Session, actor: Actor, meter_code: str, readings: Sequence[ReadingCreate]
) -> list[Reading]:
    """Store readings of one meter taken outside ingest (by hand, or imported history); returns
    those stored. A reading already stored for the same metric and instant is kept as it was,
    so an import can be run again."""
    require_role(actor, Role.admin, Role.engineer)
    meter = get_meter(session=session, actor=actor, code=meter_code)
    metrics = {v.metric for v in _profile_values(meter.profile)}
    for row, reading in enumerate(readings, start=1):
        if reading.metric not in metrics:
            raise Invalid(
                f"row {row}: meter {meter.code} ({meter.profile}) has no metric {reading.metric!r}",
                field="metric",
            )
    rows = [
        {"device_id": meter.id, "metric": r.metric, "ts": r.ts, "value": r.value} for r in readings
    ]
    if not rows:
        return []
    stored = session.scalars(insert_ignoring_duplicates(session, Reading).returning(Reading), rows)
    return list(stored)


def record_exchange(
    *, session: Session, actor: Actor, meter_code: str, data: ExchangeCreate
) -> MeterExchange:
    """Record that a meter's register broke its count (replaced, or rolled over) at `data.at`,
    with the values read off the old and the new register there."""
    require_role(actor, Role.admin, Role.engineer)
    meter = get_meter(session=session, actor=actor, code=meter_code)
    if data.at > utcnow():
        raise Invalid(f"exchange time {data.at.isoformat()} is in the future", field="at")
    taken = select(MeterExchange.id).where(
        MeterExchange.meter_id == meter.id, MeterExchange.at == data.at
    )
    if session.scalar(taken) is not None:
        raise Conflict(f"meter {meter.code} has an exchange at {data.at.isoformat()} already")
    exchange = MeterExchange(
        org_id=actor.org_id,
        meter_id=meter.id,
        created_by_id=actor.user_id,
        **data.model_dump(),
    )
    session.add(exchange)
    session.flush()
    return exchange


def list_exchanges(*, session: Session, actor: Actor, meter_code: str) -> list[MeterExchange]:
    meter = get_meter(session=session, actor=actor, code=meter_code)
    stmt = select(MeterExchange).where(MeterExchange.meter_id == meter.id)
    return list(session.scalars(stmt.order_by(MeterExchange.at)))


def _profile_values(profile: str) -> tuple[MeasuredValue, ...]:
    return PROFILES[profile].values if profile in PROFILES else ()


def _latest_values(
    session: Session, pairs: list[tuple[int, str]]
) -> list[tuple[int, str, datetime, float]]:
    """Newest reading per (device, metric): one primary-key probe each, in few statements."""
    rows: list[tuple[int, str, datetime, float]] = []
    for start in range(0, len(pairs), _UNION_CHUNK):
        probes = []
        for device_id, metric in pairs[start : start + _UNION_CHUNK]:
            newest = (
                select(Reading.device_id, Reading.metric, Reading.ts, Reading.value)
                .where(Reading.device_id == device_id, Reading.metric == metric)
                .order_by(Reading.ts.desc())
                .limit(1)
                .subquery()
            )
            probes.append(select(newest))
        result = session.execute(union_all(*probes) if len(probes) > 1 else probes[0])
        rows.extend((r[0], r[1], r[2], r[3]) for r in result)
    return rows


def readings(
    *,
    session: Session,
    actor: Actor,
    meter_code: str,
    start: datetime,
    end: datetime,
    metric: str | None = None,
) -> list[Reading]:
    """Readings of one visible meter with start <= ts < end, oldest first."""
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid("start and end need a time zone, e.g. 2026-03-01T00:00:00+08:00")
    if end <= start:
        raise Invalid("end must be after start", field="end")
    meter = get_meter(session=session, actor=actor, code=meter_code)
    if actor.is_tenant:  # only what the meter recorded during this tenant's lease
        assert meter.unit_id is not None  # a tenant sees only meters of its units
        since, until = leasing_service.tenancy(session=session, actor=actor, unit_id=meter.unit_id)
        start, end = max(start, since), min(end, until)
        if end <= start:
            return []
    stmt = select(Reading).where(
        Reading.device_id == meter.id, Reading.ts >= start, Reading.ts < end
    )
    if metric is not None:
        stmt = stmt.where(Reading.metric == metric)
    found = list(session.scalars(stmt.order_by(Reading.ts, Reading.metric).limit(MAX_READINGS + 1)))
    if len(found) > MAX_READINGS:
        raise Invalid(f"more than {MAX_READINGS} readings in that range; narrow it", field="start")
    return found


def last_reading(*, session: Session, meter: Meter, metric: str, at: datetime) -> Reading | None:
    """The newest reading at or before `at`.

    No scope check: it takes a `Meter` the caller has already got through a checked service.
    """
    return session.scalar(
        select(Reading)
        .where(Reading.device_id == meter.id, Reading.metric == metric, Reading.ts <= at)
        .order_by(Reading.ts.desc())
        .limit(1)
    )


def first_reading(
    *,
    session: Session,
    meter: Meter,
    metric: str,
    start: datetime,
    before: datetime | None = None,
) -> Reading | None:
    """The oldest reading with start <= ts (< before).

    No scope check: it takes a `Meter` the caller has already got through a checked service.
    """
    stmt = select(Reading).where(
        Reading.device_id == meter.id, Reading.metric == metric, Reading.ts >= start
    )
    if before is not None:
        stmt = stmt.where(Reading.ts < before)
    return session.scalar(stmt.order_by(Reading.ts).limit(1))

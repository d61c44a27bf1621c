"""Meters and their readings, as the actor may see them."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from cloud.deps import CurrentActor, SessionDep
from cloud.energy import consumption, service
from cloud.energy.consumption import Scope, Width
from cloud.energy.schemas import (
    EnergySeries,
    ExchangeCreate,
    ExchangeRead,
    MeterRead,
    MeterSnapshot,
    PeriodConsumption,
    ReadingCreate,
    ReadingRead,
)

router = APIRouter(tags=["energy"])


@router.get("/meters", response_model=list[MeterRead])
def list_meters(session: SessionDep, actor: CurrentActor) -> list[MeterRead]:
    return [MeterRead.of(m) for m in service.list_meters(session=session, actor=actor)]


@router.get("/meters/{code}/readings", response_model=list[ReadingRead])
def meter_readings(
    code: str,
    start: Annotated[AwareDatetime, Query(description="inclusive, with a time zone")],
    end: Annotated[AwareDatetime, Query(description="exclusive, with a time zone")],
    session: SessionDep,
    actor: CurrentActor,
    metric: str | None = None,
) -> list[ReadingRead]:
    found = service.readings(
        session=session, actor=actor, meter_code=code, start=start, end=end, metric=metric
    )
    return [ReadingRead.model_validate(r) for r in found]


@router.post("/meters/{code}/readings", response_model=list[ReadingRead])
def record_readings(
    code: str, readings: list[ReadingCreate], session: SessionDep, actor: CurrentActor
) -> list[ReadingRead]:
    """Readings taken by hand or imported; returns those stored (one already stored for the
    same metric and instant is kept as it was, and left out of the answer)."""
    stored = service.record_readings(
        session=session, actor=actor, meter_code=code, readings=readings
    )
    return [ReadingRead.model_validate(r) for r in stored]


@router.post("/meters/{code}/exchanges", response_model=ExchangeRead, status_code=201)
def record_exchange(
    code: str, data: ExchangeCreate, session: SessionDep, actor: CurrentActor
) -> ExchangeRead:
    """The meter was replaced (换表) or its register rolled over: billing then counts energy
    across the break from these two values instead of leaving the period out."""
    exchange = service.record_exchange(session=session, actor=actor, meter_code=code, data=data)
    return ExchangeRead.model_validate(exchange)


@router.get("/meters/{code}/exchanges", response_model=list[ExchangeRead])
def list_exchanges(code: str, session: SessionDep, actor: CurrentActor) -> list[ExchangeRead]:
    found = service.list_exchanges(session=session, actor=actor, meter_code=code)
    return [ExchangeRead.model_validate(e) for e in found]


@router.get("/readings/latest", response_model=list[MeterSnapshot])
def latest_readings(session: SessionDep, actor: CurrentActor) -> list[MeterSnapshot]:
    return service.latest_readings(session=session, actor=actor)


Start = Annotated[AwareDatetime, Query(description="inclusive, with a time zone")]
End = Annotated[AwareDatetime, Query(description="exclusive, with a time zone")]
SiteCode = Annotated[
    str | None, Query(description="for a building: its site, when several have that code")
]


@router.get("/energy/{scope}/{code}/series", response_model=EnergySeries)
def energy_series(
    scope: Scope,
    code: str,
    width: Width,
    start: Start,
    end: End,
    session: SessionDep,
    actor: CurrentActor,
    site: SiteCode = None,
) -> EnergySeries:
    """kWh per bucket (15m, 1h, 1d, 1mo; days and months in the org's time zone) of a meter,
    unit, tenant or building, from the rollups."""
    return consumption.series(
        session=session,
        actor=actor,
        scope=scope,
        code=code,
        width=width,
        start=start,
        end=end,
        site_code=site,
    )


@router.get("/energy/{scope}/{code}/consumption", response_model=PeriodConsumption)
def energy_consumption(
    scope: Scope,
    code: str,
    start: Start,
    end: End,
    session: SessionDep,
    actor: CurrentActor,
    site: SiteCode = None,
) -> PeriodConsumption:
    """kWh over [start, end) from the energy registers at its boundaries, per meter."""
    return consumption.consumption(
        session=session, actor=actor, scope=scope, code=code, start=start, end=end, site_code=site
    )

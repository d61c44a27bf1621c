"""Meters and their readings, as the actor may see them."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from cloud.deps import CurrentActor, SessionDep
from cloud.energy import service
from cloud.energy.schemas import MeterRead, MeterSnapshot, ReadingCreate, ReadingRead

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


@router.get("/readings/latest", response_model=list[MeterSnapshot])
def latest_readings(session: SessionDep, actor: CurrentActor) -> list[MeterSnapshot]:
    return service.latest_readings(session=session, actor=actor)

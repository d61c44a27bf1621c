"""Electricity charges of leases."""

from datetime import date

from fastapi import APIRouter

from cloud.billing import service
from cloud.billing.schemas import ElectricityCharge
from cloud.deps import CurrentActor, SessionDep

router = APIRouter(tags=["billing"])


@router.get("/leases/{code}/electricity-charge", response_model=ElectricityCharge)
def electricity_charge(
    code: str, period_start: date, period_end: date, session: SessionDep, actor: CurrentActor
) -> ElectricityCharge:
    return service.electricity_charge(
        session=session,
        actor=actor,
        lease_code=code,
        period_start=period_start,
        period_end=period_end,
    )


@router.get("/electricity-charges/current", response_model=list[ElectricityCharge])
def current_electricity_charges(
    session: SessionDep, actor: CurrentActor, today: date | None = None
) -> list[ElectricityCharge]:
    """Month to date for every visible lease; `today` defaults to today in the org's zone."""
    return service.current_electricity_charges(session=session, actor=actor, today=today)

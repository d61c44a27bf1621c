"""Leases, as the actor may see them."""

from fastapi import APIRouter

from cloud.deps import CurrentActor, SessionDep
from cloud.leasing import service
from cloud.leasing.schemas import LeaseRead

router = APIRouter(tags=["leasing"])


@router.get("/leases", response_model=list[LeaseRead])
def list_leases(session: SessionDep, actor: CurrentActor) -> list[LeaseRead]:
    return [LeaseRead.of(lease) for lease in service.list_leases(session=session, actor=actor)]


@router.get("/leases/{code}", response_model=LeaseRead)
def get_lease(code: str, session: SessionDep, actor: CurrentActor) -> LeaseRead:
    return LeaseRead.of(service.get_lease(session=session, actor=actor, code=code))

"""Leases, as the actor may see them."""

from fastapi import APIRouter, status

from cloud.deps import CurrentActor, SessionDep
from cloud.leasing import service
from cloud.leasing.schemas import LeaseCreate, LeaseRead, TenantCreate, TenantRead

router = APIRouter(tags=["leasing"])


@router.get("/leases", response_model=list[LeaseRead])
def list_leases(session: SessionDep, actor: CurrentActor) -> list[LeaseRead]:
    return [LeaseRead.of(lease) for lease in service.list_leases(session=session, actor=actor)]


@router.get("/leases/{code}", response_model=LeaseRead)
def get_lease(code: str, session: SessionDep, actor: CurrentActor) -> LeaseRead:
    return LeaseRead.of(service.get_lease(session=session, actor=actor, code=code))


@router.post("/leases", response_model=LeaseRead, status_code=status.HTTP_201_CREATED)
def create_lease(body: LeaseCreate, session: SessionDep, actor: CurrentActor) -> LeaseRead:
    """A lease without a contract; refused (409) when it overlaps another lease of the unit."""
    return LeaseRead.of(service.create_lease(session=session, actor=actor, data=body))


@router.get("/tenants", response_model=list[TenantRead])
def list_tenants(session: SessionDep, actor: CurrentActor) -> list[TenantRead]:
    return [TenantRead.of(t) for t in service.list_tenants(session=session, actor=actor)]


@router.post("/tenants", response_model=TenantRead, status_code=status.HTTP_201_CREATED)
def create_tenant(body: TenantCreate, session: SessionDep, actor: CurrentActor) -> TenantRead:
    """A new tenant; 409 when the org already has one by that code."""
    return TenantRead.of(service.create_tenant(session=session, actor=actor, data=body))

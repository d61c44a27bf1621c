"""Parking over REST: gates and fee rules, vehicles, quotas and passes, sessions (live lot,
review queue, quotes, payments, waivers) and revenue."""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from cloud.deps import CurrentActor, SessionDep
from cloud.parking import payments, reports, service, sessions
from cloud.parking.models import MonthlyPass, ParkingSession, SessionState, Vehicle
from cloud.parking.schemas import (
    AllowListVersionRead,
    FeeRulesWrite,
    GateCreate,
    GateRead,
    PassCreate,
    PassRead,
    PaymentCreate,
    QuotaWrite,
    Quote,
    RevenueRow,
    ReviewSettlement,
    SessionRead,
    VehicleCreate,
    VehicleRead,
    Waiver,
)

router = APIRouter(prefix="/parking", tags=["parking"])
CREATED = status.HTTP_201_CREATED


def vehicle_read(vehicle: Vehicle) -> VehicleRead:
    tenant = vehicle.tenant.code if vehicle.tenant else None
    return VehicleRead(
        id=vehicle.id,
        plate=vehicle.plate,
        tenant_code=tenant,
        new_energy=vehicle.new_energy,
        owner_name=vehicle.owner_name,
    )


def pass_read(monthly: MonthlyPass) -> PassRead:
    tenant = monthly.vehicle.tenant.code if monthly.vehicle.tenant else None
    return PassRead(
        id=monthly.id,
        code=monthly.code,
        plate=monthly.vehicle.plate,
        site_code=monthly.site.code,
        tenant_code=tenant if monthly.tenant_id else None,
        valid_from=monthly.valid_from,
        valid_to=monthly.valid_to,
        grace_days=monthly.grace_days,
        cancelled=monthly.cancelled,
    )


def session_read(parked: ParkingSession) -> SessionRead:
    return SessionRead.model_validate(
        {
            **{k: getattr(parked, k) for k in SessionRead.model_fields if hasattr(parked, k)},
            "entry_gate": parked.entry_gate.code if parked.entry_gate else None,
            "exit_gate": parked.exit_gate.code if parked.exit_gate else None,
        }
    )


@router.post("/gates", response_model=GateRead, status_code=CREATED)
def create_gate(data: GateCreate, session: SessionDep, actor: CurrentActor) -> GateRead:
    return GateRead.model_validate(service.create_gate(session=session, actor=actor, data=data))


@router.get("/gates", response_model=list[GateRead])
def list_gates(site: str, session: SessionDep, actor: CurrentActor) -> list[GateRead]:
    gates = service.list_gates(session=session, actor=actor, site_code=site)
    return [GateRead.model_validate(g) for g in gates]


@router.get("/sites/{site_code}/fee-rules", response_model=FeeRulesWrite)
def get_fee_rules(site_code: str, session: SessionDep, actor: CurrentActor) -> FeeRulesWrite:
    return service.get_fee_rules(session=session, actor=actor, site_code=site_code)


@router.put("/sites/{site_code}/fee-rules", response_model=FeeRulesWrite)
def set_fee_rules(
    site_code: str, data: FeeRulesWrite, session: SessionDep, actor: CurrentActor
) -> FeeRulesWrite:
    service.set_fee_rules(session=session, actor=actor, site_code=site_code, data=data)
    return service.get_fee_rules(session=session, actor=actor, site_code=site_code)


@router.get("/vehicles", response_model=list[VehicleRead])
def list_vehicles(session: SessionDep, actor: CurrentActor) -> list[VehicleRead]:
    return [vehicle_read(v) for v in service.list_vehicles(session=session, actor=actor)]


@router.post("/vehicles", response_model=VehicleRead, status_code=CREATED)
def register_vehicle(data: VehicleCreate, session: SessionDep, actor: CurrentActor) -> VehicleRead:
    return vehicle_read(service.register_vehicle(session=session, actor=actor, data=data))


@router.put("/quotas", response_model=QuotaWrite)
def set_quota(data: QuotaWrite, session: SessionDep, actor: CurrentActor) -> QuotaWrite:
    quota = service.set_quota(session=session, actor=actor, data=data)
    return data.model_copy(update={"max_passes": quota.max_passes})


@router.get("/passes", response_model=list[PassRead])
def list_passes(session: SessionDep, actor: CurrentActor) -> list[PassRead]:
    return [pass_read(p) for p in service.list_passes(session=session, actor=actor)]


@router.post("/passes", response_model=PassRead, status_code=CREATED)
def issue_pass(data: PassCreate, session: SessionDep, actor: CurrentActor) -> PassRead:
    return pass_read(service.issue_pass(session=session, actor=actor, data=data))


@router.post("/passes/{code}/cancellation", response_model=PassRead)
def cancel_pass(code: str, session: SessionDep, actor: CurrentActor) -> PassRead:
    return pass_read(service.cancel_pass(session=session, actor=actor, code=code))


@router.get("/sessions", response_model=list[SessionRead])
def list_sessions(
    session: SessionDep,
    actor: CurrentActor,
    state: Annotated[list[SessionState] | None, Query()] = None,
) -> list[SessionRead]:
    rows = sessions.list_sessions(session=session, actor=actor, states=tuple(state or ()))
    return [session_read(s) for s in rows]


@router.get("/sessions/{session_id}", response_model=SessionRead)
def get_session(session_id: int, session: SessionDep, actor: CurrentActor) -> SessionRead:
    return session_read(sessions.get_session(session=session, actor=actor, session_id=session_id))


@router.get("/sessions/{session_id}/quote", response_model=Quote)
def quote(
    session_id: int, session: SessionDep, actor: CurrentActor, at: datetime | None = None
) -> Quote:
    return sessions.quote(session=session, actor=actor, session_id=session_id, at=at)


@router.post("/sessions/{session_id}/payments", response_model=SessionRead, status_code=CREATED)
def pay(
    session_id: int, data: PaymentCreate, session: SessionDep, actor: CurrentActor
) -> SessionRead:
    payment = payments.pay(session=session, actor=actor, session_id=session_id, data=data)
    return get_session(payment.session_id, session, actor)


@router.post("/sessions/{session_id}/waiver", response_model=SessionRead)
def waive(session_id: int, data: Waiver, session: SessionDep, actor: CurrentActor) -> SessionRead:
    parked = sessions.waive(session=session, actor=actor, session_id=session_id, reason=data.reason)
    return session_read(parked)


@router.post("/sessions/{session_id}/settlement", response_model=SessionRead)
def settle_review(
    session_id: int, data: ReviewSettlement, session: SessionDep, actor: CurrentActor
) -> SessionRead:
    parked = sessions.settle_review(session=session, actor=actor, session_id=session_id, data=data)
    return session_read(parked)


@router.get("/revenue", response_model=list[RevenueRow])
def revenue(first: date, last: date, session: SessionDep, actor: CurrentActor) -> list[RevenueRow]:
    return reports.revenue(session=session, actor=actor, first=first, last=last)


@router.get("/sites/{site_code}/allow-lists", response_model=list[AllowListVersionRead])
def list_allow_list_versions(
    site_code: str, session: SessionDep, actor: CurrentActor
) -> list[AllowListVersionRead]:
    rows = service.list_allow_list_versions(session=session, actor=actor, site_code=site_code)
    return [AllowListVersionRead.model_validate(v) for v in rows]

"""Equipment and preventive maintenance over REST."""

from fastapi import APIRouter, status

from cloud.deps import CurrentActor, SessionDep
from cloud.errors import Forbidden
from cloud.identity.models import Role
from cloud.maintenance import jobs, plans, service
from cloud.maintenance.models import Kind, Status
from cloud.maintenance.schemas import (
    EquipmentCreate,
    EquipmentDetail,
    EquipmentRead,
    OpenedOrder,
    PlanCreate,
    PlanRead,
    ReadingCreate,
    StatusChange,
    WorkOrderLink,
)

router = APIRouter(tags=["maintenance"])
CREATED = status.HTTP_201_CREATED


@router.get("/equipment", response_model=list[EquipmentRead])
def list_equipment(
    session: SessionDep,
    actor: CurrentActor,
    building: str | None = None,
    kind: Kind | None = None,
    state: Status | None = None,
) -> list[EquipmentRead]:
    rows = service.list_equipment(
        session=session, actor=actor, building_code=building, kind=kind, status=state
    )
    return [service.read(row) for row in rows]


@router.post("/equipment", response_model=EquipmentRead, status_code=CREATED)
def create_equipment(
    data: EquipmentCreate, session: SessionDep, actor: CurrentActor
) -> EquipmentRead:
    return service.read(service.create_equipment(session=session, actor=actor, data=data))


@router.get("/equipment/{code}", response_model=EquipmentDetail)
def get_equipment(code: str, session: SessionDep, actor: CurrentActor) -> EquipmentDetail:
    return service.detail(session=session, actor=actor, code=code)


@router.post("/equipment/{code}/status", response_model=EquipmentRead)
def change_equipment_status(
    code: str, data: StatusChange, session: SessionDep, actor: CurrentActor
) -> EquipmentRead:
    return service.read(service.change_status(session=session, actor=actor, code=code, data=data))


@router.post("/equipment/{code}/readings", status_code=CREATED)
def record_equipment_reading(
    code: str, data: ReadingCreate, session: SessionDep, actor: CurrentActor
) -> dict[str, str]:
    reading = service.record_reading(session=session, actor=actor, code=code, data=data)
    return {"metric": reading.metric, "value": str(reading.value)}


@router.post("/equipment/{code}/work-orders", response_model=EquipmentDetail, status_code=CREATED)
def link_equipment_work_order(
    code: str, data: WorkOrderLink, session: SessionDep, actor: CurrentActor
) -> EquipmentDetail:
    """Put an existing work order into the equipment's history."""
    service.link_work_order(
        session=session, actor=actor, code=code, work_order_code=data.work_order_code
    )
    return service.detail(session=session, actor=actor, code=code)


@router.get("/maintenance-plans", response_model=list[PlanRead])
def list_maintenance_plans(
    session: SessionDep, actor: CurrentActor, equipment: str | None = None
) -> list[PlanRead]:
    rows = plans.list_plans(session=session, actor=actor, equipment_code=equipment)
    return [plans.read(row) for row in rows]


@router.post("/maintenance-plans", response_model=PlanRead, status_code=CREATED)
def create_maintenance_plan(data: PlanCreate, session: SessionDep, actor: CurrentActor) -> PlanRead:
    return plans.read(plans.create_plan(session=session, actor=actor, data=data))


@router.post("/maintenance/run", response_model=list[OpenedOrder])
def run_maintenance(session: SessionDep, actor: CurrentActor) -> list[OpenedOrder]:
    """Open the org's due maintenance work orders now (what the scheduled job does)."""
    if actor.role != Role.admin:
        raise Forbidden(f"{actor.username} ({actor.role}) may not run maintenance; needs admin")
    return jobs.open_due(session=session, org_id=actor.org_id)

"""Sites, buildings, floors, units, their status histories, the vacancy board and unit files."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, UploadFile, status
from fastapi.responses import FileResponse

from cloud.deps import CurrentActor, SessionDep, SettingsDep
from cloud.properties import board, files, service
from cloud.properties import status as status_service
from cloud.properties.models import FileKind
from cloud.properties.schemas import (
    BuildingCreate,
    BuildingRead,
    FloorCreate,
    FloorRead,
    RentStatusChange,
    RentStatusPeriodRead,
    SiteCreate,
    SiteOccupancyRead,
    SiteRead,
    StatusChange,
    StatusOnRead,
    StatusPeriodRead,
    UnitCreate,
    UnitFileRead,
    UnitMerge,
    UnitRead,
    UnitSplit,
    UnitUpdate,
    VacancyBoardRead,
    VacancyDaysRead,
)

router = APIRouter(tags=["properties"])
CREATED = status.HTTP_201_CREATED
BUILDING = "/sites/{site_code}/buildings/{building_code}"
BINARY = {"type": "string", "format": "binary"}
OnDate = Annotated[date | None, Query(description="business date; default the org's today")]


def file_store(settings: SettingsDep) -> files.FileStore:
    return files.FileStore(settings.files_dir)


FileStoreDep = Annotated[files.FileStore, Depends(file_store)]


@router.get("/sites", response_model=list[SiteRead])
def list_sites(session: SessionDep, actor: CurrentActor) -> list[SiteRead]:
    return [SiteRead.of(site) for site in service.list_sites(session=session, actor=actor)]


@router.post("/sites", response_model=SiteRead, status_code=CREATED)
def create_site(body: SiteCreate, session: SessionDep, actor: CurrentActor) -> SiteRead:
    return SiteRead.of(service.create_site(session=session, actor=actor, data=body))


@router.get("/sites/{site_code}", response_model=SiteRead)
def get_site(site_code: str, session: SessionDep, actor: CurrentActor) -> SiteRead:
    return SiteRead.of(service.get_site(session=session, actor=actor, code=site_code))


@router.get("/sites/{site_code}/occupancy", response_model=SiteOccupancyRead)
def site_occupancy(
    site_code: str,
    session: SessionDep,
    actor: CurrentActor,
    on: OnDate = None,
    building_code: str | None = None,
) -> SiteOccupancyRead:
    return status_service.occupancy(
        session=session, actor=actor, site_code=site_code, building_code=building_code, on=on
    )


@router.get("/sites/{site_code}/buildings", response_model=list[BuildingRead])
def list_buildings(site_code: str, session: SessionDep, actor: CurrentActor) -> list[BuildingRead]:
    found = service.list_buildings(session=session, actor=actor, site_code=site_code)
    return [BuildingRead.of(building) for building in found]


@router.post("/sites/{site_code}/buildings", response_model=BuildingRead, status_code=CREATED)
def create_building(
    site_code: str, body: BuildingCreate, session: SessionDep, actor: CurrentActor
) -> BuildingRead:
    building = service.create_building(session=session, actor=actor, site_code=site_code, data=body)
    return BuildingRead.of(building)


@router.get(f"{BUILDING}/floors", response_model=list[FloorRead])
def list_floors(
    site_code: str, building_code: str, session: SessionDep, actor: CurrentActor
) -> list[FloorRead]:
    found = service.list_floors(
        session=session, actor=actor, site_code=site_code, building_code=building_code
    )
    return [FloorRead.of(floor) for floor in found]


@router.post(f"{BUILDING}/floors", response_model=FloorRead, status_code=CREATED)
def create_floor(
    site_code: str, building_code: str, body: FloorCreate, session: SessionDep, actor: CurrentActor
) -> FloorRead:
    floor = service.create_floor(
        session=session, actor=actor, site_code=site_code, building_code=building_code, data=body
    )
    return FloorRead.of(floor)


@router.put(f"{BUILDING}/floors/{{level}}/plan", response_model=FloorRead)
def upload_floor_plan(
    site_code: str,
    building_code: str,
    level: int,
    file: UploadFile,
    session: SessionDep,
    actor: CurrentActor,
    store: FileStoreDep,
) -> FloorRead:
    """A floor plan (PNG, JPEG, WebP or PDF) for the floor, replacing the one it had."""
    floor = files.set_floor_plan(
        session=session,
        actor=actor,
        store=store,
        site_code=site_code,
        building_code=building_code,
        level=level,
        name=file.filename or "floor-plan",
        content=file.file.read(files.MAX_BYTES + 1),
    )
    return FloorRead.of(floor)


@router.get(f"{BUILDING}/vacancy-board", response_model=VacancyBoardRead)
def vacancy_board(
    site_code: str, building_code: str, session: SessionDep, actor: CurrentActor, on: OnDate = None
) -> VacancyBoardRead:
    return board.vacancy_board(
        session=session, actor=actor, site_code=site_code, building_code=building_code, on=on
    )


@router.get("/units", response_model=list[UnitRead])
def list_units(
    session: SessionDep,
    actor: CurrentActor,
    site_code: str | None = None,
    building_code: str | None = None,
    include_retired: bool = False,
) -> list[UnitRead]:
    found = service.list_units(
        session=session,
        actor=actor,
        site_code=site_code,
        building_code=building_code,
        include_retired=include_retired,
    )
    return [UnitRead.of(unit) for unit in found]


@router.post("/units", response_model=UnitRead, status_code=CREATED)
def create_unit(body: UnitCreate, session: SessionDep, actor: CurrentActor) -> UnitRead:
    return UnitRead.of(service.create_unit(session=session, actor=actor, data=body))


@router.post("/units/merge", response_model=UnitRead, status_code=CREATED)
def merge_units(body: UnitMerge, session: SessionDep, actor: CurrentActor) -> UnitRead:
    """Retire units of one building and make one unit of them."""
    return UnitRead.of(service.merge_units(session=session, actor=actor, data=body))


@router.get("/units/{code}", response_model=UnitRead)
def get_unit(code: str, session: SessionDep, actor: CurrentActor) -> UnitRead:
    return UnitRead.of(service.get_unit(session=session, actor=actor, code=code))


@router.patch("/units/{code}", response_model=UnitRead)
def update_unit(code: str, body: UnitUpdate, session: SessionDep, actor: CurrentActor) -> UnitRead:
    return UnitRead.of(service.update_unit(session=session, actor=actor, code=code, data=body))


@router.post("/units/{code}/split", response_model=list[UnitRead], status_code=CREATED)
def split_unit(
    code: str, body: UnitSplit, session: SessionDep, actor: CurrentActor
) -> list[UnitRead]:
    """Retire the unit and make its parts; answers with the parts."""
    parts = service.split_unit(session=session, actor=actor, code=code, data=body)
    return [UnitRead.of(part) for part in parts]


@router.get("/units/{code}/statuses", response_model=list[StatusPeriodRead])
def unit_status_history(
    code: str, session: SessionDep, actor: CurrentActor
) -> list[StatusPeriodRead]:
    periods = status_service.status_history(session=session, actor=actor, unit_code=code)
    return [StatusPeriodRead.model_validate(p) for p in periods]


@router.post("/units/{code}/statuses", response_model=list[StatusPeriodRead])
def set_unit_status(
    code: str, body: StatusChange, session: SessionDep, actor: CurrentActor
) -> list[StatusPeriodRead]:
    """Set the status from a date on; answers with the whole history."""
    periods = status_service.set_unit_status(
        session=session, actor=actor, unit_code=code, data=body
    )
    return [StatusPeriodRead.model_validate(p) for p in periods]


@router.get("/units/{code}/rent-statuses", response_model=list[RentStatusPeriodRead])
def unit_rent_status_history(
    code: str, session: SessionDep, actor: CurrentActor
) -> list[RentStatusPeriodRead]:
    periods = status_service.rent_status_history(session=session, actor=actor, unit_code=code)
    return [RentStatusPeriodRead.model_validate(p) for p in periods]


@router.post("/units/{code}/rent-statuses", response_model=list[RentStatusPeriodRead])
def set_unit_rent_status(
    code: str, body: RentStatusChange, session: SessionDep, actor: CurrentActor
) -> list[RentStatusPeriodRead]:
    """Set the rent status from a date on (null ends it); answers with the whole history."""
    periods = status_service.set_rent_status(
        session=session, actor=actor, unit_code=code, data=body
    )
    return [RentStatusPeriodRead.model_validate(p) for p in periods]


@router.get("/units/{code}/status", response_model=StatusOnRead)
def unit_status_on(
    code: str, session: SessionDep, actor: CurrentActor, on: OnDate = None
) -> StatusOnRead:
    return status_service.status_on(session=session, actor=actor, unit_code=code, on=on)


@router.get("/units/{code}/vacancy-days", response_model=VacancyDaysRead)
def unit_vacancy_days(
    code: str, first: date, last: date, session: SessionDep, actor: CurrentActor
) -> VacancyDaysRead:
    return status_service.vacancy_days(
        session=session, actor=actor, unit_code=code, first=first, last=last
    )


@router.get("/units/{code}/files", response_model=list[UnitFileRead])
def list_unit_files(code: str, session: SessionDep, actor: CurrentActor) -> list[UnitFileRead]:
    found = files.list_unit_files(session=session, actor=actor, unit_code=code)
    return [UnitFileRead.of(unit_file) for unit_file in found]


@router.post("/units/{code}/files", response_model=UnitFileRead, status_code=CREATED)
def upload_unit_file(
    code: str,
    file: UploadFile,
    kind: Annotated[FileKind, Form()],
    session: SessionDep,
    actor: CurrentActor,
    store: FileStoreDep,
    caption: Annotated[str | None, Form(max_length=200)] = None,
) -> UnitFileRead:
    """A photo (PNG, JPEG, WebP) or floor plan (those or PDF) of the unit."""
    unit_file = files.add_unit_file(
        session=session,
        actor=actor,
        store=store,
        unit_code=code,
        kind=kind,
        name=file.filename or str(kind),
        content=file.file.read(files.MAX_BYTES + 1),
        caption=caption,
    )
    return UnitFileRead.of(unit_file)


@router.get(
    "/files/{file_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {"schema": BINARY}}}},
)
def download_file(
    file_id: int, session: SessionDep, actor: CurrentActor, store: FileStoreDep
) -> FileResponse:
    """The bytes of a stored file, with its content type."""
    stored, path = files.open_file(session=session, actor=actor, store=store, file_id=file_id)
    return FileResponse(
        path,
        media_type=stored.content_type,
        filename=stored.name,
        content_disposition_type="inline",
        headers={"X-Content-Type-Options": "nosniff"},
    )

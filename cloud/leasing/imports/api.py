"""Excel import (with a dry run) and export of tenants, units and contracts."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, UploadFile, status

from cloud.deps import CurrentActor, SessionDep
from cloud.leasing.imports import service
from cloud.leasing.imports.schemas import ImportReport

router = APIRouter(tags=["imports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/imports/leasing", response_model=ImportReport)
def import_leasing(
    file: UploadFile,
    session: SessionDep,
    actor: CurrentActor,
    response: Response,
    dry_run: Annotated[bool, Query(description="check every row, store nothing")] = False,
) -> ImportReport:
    """Import a workbook (sheets tenants, units, contracts): every bad row is reported with
    its row number; nothing is stored unless every row is good (422 otherwise)."""
    report = service.import_workbook(
        session=session, actor=actor, content=file.file.read(), dry_run=dry_run
    )
    if report.problems and not dry_run:
        response.status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    return report


@router.get(
    "/exports/leasing.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
def export_leasing(session: SessionDep, actor: CurrentActor) -> Response:
    """The org's tenants, units and contracts as a workbook the import reads back."""
    content = service.export_workbook(session=session, actor=actor)
    disposition = 'attachment; filename="parkops-leasing.xlsx"'
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})

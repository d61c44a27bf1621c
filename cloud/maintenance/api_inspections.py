"""Inspections over REST: checklists, routes and their QR codes, recording checkpoints."""

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, UploadFile, status

from cloud.deps import CurrentActor, SessionDep
from cloud.maintenance import inspections, rounds
from cloud.maintenance.models import Route
from cloud.maintenance.schemas import (
    ChecklistCreate,
    ChecklistRead,
    CheckpointRead,
    ResultCreate,
    RoundRead,
    RouteCreate,
    RouteRead,
)
from cloud.workorders import attachments

router = APIRouter(tags=["inspections"])
CREATED = status.HTTP_201_CREATED


def route_read(route: Route) -> RouteRead:
    return RouteRead(
        code=route.code,
        name=route.name,
        active=route.active,
        checkpoints=[
            CheckpointRead(
                code=p.code,
                name=p.name,
                position=p.position,
                token=p.token,
                checklist=ChecklistRead.model_validate(p.checklist),
                category_code=p.category_code,
            )
            for p in route.checkpoints
        ],
    )


@router.get("/inspection-checklists", response_model=list[ChecklistRead])
def list_checklists(session: SessionDep, actor: CurrentActor) -> list[ChecklistRead]:
    rows = inspections.list_checklists(session=session, actor=actor)
    return [ChecklistRead.model_validate(row) for row in rows]


@router.post("/inspection-checklists", response_model=ChecklistRead, status_code=CREATED)
def create_checklist(
    data: ChecklistCreate, session: SessionDep, actor: CurrentActor
) -> ChecklistRead:
    checklist = inspections.create_checklist(session=session, actor=actor, data=data)
    return ChecklistRead.model_validate(checklist)


@router.get("/inspection-routes", response_model=list[RouteRead])
def list_routes(session: SessionDep, actor: CurrentActor) -> list[RouteRead]:
    return [route_read(r) for r in inspections.list_routes(session=session, actor=actor)]


@router.post("/inspection-routes", response_model=RouteRead, status_code=CREATED)
def create_route(data: RouteCreate, session: SessionDep, actor: CurrentActor) -> RouteRead:
    return route_read(inspections.create_route(session=session, actor=actor, data=data))


@router.get(
    "/inspection-checkpoints/{token}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}},
)
def checkpoint_qr(
    token: str, request: Request, session: SessionDep, actor: CurrentActor
) -> Response:
    """The QR code to print for a checkpoint: it opens the phone page that records it."""
    point = inspections.checkpoint_by_token(session=session, actor=actor, token=token)
    svg = inspections.qr_svg(token=point.token, base_url=str(request.base_url))
    return Response(svg, media_type="image/svg+xml")


@router.post(
    "/inspection-checkpoints/{token}/results", response_model=RoundRead, status_code=CREATED
)
def record_checkpoint(
    token: str,
    session: SessionDep,
    actor: CurrentActor,
    failed_items: Annotated[list[str] | None, Form()] = None,
    note: Annotated[str | None, Form()] = None,
    photos: list[UploadFile] | None = None,
) -> RoundRead:
    """Record a scanned checkpoint on the caller's round; failed items open a work order."""
    uploads = [
        attachments.Upload(
            filename=photo.filename or "image",
            data=photo.file.read(attachments.MAX_ATTACHMENT_BYTES + 1),
        )
        for photo in photos or []
    ]
    data = ResultCreate(failed_items=failed_items or [], note=note)
    result = rounds.record(session=session, actor=actor, token=token, data=data, photos=uploads)
    return rounds.round_view(session=session, actor=actor, round_id=result.round_id)


@router.get("/inspection-rounds", response_model=list[RoundRead])
def list_rounds(session: SessionDep, actor: CurrentActor) -> list[RoundRead]:
    return rounds.list_rounds(session=session, actor=actor)


@router.post("/inspection-rounds/{round_id}/finish", response_model=RoundRead)
def finish_round(round_id: int, session: SessionDep, actor: CurrentActor) -> RoundRead:
    rounds.finish_round(session=session, actor=actor, round_id=round_id)
    return rounds.round_view(session=session, actor=actor, round_id=round_id)

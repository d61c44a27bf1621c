"""Work orders over REST: report, dispatch, move, handle, rate; charges and SLA reports."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Response, UploadFile, status

from cloud.deps import CurrentActor, SessionDep
from cloud.workorders import attachments, charges, handling, reports, service
from cloud.workorders.models import AttachmentKind, ChargeStatus, State
from cloud.workorders.schemas import (
    AssigneeSuggestion,
    AssignRequest,
    AttachmentRead,
    CategoryRead,
    ChargeRead,
    EscalationRead,
    LabourCreate,
    LabourRead,
    MaterialCreate,
    MaterialRead,
    RatingCreate,
    SlaFigures,
    TransitionCreate,
    WorkOrderCreate,
    WorkOrderDetail,
    WorkOrderRead,
    WorkOrderUpdate,
)

router = APIRouter(tags=["work orders"])
CREATED = status.HTTP_201_CREATED
_BINARY = {"schema": {"type": "string", "format": "binary"}}
IMAGES: dict[str, object] = {kind: _BINARY for kind in ("image/jpeg", "image/png", "image/webp")}


@router.get("/work-order-categories", response_model=list[CategoryRead])
def list_work_order_categories(session: SessionDep, actor: CurrentActor) -> list[CategoryRead]:
    categories = service.list_categories(session=session, actor=actor)
    return [CategoryRead(code=c.code, name=c.name, labour_rate=c.labour_rate) for c in categories]


@router.get("/work-orders", response_model=list[WorkOrderRead])
def list_work_orders(
    session: SessionDep,
    actor: CurrentActor,
    state: Annotated[list[State] | None, Query()] = None,
    category: str | None = None,
    building: str | None = None,
    assignee: str | None = None,
) -> list[WorkOrderRead]:
    orders = service.list_orders(
        session=session,
        actor=actor,
        states=state or (),
        category_code=category,
        building_code=building,
        assignee=assignee,
    )
    return [WorkOrderRead.of(order) for order in orders]


@router.post("/work-orders", response_model=WorkOrderDetail, status_code=CREATED)
def create_work_order(
    body: WorkOrderCreate, session: SessionDep, actor: CurrentActor
) -> WorkOrderDetail:
    order = service.create_work_order(session=session, actor=actor, data=body)
    return WorkOrderDetail.of(order)


@router.get("/work-orders/{code}", response_model=WorkOrderDetail)
def get_work_order(code: str, session: SessionDep, actor: CurrentActor) -> WorkOrderDetail:
    return WorkOrderDetail.of(service.get_order(session=session, actor=actor, code=code))


@router.patch("/work-orders/{code}", response_model=WorkOrderDetail)
def update_work_order(
    code: str, body: WorkOrderUpdate, session: SessionDep, actor: CurrentActor
) -> WorkOrderDetail:
    order = service.update_work_order(session=session, actor=actor, code=code, data=body)
    return WorkOrderDetail.of(order)


@router.post("/work-orders/{code}/transitions", response_model=WorkOrderDetail)
def transition_work_order(
    code: str, body: TransitionCreate, session: SessionDep, actor: CurrentActor
) -> WorkOrderDetail:
    order = service.transition(
        session=session, actor=actor, code=code, action=body.action, note=body.note
    )
    return WorkOrderDetail.of(order)


@router.post("/work-orders/{code}/assignment", response_model=WorkOrderDetail)
def assign_work_order(
    code: str, body: AssignRequest, session: SessionDep, actor: CurrentActor
) -> WorkOrderDetail:
    order = service.assign(
        session=session, actor=actor, code=code, assignee=body.assignee, note=body.note
    )
    return WorkOrderDetail.of(order)


@router.get("/work-orders/{code}/assignee-suggestions", response_model=list[AssigneeSuggestion])
def suggest_work_order_assignees(
    code: str, session: SessionDep, actor: CurrentActor
) -> list[AssigneeSuggestion]:
    return service.suggest_assignees(session=session, actor=actor, code=code)


@router.post("/work-orders/{code}/materials", response_model=MaterialRead, status_code=CREATED)
def add_work_order_material(
    code: str, body: MaterialCreate, session: SessionDep, actor: CurrentActor
) -> MaterialRead:
    material = handling.add_material(session=session, actor=actor, code=code, data=body)
    return MaterialRead.of(material)


@router.post("/work-orders/{code}/labour", response_model=LabourRead, status_code=CREATED)
def add_work_order_labour(
    code: str, body: LabourCreate, session: SessionDep, actor: CurrentActor
) -> LabourRead:
    return LabourRead.of(handling.add_labour(session=session, actor=actor, code=code, data=body))


@router.post("/work-orders/{code}/attachments", response_model=AttachmentRead, status_code=CREATED)
def add_work_order_attachment(
    code: str,
    file: UploadFile,
    session: SessionDep,
    actor: CurrentActor,
    kind: Annotated[AttachmentKind, Form()] = AttachmentKind.photo,
) -> AttachmentRead:
    """A JPEG, PNG or WebP image of at most 5 MiB: a photo, or the tenant's signature."""
    # One byte past the limit is enough for the service to refuse it by size.
    data = file.file.read(attachments.MAX_ATTACHMENT_BYTES + 1)
    upload = attachments.Upload(filename=file.filename or "image", data=data)
    attachment = handling.add_attachment(
        session=session, actor=actor, code=code, kind=kind, upload=upload
    )
    return AttachmentRead.of(attachment)


@router.get(
    "/work-orders/{code}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": IMAGES, "description": "the image as uploaded"}},
)
def get_work_order_attachment(
    code: str, attachment_id: int, session: SessionDep, actor: CurrentActor
) -> Response:
    attachment = handling.get_attachment(
        session=session, actor=actor, code=code, attachment_id=attachment_id
    )
    return Response(
        content=attachment.data,
        media_type=attachment.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )


@router.post("/work-orders/{code}/rating", response_model=WorkOrderRead)
def rate_work_order(
    code: str, body: RatingCreate, session: SessionDep, actor: CurrentActor
) -> WorkOrderRead:
    return WorkOrderRead.of(service.rate(session=session, actor=actor, code=code, data=body))


@router.get("/work-order-charges", response_model=list[ChargeRead])
def list_work_order_charges(
    session: SessionDep, actor: CurrentActor, status: ChargeStatus | None = None
) -> list[ChargeRead]:
    rows = charges.list_charges(session=session, actor=actor, status=status)
    return [ChargeRead.of(charge) for charge in rows]


@router.get("/work-order-reports/sla", response_model=list[SlaFigures])
def work_order_sla_report(
    first: date, last: date, session: SessionDep, actor: CurrentActor
) -> list[SlaFigures]:
    """Orders reported on org-local dates first..last, per category and building."""
    return reports.sla_report(session=session, actor=actor, first=first, last=last)


@router.get("/work-order-reports/escalations", response_model=list[EscalationRead])
def list_work_order_escalations(
    first: date, last: date, session: SessionDep, actor: CurrentActor
) -> list[EscalationRead]:
    found = reports.list_escalations(session=session, actor=actor, first=first, last=last)
    return [EscalationRead.of(escalation) for escalation in found]

"""Walking a route: a round per inspector and route, a result per checkpoint scanned, and a
work order for every anomaly (to the category's supervisor's bell)."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import User
from cloud.maintenance import inspections
from cloud.maintenance import service as equipment_service
from cloud.maintenance.models import (
    Checkpoint,
    CheckpointResult,
    Equipment,
    EventKind,
    InspectionPhoto,
    InspectionRound,
)
from cloud.maintenance.schemas import ResultCreate, ResultRead, RoundRead
from cloud.notifications import service as notifications
from cloud.notifications.models import Channel
from cloud.workorders import attachments
from cloud.workorders import service as workorders
from cloud.workorders.models import Category, WorkOrder


def open_round(
    *, session: Session, actor: Actor, route_code: str, now: datetime | None = None
) -> InspectionRound:
    """The actor's unfinished round of the route, started now when there is none."""
    route = inspections.get_route(session=session, actor=actor, code=route_code)
    found = session.scalar(
        select(InspectionRound).where(
            InspectionRound.org_id == actor.org_id,
            InspectionRound.route_id == route.id,
            InspectionRound.inspector_id == actor.user_id,
            InspectionRound.finished_at.is_(None),
        )
    )
    if found is not None:
        return found
    started = InspectionRound(
        org_id=actor.org_id,
        route_id=route.id,
        inspector_id=actor.user_id,
        started_at=now or utcnow(),
    )
    session.add(started)
    session.flush()
    return started


def record(
    *,
    session: Session,
    actor: Actor,
    token: str,
    data: ResultCreate,
    photos: Sequence[attachments.Upload] = (),
    now: datetime | None = None,
) -> CheckpointResult:
    """Record a scanned checkpoint on the actor's round of its route; any failed item opens a
    work order at the checkpoint's place."""
    point = inspections.checkpoint_by_token(session=session, actor=actor, token=token)
    now = now or utcnow()
    unknown = set(data.failed_items) - set(point.checklist.items)
    if unknown:
        raise Invalid(f"not on the checklist: {', '.join(sorted(unknown))}", field="failed_items")
    walk = open_round(session=session, actor=actor, route_code=point.route.code, now=now)
    if session.scalar(
        select(CheckpointResult.id).where(
            CheckpointResult.round_id == walk.id, CheckpointResult.checkpoint_id == point.id
        )
    ):
        raise Conflict(f"checkpoint {point.code} is already recorded on this round")
    failed = [item for item in point.checklist.items if item in set(data.failed_items)]
    result = CheckpointResult(
        org_id=actor.org_id,
        round_id=walk.id,
        checkpoint_id=point.id,
        recorded_at=now,
        failed_items=failed,
        note=(data.note or "").strip() or None,
    )
    session.add(result)
    session.flush()
    for photo in photos:
        _photo(session, result, photo)
    if failed:
        result.work_order_id = _anomaly(session, point, failed, result.note, now).id
    session.flush()
    return result


def _photo(session: Session, result: CheckpointResult, upload: attachments.Upload) -> None:
    content_type = attachments.image_type(upload)  # the work orders' own image check
    session.add(
        InspectionPhoto(
            org_id=result.org_id,
            result_id=result.id,
            filename=(upload.filename or "image")[-200:],
            content_type=content_type,
            size=len(upload.data),
            data=upload.data,
        )
    )


def _anomaly(
    session: Session, point: Checkpoint, failed: list[str], note: str | None, now: datetime
) -> WorkOrder:
    items = "、".join(failed)
    order = workorders.open_for_system(
        session=session,
        org_id=point.org_id,
        title=f"巡检异常 {point.name}: {items}",
        category_code=point.category_code,
        description=note or "",
        unit_id=point.unit_id,
        building_id=point.building_id,
        location=point.name,
        at=now,
    )
    if point.equipment_id is not None:
        equipment = session.get(Equipment, point.equipment_id)
        assert equipment is not None
        equipment_service.record(
            session, equipment, EventKind.work_order, note=items, work_order_id=order.id, at=now
        )
    supervisor = session.scalar(
        select(Category.supervisor_id).where(
            Category.org_id == point.org_id, Category.code == point.category_code
        )
    )
    notifications.notify(
        session=session,
        org_id=point.org_id,
        recipients=notifications.users(supervisor),
        template="inspection.anomaly",
        params={"checkpoint": point.name, "item": items, "code": order.code},
        channels=(Channel.in_app,),
        link=f"/work-orders/{order.code}",
        now=now,
    )
    return order


def finish_round(
    *, session: Session, actor: Actor, round_id: int, now: datetime | None = None
) -> InspectionRound:
    walk = _round(session, actor, round_id)
    if walk.inspector_id != actor.user_id:
        raise Conflict("only the inspector finishes their round")
    if walk.finished_at is not None:
        raise Conflict(f"round {round_id} is already finished")
    walk.finished_at = now or utcnow()
    session.flush()
    return walk


def _round(session: Session, actor: Actor, round_id: int) -> InspectionRound:
    require_role(actor, *inspections.INSPECTORS)
    walk = session.scalar(
        select(InspectionRound).where(
            InspectionRound.org_id == actor.org_id, InspectionRound.id == round_id
        )
    )
    if walk is None:
        raise NotFound(f"round {round_id} not found")
    return walk


def list_rounds(*, session: Session, actor: Actor, limit: int = 50) -> list[RoundRead]:
    """The org's latest rounds with what was found."""
    require_role(actor, *inspections.INSPECTORS)
    ids = session.scalars(
        select(InspectionRound.id)
        .where(InspectionRound.org_id == actor.org_id)
        .order_by(InspectionRound.started_at.desc(), InspectionRound.id.desc())
        .limit(limit)
    )
    return [round_view(session=session, actor=actor, round_id=rid) for rid in ids]


def round_view(*, session: Session, actor: Actor, round_id: int) -> RoundRead:
    walk = _round(session, actor, round_id)
    inspector = session.get(User, walk.inspector_id)
    rows = session.execute(
        select(CheckpointResult, WorkOrder.code, func.count(InspectionPhoto.id))
        .outerjoin(WorkOrder, WorkOrder.id == CheckpointResult.work_order_id)
        .outerjoin(InspectionPhoto, InspectionPhoto.result_id == CheckpointResult.id)
        .where(CheckpointResult.round_id == walk.id)
        .group_by(CheckpointResult.id, WorkOrder.code)
        .order_by(CheckpointResult.recorded_at)
    )
    results = [
        ResultRead(
            id=result.id,
            checkpoint_code=result.checkpoint.code,
            checkpoint_name=result.checkpoint.name,
            recorded_at=result.recorded_at,
            failed_items=result.failed_items,
            note=result.note,
            work_order_code=code,
            photos=photos,
        )
        for result, code, photos in rows
    ]
    done = {r.checkpoint_code for r in results}
    return RoundRead(
        id=walk.id,
        route_code=walk.route.code,
        route_name=walk.route.name,
        inspector=inspector.display_name if inspector else "—",
        started_at=walk.started_at,
        finished_at=walk.finished_at,
        results=results,
        remaining=[p.code for p in walk.route.checkpoints if p.code not in done],
    )

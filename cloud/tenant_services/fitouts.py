"""Fit-out (装修) applications: a tenant applies for a unit it leases, with drawings; property
management reviews, then engineering; once approved, the deposit is recorded before works;
staff accept the finished works. Every decision is a step kept with who, when and why."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing import service as leasing_service
from cloud.notifications import service as notifications
from cloud.notifications.models import Channel
from cloud.properties import files
from cloud.properties.models import Unit
from cloud.tenant_services.codes import next_code
from cloud.tenant_services.deposits import RECORDED_ONLY, DepositLedger
from cloud.tenant_services.models import FitOut, FitOutDrawing, FitOutState, FitOutStep
from cloud.tenant_services.schemas import FitOutCreate, FitOutDecision, FitOutRead, FitOutStepRead
from cloud.workorders.attachments import Upload

MAX_DRAWING_BYTES = 20 * 1024 * 1024
DRAWING_TYPES = files.IMAGE_TYPES | {"application/pdf"}
STAFF = (Role.admin, Role.staff)
READERS = (Role.admin, Role.staff, Role.engineer, Role.finance, Role.tenant)

# the review steps in order: who decides at each, and where approval leads
REVIEWS: dict[FitOutState, tuple[tuple[Role, ...], FitOutState]] = {
    FitOutState.submitted: (STAFF, FitOutState.engineering),
    FitOutState.engineering: ((Role.admin, Role.engineer), FitOutState.approved),
}


def apply(
    *,
    session: Session,
    actor: Actor,
    data: FitOutCreate,
    drawings: Sequence[Upload] = (),
    now: datetime | None = None,
) -> FitOut:
    """A tenant's application for a unit it leases now, with at least one drawing."""
    require_role(actor, Role.tenant)
    assert actor.tenant_id is not None
    if data.planned_end < data.planned_start:
        raise Invalid("the works end before they start", field="planned_end")
    if not drawings:
        raise Invalid("add the drawings of the works", field="drawings")
    unit = session.scalar(
        select(Unit).where(
            Unit.org_id == actor.org_id,
            Unit.code == data.unit_code,
            Unit.id.in_(leasing_service.visible_unit_ids(session=session, actor=actor)),
        )
    )
    if unit is None:
        raise Invalid(f"you do not lease unit {data.unit_code}", field="unit_code")
    now = now or utcnow()
    fit_out = FitOut(
        org_id=actor.org_id,
        code=next_code(
            session,
            org_id=actor.org_id,
            prefix="ZX",
            column=FitOut.code,
            org_column=FitOut.org_id,
            at=now,
        ),
        tenant_id=actor.tenant_id,
        unit_id=unit.id,
        description=data.description.strip(),
        contractor=data.contractor.strip(),
        planned_start=data.planned_start,
        planned_end=data.planned_end,
        state=FitOutState.submitted,
        submitted_at=now,
    )
    session.add(fit_out)
    session.flush()
    for drawing in drawings:
        _drawing(session, fit_out, drawing)
    session.flush()
    return fit_out


def _drawing(session: Session, fit_out: FitOut, upload: Upload) -> None:
    if len(upload.data) > MAX_DRAWING_BYTES:
        raise Invalid(f"{upload.filename} is larger than 20 MiB", field="drawings")
    content_type = files.sniff(upload.data)
    if content_type not in DRAWING_TYPES:
        raise Invalid(f"{upload.filename} is not a PDF or an image", field="drawings")
    session.add(
        FitOutDrawing(
            org_id=fit_out.org_id,
            fit_out_id=fit_out.id,
            filename=(upload.filename or "drawing")[-200:],
            content_type=content_type,
            size=len(upload.data),
            data=upload.data,
        )
    )


def get(*, session: Session, actor: Actor, code: str) -> FitOut:
    require_role(actor, *READERS)
    stmt = select(FitOut).where(FitOut.org_id == actor.org_id, FitOut.code == code)
    if actor.is_tenant:
        stmt = stmt.where(FitOut.tenant_id == actor.tenant_id)
    found = session.scalar(stmt)
    if found is None:
        raise NotFound(f"fit-out {code} not found")
    return found


def list_fit_outs(*, session: Session, actor: Actor) -> list[FitOut]:
    require_role(actor, *READERS)
    stmt = select(FitOut).where(FitOut.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(FitOut.tenant_id == actor.tenant_id)
    return list(session.scalars(stmt.order_by(FitOut.id.desc())))


def decide(
    *,
    session: Session,
    actor: Actor,
    code: str,
    data: FitOutDecision,
    now: datetime | None = None,
) -> FitOut:
    """The decision of the step the application waits at; a rejection needs a reason."""
    fit_out = get(session=session, actor=actor, code=code)
    if fit_out.state not in REVIEWS:
        raise Conflict(f"fit-out {code} is {fit_out.state}: nothing to review")
    roles, onwards = REVIEWS[fit_out.state]
    require_role(actor, *roles)
    note = (data.note or "").strip() or None
    if not data.approve and note is None:
        raise Invalid("say why the application is rejected", field="note")
    session.add(
        FitOutStep(
            org_id=fit_out.org_id,
            fit_out_id=fit_out.id,
            step=fit_out.state,
            approved=data.approve,
            by_id=actor.user_id,
            at=now or utcnow(),
            note=note,
        )
    )
    fit_out.state = onwards if data.approve else FitOutState.rejected
    if fit_out.state in (FitOutState.approved, FitOutState.rejected):
        notifications.notify(
            session=session,
            org_id=fit_out.org_id,
            recipients=notifications.tenant(fit_out.tenant_id),
            template=f"fitout.{fit_out.state}",
            params={"code": fit_out.code, "note": note or ""},
            channels=(Channel.in_app,),
            link="/m/services",
        )
    session.flush()
    return fit_out


def record_deposit(
    *,
    session: Session,
    actor: Actor,
    code: str,
    amount: Decimal,
    ledger: DepositLedger = RECORDED_ONLY,
    now: datetime | None = None,
) -> FitOut:
    """The deposit paid for approved works (finance or staff record it, once)."""
    require_role(actor, Role.admin, Role.staff, Role.finance)
    fit_out = get(session=session, actor=actor, code=code)
    if fit_out.state != FitOutState.approved:
        raise Conflict(f"fit-out {code} is {fit_out.state}: a deposit follows approval")
    if fit_out.deposit_amount is not None:
        raise Conflict(f"fit-out {code} has its deposit recorded already")
    fit_out.deposit_amount = amount
    fit_out.deposit_recorded_at = now or utcnow()
    ledger.received(
        session,
        org_id=fit_out.org_id,
        tenant_id=fit_out.tenant_id,
        amount=amount,
        reference=fit_out.code,
    )
    session.flush()
    return fit_out


def complete(*, session: Session, actor: Actor, code: str) -> FitOut:
    """Staff accept the finished works; not before the deposit is recorded."""
    require_role(actor, *STAFF)
    fit_out = get(session=session, actor=actor, code=code)
    if fit_out.state != FitOutState.approved or fit_out.deposit_amount is None:
        raise Conflict(f"fit-out {code} must be approved with its deposit recorded first")
    fit_out.state = FitOutState.completed
    session.flush()
    return fit_out


def read(session: Session, fit_out: FitOut) -> FitOutRead:
    drawings = session.scalars(
        select(FitOutDrawing.filename).where(FitOutDrawing.fit_out_id == fit_out.id)
    )
    steps = session.scalars(
        select(FitOutStep).where(FitOutStep.fit_out_id == fit_out.id).order_by(FitOutStep.id)
    )
    return FitOutRead(
        code=fit_out.code,
        tenant_code=fit_out.tenant.code,
        unit_code=fit_out.unit.code,
        description=fit_out.description,
        contractor=fit_out.contractor,
        planned_start=fit_out.planned_start,
        planned_end=fit_out.planned_end,
        state=fit_out.state,
        deposit_amount=fit_out.deposit_amount,
        drawings=list(drawings),
        steps=[FitOutStepRead.model_validate(step) for step in steps],
    )

"""Service requests: a tenant asks for cleaning, plant care or parcel keeping; staff accept
and complete them (the tenant is told when done); a tenant may cancel an open one."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Conflict, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.notifications import service as notifications
from cloud.notifications.models import Channel
from cloud.tenant_services.codes import next_code
from cloud.tenant_services.models import RequestState, ServiceRequest
from cloud.tenant_services.schemas import RequestCreate, RequestRead

HANDLERS = (Role.admin, Role.staff, Role.engineer)
READERS = (*HANDLERS, Role.tenant)

# action -> (states it starts from, state it leads to, who may take it)
MOVES: dict[str, tuple[frozenset[RequestState], RequestState, tuple[Role, ...]]] = {
    "accept": (frozenset({RequestState.open}), RequestState.accepted, HANDLERS),
    "done": (
        frozenset({RequestState.open, RequestState.accepted}),
        RequestState.done,
        HANDLERS,
    ),
    "cancel": (frozenset({RequestState.open}), RequestState.cancelled, (Role.tenant,)),
}


def create(
    *, session: Session, actor: Actor, data: RequestCreate, now: datetime | None = None
) -> ServiceRequest:
    require_role(actor, Role.tenant)
    assert actor.tenant_id is not None
    now = now or utcnow()
    request = ServiceRequest(
        org_id=actor.org_id,
        code=next_code(
            session,
            org_id=actor.org_id,
            prefix="SR",
            column=ServiceRequest.code,
            org_column=ServiceRequest.org_id,
            at=now,
        ),
        tenant_id=actor.tenant_id,
        kind=data.kind,
        details=data.details.strip(),
        wanted_on=data.wanted_on,
        state=RequestState.open,
        requested_by_id=actor.user_id,
        requested_at=now,
    )
    session.add(request)
    session.flush()
    return request


def get(*, session: Session, actor: Actor, code: str) -> ServiceRequest:
    require_role(actor, *READERS)
    stmt = select(ServiceRequest).where(
        ServiceRequest.org_id == actor.org_id, ServiceRequest.code == code
    )
    if actor.is_tenant:
        stmt = stmt.where(ServiceRequest.tenant_id == actor.tenant_id)
    found = session.scalar(stmt)
    if found is None:
        raise NotFound(f"service request {code} not found")
    return found


def list_requests(
    *, session: Session, actor: Actor, state: RequestState | None = None
) -> list[ServiceRequest]:
    require_role(actor, *READERS)
    stmt = select(ServiceRequest).where(ServiceRequest.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(ServiceRequest.tenant_id == actor.tenant_id)
    if state is not None:
        stmt = stmt.where(ServiceRequest.state == state)
    return list(session.scalars(stmt.order_by(ServiceRequest.id.desc())))


def move(
    *, session: Session, actor: Actor, code: str, action: str, now: datetime | None = None
) -> ServiceRequest:
    """accept, done (staff) or cancel (the tenant); Conflict from a wrong state."""
    if action not in MOVES:
        raise NotFound(f"no action {action}")
    sources, target, roles = MOVES[action]
    require_role(actor, *roles)
    request = get(session=session, actor=actor, code=code)
    if request.state not in sources:
        raise Conflict(f"cannot {action} {code}: it is {request.state}")
    request.state = target
    if not actor.is_tenant:
        request.handled_by_id = actor.user_id
    if target == RequestState.done:
        request.done_at = now or utcnow()
        _tell_done(session, request)
    session.flush()
    return request


def _tell_done(session: Session, request: ServiceRequest) -> None:
    notifications.notify(
        session=session,
        org_id=request.org_id,
        recipients=notifications.tenant(request.tenant_id),
        template="service.done",
        params={"code": request.code, "details": request.details[:60]},
        channels=(Channel.in_app,),
        link="/m/services",
    )


def read(request: ServiceRequest) -> RequestRead:
    return RequestRead(
        code=request.code,
        kind=request.kind,
        details=request.details,
        wanted_on=request.wanted_on,
        state=request.state,
        requested_at=request.requested_at,
        done_at=request.done_at,
        tenant_code=request.tenant.code,
    )

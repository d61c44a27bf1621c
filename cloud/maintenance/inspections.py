"""Inspections: checklists, routes of checkpoints with QR codes, rounds an inspector walks,
what they found at each checkpoint (with photos), and a work order for every anomaly.
Staff and admins lay out routes; engineers, staff and admins walk them; tenants do neither."""

import secrets

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.maintenance import service as equipment_service
from cloud.maintenance.models import (
    Checklist,
    Checkpoint,
    Route,
)
from cloud.maintenance.schemas import (
    ChecklistCreate,
    CheckpointCreate,
    RouteCreate,
)
from cloud.properties.models import Building, Unit
from cloud.workorders.models import Category

INSPECTORS = equipment_service.READERS
PLANNERS = equipment_service.KEEPERS
STREET_SHOP_PATROL = (
    "营业状态 Open for business",
    "招牌 Signage",
    "外摆不越线 Outdoor display within its line",
    "卫生 Hygiene",
    "安全 Safety",
)
"""The street-shop patrol's checklist, as the demo seeds it."""


def create_checklist(*, session: Session, actor: Actor, data: ChecklistCreate) -> Checklist:
    require_role(actor, *PLANNERS)
    items = [item.strip() for item in data.items if item.strip()]
    if len(set(items)) != len(items) or not items:
        raise Invalid("checklist items must be given and differ", field="items")
    if _checklist(session, actor.org_id, data.code, missing_ok=True):
        raise Conflict(f"checklist {data.code} already exists")
    checklist = Checklist(org_id=actor.org_id, code=data.code, name=data.name, items=items)
    session.add(checklist)
    session.flush()
    return checklist


def list_checklists(*, session: Session, actor: Actor) -> list[Checklist]:
    require_role(actor, *INSPECTORS)
    stmt = select(Checklist).where(Checklist.org_id == actor.org_id).order_by(Checklist.code)
    return list(session.scalars(stmt))


def _checklist(
    session: Session, org_id: int, code: str, *, missing_ok: bool = False
) -> Checklist | None:
    found = session.scalar(
        select(Checklist).where(Checklist.org_id == org_id, Checklist.code == code)
    )
    if found is None and not missing_ok:
        raise Invalid(f"no checklist {code}", field="checklist_code")
    return found


def create_route(*, session: Session, actor: Actor, data: RouteCreate) -> Route:
    """A route and its checkpoints in the order given, each with its own QR token."""
    require_role(actor, *PLANNERS)
    if session.scalar(
        select(Route.id).where(Route.org_id == actor.org_id, Route.code == data.code)
    ):
        raise Conflict(f"route {data.code} already exists")
    if len({cp.code for cp in data.checkpoints}) != len(data.checkpoints):
        raise Invalid("checkpoint codes repeat", field="checkpoints")
    route = Route(org_id=actor.org_id, code=data.code, name=data.name, active=True)
    session.add(route)
    session.flush()
    for position, point in enumerate(data.checkpoints, start=1):
        session.add(_checkpoint(session, actor, route, position, point))
    session.flush()
    session.expire(route, ["checkpoints"])
    return route


def _checkpoint(
    session: Session, actor: Actor, route: Route, position: int, data: CheckpointCreate
) -> Checkpoint:
    org_id = actor.org_id
    checklist = _checklist(session, org_id, data.checklist_code)
    assert checklist is not None
    if not session.scalar(
        select(Category.id).where(Category.org_id == org_id, Category.code == data.category_code)
    ):
        raise Invalid(f"no work order category {data.category_code}", field="category_code")
    point = Checkpoint(
        org_id=org_id,
        route_id=route.id,
        code=data.code,
        name=data.name,
        position=position,
        token=secrets.token_urlsafe(18),
        checklist_id=checklist.id,
        category_code=data.category_code,
    )
    if data.unit_code:
        unit = session.scalar(
            select(Unit).where(Unit.org_id == org_id, Unit.code == data.unit_code)
        )
        if unit is None:
            raise Invalid(f"no unit {data.unit_code}", field="unit_code")
        point.unit_id, point.building_id = unit.id, unit.building_id
    elif data.building_code:
        point.building_id = session.scalar(
            select(Building.id).where(
                Building.org_id == org_id, Building.code == data.building_code
            )
        )
        if point.building_id is None:
            raise Invalid(f"no building {data.building_code}", field="building_code")
    if data.equipment_code:
        equipment = equipment_service.get_equipment(
            session=session, actor=actor, code=data.equipment_code
        )
        point.equipment_id = equipment.id
        point.building_id = point.building_id or equipment.building_id
    return point


def list_routes(*, session: Session, actor: Actor) -> list[Route]:
    require_role(actor, *INSPECTORS)
    stmt = select(Route).where(Route.org_id == actor.org_id).order_by(Route.code)
    return list(session.scalars(stmt))


def get_route(*, session: Session, actor: Actor, code: str) -> Route:
    require_role(actor, *INSPECTORS)
    route = session.scalar(select(Route).where(Route.org_id == actor.org_id, Route.code == code))
    if route is None:
        raise NotFound(f"route {code} not found")
    return route


def checkpoint_by_token(*, session: Session, actor: Actor, token: str) -> Checkpoint:
    """The checkpoint a scanned QR code names (only within the actor's org)."""
    require_role(actor, *INSPECTORS)
    point = session.scalar(
        select(Checkpoint).where(Checkpoint.org_id == actor.org_id, Checkpoint.token == token)
    )
    if point is None:
        raise NotFound("no such checkpoint")
    return point


def qr_svg(*, token: str, base_url: str) -> str:
    """The QR code of a checkpoint as SVG: the phone page that records it."""
    qr = segno.make(f"{base_url.rstrip('/')}/inspect/{token}", error="m")
    return str(qr.svg_inline(scale=4))

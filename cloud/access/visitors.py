"""Visitors a tenant books: a QR code for the doors of one area during the visit (its secret
is shown once and kept only as a PBKDF2 hash), and optionally a plate pass for the car."""

import secrets
from datetime import datetime

import segno
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cloud.access.models import Visitor
from cloud.access.schemas import VisitorCreate, VisitorPass, VisitorRead
from cloud.errors import Forbidden, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing.models import Lease
from cloud.parking import service as parking_service
from cloud.properties.models import Building, Site, Unit
from protocols.gate import hash_secret

LOBBY = "LOBBY"
"""The area a visitor's QR opens when the booking names none."""
BOOKERS = (Role.admin, Role.staff, Role.tenant)
READERS = (Role.admin, Role.staff, Role.tenant)


def new_secret() -> tuple[str, str, int, str]:
    """A fresh QR secret and its salt, iterations and digest."""
    secret = secrets.token_urlsafe(18)
    hashed = hash_secret(secret, salt=secrets.token_hex(16))
    return secret, hashed.salt, hashed.iterations, hashed.digest


def qr_svg(text: str) -> str:
    return str(segno.make(text, error="m").svg_inline(scale=6, border=2))


def visible_visitors(actor: Actor) -> Select[Visitor]:
    stmt = select(Visitor).where(Visitor.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(Visitor.tenant_id == actor.tenant_id)
    return stmt


def _site(session: Session, actor: Actor, code: str | None) -> Site:
    """The visit's site: the one named, else the one site of the tenant's leases (or the
    org's only site)."""
    if code is not None:
        return parking_service.site_by_code(session, actor.org_id, code)
    stmt = select(Site).where(Site.org_id == actor.org_id)
    if actor.is_tenant:
        leased = (
            select(Building.site_id)
            .join(Unit, Unit.building_id == Building.id)
            .join(Lease, Lease.unit_id == Unit.id)
            .where(Lease.tenant_id == actor.tenant_id)
        )
        stmt = stmt.where(Site.id.in_(leased))
    sites = list(session.scalars(stmt.order_by(Site.id).limit(2)))
    if len(sites) != 1:
        raise Invalid("name the site of the visit", field="site_code")
    return sites[0]


def book_visitor(*, session: Session, actor: Actor, data: VisitorCreate) -> VisitorPass:
    """Book a visit; the answer carries the QR code, which cannot be shown again later."""
    require_role(actor, *BOOKERS)
    if data.valid_until <= data.valid_from:
        raise Invalid("the visit ends before it starts", field="valid_until")
    if actor.is_tenant:
        if data.tenant_code is not None:
            raise Forbidden("a tenant books visitors for itself only")
        tenant_id = actor.tenant_id
    elif data.tenant_code is None:
        raise Invalid("name the tenant being visited", field="tenant_code")
    else:
        tenant_id = parking_service.tenant_by_code(session, actor.org_id, data.tenant_code).id
    assert tenant_id is not None
    plate = parking_service.valid_plate(data.plate) if data.plate else None
    site = _site(session, actor, data.site_code)
    secret, salt, iterations, digest = new_secret()
    count = session.scalar(select(func.count()).where(Visitor.org_id == actor.org_id)) or 0
    visitor = Visitor(
        org_id=actor.org_id,
        site_id=site.id,
        tenant_id=tenant_id,
        code=f"FK-{data.valid_from.year}-{count + 1:05d}",
        name=data.name,
        phone=data.phone,
        plate=plate,
        area=data.area or LOBBY,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        salt=salt,
        iterations=iterations,
        digest=digest,
        created_by_id=actor.user_id,
    )
    session.add(visitor)
    session.flush()
    read = read_visitor(visitor)
    return VisitorPass(**read.model_dump(), qr_text=secret, qr_svg=qr_svg(secret))


def read_visitor(visitor: Visitor) -> VisitorRead:
    return VisitorRead(
        id=visitor.id,
        code=visitor.code,
        name=visitor.name,
        phone=visitor.phone,
        plate=visitor.plate,
        area=visitor.area,
        tenant_code=visitor.tenant.code,
        valid_from=visitor.valid_from,
        valid_until=visitor.valid_until,
        cancelled=visitor.cancelled,
    )


def list_visitors(*, session: Session, actor: Actor, limit: int = 200) -> list[Visitor]:
    require_role(actor, *READERS)
    stmt = visible_visitors(actor).order_by(Visitor.valid_from.desc(), Visitor.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def cancel_visitor(*, session: Session, actor: Actor, code: str) -> Visitor:
    require_role(actor, *BOOKERS)
    visitor = session.scalar(visible_visitors(actor).where(Visitor.code == code))
    if visitor is None:
        raise NotFound(f"visitor {code} not found")
    visitor.cancelled = True
    session.flush()
    return visitor


def expected_plate(session: Session, site_id: int, plate: str, at: datetime) -> bool:
    """Whether a booked, uncancelled visit covers this plate at this site at `at`."""
    found = session.scalar(
        select(Visitor.id).where(
            Visitor.site_id == site_id,
            Visitor.plate == plate,
            ~Visitor.cancelled,
            Visitor.valid_from <= at,
            Visitor.valid_until > at,
        )
    )
    return found is not None


def current_visitors(session: Session, site_id: int, at: datetime) -> list[Visitor]:
    """Visits of the site not cancelled and not yet over at `at` (for the allow-list)."""
    stmt = select(Visitor).where(
        Visitor.site_id == site_id, ~Visitor.cancelled, Visitor.valid_until > at
    )
    return list(session.scalars(stmt.order_by(Visitor.id)))

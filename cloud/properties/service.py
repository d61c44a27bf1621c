"""Units and sites, scoped to the actor's org (a tenant sees the units it leases now)."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import NotFound
from cloud.identity.actor import Actor
from cloud.leasing import service as leasing_service
from cloud.properties.models import Site, Unit


def list_units(*, session: Session, actor: Actor, today: date | None = None) -> list[Unit]:
    """Units visible to the actor (a tenant: those it leases on `today`, by default the org's
    today), by code."""
    stmt = select(Unit).where(Unit.org_id == actor.org_id)
    if actor.is_tenant:
        units = leasing_service.visible_unit_ids(session=session, actor=actor, today=today)
        stmt = stmt.where(Unit.id.in_(units))
    return list(session.scalars(stmt.order_by(Unit.code)))


def get_site(*, session: Session, actor: Actor, code: str) -> Site:
    """A site of the actor's org by code."""
    site = session.scalar(select(Site).where(Site.org_id == actor.org_id, Site.code == code))
    if site is None:
        raise NotFound(f"site {code} not found")
    return site

"""Tenants and leases, scoped to the actor: staff see their org's, a tenant sees its own."""

from datetime import date, datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cloud.errors import NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.leasing.models import Lease, Tenant


def visible_leases(actor: Actor) -> Select[Lease]:
    """The leases the actor may see, as a statement other domains can narrow further."""
    stmt = select(Lease).where(Lease.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(Lease.tenant_id == actor.tenant_id)
    return stmt


def visible_unit_ids(*, session: Session, actor: Actor, today: date | None = None) -> Select[int]:
    """Ids of the units a tenant actor leases on `today` (default: today in the org's time zone).

    Only leases in force count: a former tenant does not see the next tenant's unit and meters.
    Use only for tenant actors.
    """
    today = today or identity_service.org_today(session=session, actor=actor)
    return select(Lease.unit_id).where(
        Lease.org_id == actor.org_id,
        Lease.tenant_id == actor.tenant_id,
        Lease.start_date <= today,
        Lease.end_date >= today,
    )


def tenancy(
    *, session: Session, actor: Actor, unit_id: int, today: date | None = None
) -> tuple[datetime, datetime]:
    """For a tenant actor: the instants [from, until) of its lease in force on the unit.

    What a unit's meters recorded outside them belongs to someone else (the previous or the
    next tenant), so a tenant's view of readings is cut to this window.
    """
    today = today or identity_service.org_today(session=session, actor=actor)
    lease = session.scalar(
        select(Lease)
        .where(
            Lease.org_id == actor.org_id,
            Lease.tenant_id == actor.tenant_id,
            Lease.unit_id == unit_id,
            Lease.start_date <= today,
            Lease.end_date >= today,
        )
        .order_by(Lease.start_date.desc())
        .limit(1)
    )
    if lease is None:
        raise NotFound("no lease in force on this unit")
    return identity_service.org_instants(
        session=session, actor=actor, first=lease.start_date, last=lease.end_date
    )


def list_leases(*, session: Session, actor: Actor) -> list[Lease]:
    """Leases visible to the actor, by code."""
    return list(session.scalars(visible_leases(actor).order_by(Lease.code)))


def get_lease(*, session: Session, actor: Actor, code: str) -> Lease:
    """One visible lease by code; NotFound also when it exists but is not the actor's."""
    lease = session.scalar(visible_leases(actor).where(Lease.code == code))
    if lease is None:
        raise NotFound(f"lease {code} not found")
    return lease


def list_tenants(*, session: Session, actor: Actor) -> list[Tenant]:
    """Tenants of the actor's org (a tenant actor sees only itself)."""
    stmt = select(Tenant).where(Tenant.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(Tenant.id == actor.tenant_id)
    return list(session.scalars(stmt.order_by(Tenant.code)))

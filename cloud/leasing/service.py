"""Tenants and leases, scoped to the actor: staff see their org's, a tenant sees its own."""

from datetime import date, datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing.models import Lease, Tenant
from cloud.leasing.schemas import LeaseCreate, TenantCreate
from cloud.properties.models import Unit


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


def get_tenant(*, session: Session, actor: Actor, code: str, field: str = "tenant_code") -> Tenant:
    """A tenant of the actor's org by code; Invalid naming `field` when there is none."""
    tenant = session.scalar(
        select(Tenant).where(Tenant.org_id == actor.org_id, Tenant.code == code)
    )
    if tenant is None or (actor.is_tenant and tenant.id != actor.tenant_id):
        raise Invalid(f"no tenant {code!r} in this org", field=field)
    return tenant


def create_tenant(*, session: Session, actor: Actor, data: TenantCreate) -> Tenant:
    """A new tenant of the org; Conflict naming the code when the org has one by that code."""
    require_role(actor, Role.admin, Role.staff)
    taken = select(Tenant.id).where(Tenant.org_id == actor.org_id, Tenant.code == data.code)
    if session.scalar(taken) is not None:
        raise Conflict(f"tenant code {data.code} is taken")
    tenant = Tenant(org_id=actor.org_id, code=data.code, name=data.name)
    session.add(tenant)
    session.flush()
    return tenant


def tenant_code_of(*, session: Session, tenant_id: int) -> str:
    """The code of a tenant another domain refers to by id."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found")
    return tenant.code


def check_unit_free(
    *,
    session: Session,
    unit: Unit,
    start: date,
    end: date,
    except_contract_id: int | None = None,
) -> None:
    """Conflict when another lease of `unit` overlaps [start, end] (both ends included).

    Leases of `except_contract_id` do not count (a contract's amendment may move its own). The
    unit's row is locked first (PostgreSQL), so two signings for one unit cannot both pass.
    """
    session.execute(select(Unit.id).where(Unit.id == unit.id).with_for_update())
    stmt = select(Lease).where(
        Lease.org_id == unit.org_id,
        Lease.unit_id == unit.id,
        Lease.start_date <= end,
        Lease.end_date >= start,
    )
    if except_contract_id is not None:
        stmt = stmt.where(or_(Lease.contract_id.is_(None), Lease.contract_id != except_contract_id))
    other = session.scalar(stmt.order_by(Lease.start_date).limit(1))
    if other is not None:
        raise Conflict(
            f"unit {unit.code} is let under lease {other.code} from {other.start_date} to "
            f"{other.end_date}, which overlaps {start}..{end}"
        )


def create_lease(*, session: Session, actor: Actor, data: LeaseCreate) -> Lease:
    """A lease entered directly (without a contract); staff and admins only."""
    require_role(actor, Role.admin, Role.staff)
    if session.scalar(
        select(Lease.id).where(Lease.org_id == actor.org_id, Lease.code == data.code)
    ):
        raise Conflict(f"lease {data.code} exists")
    unit = session.scalar(
        select(Unit).where(Unit.org_id == actor.org_id, Unit.code == data.unit_code)
    )
    if unit is None:
        raise Invalid(f"no unit {data.unit_code!r} in this org", field="unit_code")
    tenant = get_tenant(session=session, actor=actor, code=data.tenant_code)
    check_unit_free(session=session, unit=unit, start=data.start_date, end=data.end_date)
    lease = Lease(
        org_id=actor.org_id,
        code=data.code,
        unit_id=unit.id,
        tenant_id=tenant.id,
        start_date=data.start_date,
        end_date=data.end_date,
        monthly_rent=data.monthly_rent,
        electricity_tariff=data.electricity_tariff,
    )
    session.add(lease)
    session.flush()
    return lease

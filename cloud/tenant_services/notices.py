"""Notices to tenants: staff publish to every tenant, a park's or a building's (each tenant
user gets it in the bell too); a tenant reads those meant for the places it leases."""

from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Invalid, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role, User
from cloud.leasing import service as leasing_service
from cloud.leasing.models import Lease
from cloud.notifications import service as notifications
from cloud.notifications.models import Channel
from cloud.properties.models import Building, Site, Unit
from cloud.tenant_services.models import Audience, Notice, NoticeReceipt
from cloud.tenant_services.schemas import NoticeCreate, NoticeRead

PUBLISHERS = (Role.admin, Role.staff)
READERS = (Role.admin, Role.staff, Role.finance, Role.engineer, Role.tenant)


def publish(
    *, session: Session, actor: Actor, data: NoticeCreate, now: datetime | None = None
) -> Notice:
    """Publish a notice and put it in the bell of every tenant user it is for."""
    require_role(actor, *PUBLISHERS)
    notice = Notice(
        org_id=actor.org_id,
        title=data.title.strip(),
        body=data.body.strip(),
        audience=data.audience,
        published_by_id=actor.user_id,
        published_at=now or utcnow(),
    )
    if data.audience == Audience.site:
        notice.site_id = _id_of(session, Site, actor.org_id, data.site_code, "site_code")
    elif data.audience == Audience.building:
        notice.building_id = _id_of(
            session, Building, actor.org_id, data.building_code, "building_code"
        )
    session.add(notice)
    session.flush()
    for tenant_id in _tenants_for(session, actor, notice):
        notifications.notify(
            session=session,
            org_id=actor.org_id,
            recipients=notifications.tenant(tenant_id),
            template="notice.published",
            params={"title": notice.title, "summary": notice.body[:140]},
            channels=(Channel.in_app,),
            link="/m/notices",
            now=notice.published_at,
        )
    return notice


def _id_of(
    session: Session, model: type[Site] | type[Building], org_id: int, code: str | None, field: str
) -> int:
    found = session.scalar(select(model.id).where(model.org_id == org_id, model.code == code))
    if not code or found is None:
        raise Invalid(f"no {field.removesuffix('_code')} {code or '(none given)'}", field=field)
    return found


def _tenants_for(session: Session, actor: Actor, notice: Notice) -> list[int]:
    """Tenants with a lease in force today in the notice's places."""
    today = identity_service.org_today(session=session, actor=actor)
    stmt = (
        select(Lease.tenant_id)
        .join(Unit, Unit.id == Lease.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Lease.org_id == actor.org_id, Lease.start_date <= today, Lease.end_date >= today)
        .distinct()
    )
    if notice.site_id is not None:
        stmt = stmt.where(Building.site_id == notice.site_id)
    if notice.building_id is not None:
        stmt = stmt.where(Building.id == notice.building_id)
    return sorted(session.scalars(stmt))


def _visible(session: Session, actor: Actor) -> Select[Notice]:
    stmt = select(Notice).where(Notice.org_id == actor.org_id)
    if actor.is_tenant:
        units = leasing_service.visible_unit_ids(session=session, actor=actor)
        buildings = select(Unit.building_id).where(Unit.id.in_(units))
        sites = select(Building.site_id).where(Building.id.in_(buildings))
        stmt = stmt.where(
            or_(
                Notice.audience == Audience.all,
                Notice.building_id.in_(buildings),
                Notice.site_id.in_(sites),
            )
        )
    return stmt


def list_notices(*, session: Session, actor: Actor, limit: int = 100) -> list[NoticeRead]:
    """Notices the actor may read, newest first (a tenant's marked read or not)."""
    require_role(actor, *READERS)
    stmt = _visible(session, actor).order_by(Notice.published_at.desc(), Notice.id.desc())
    notices = list(session.scalars(stmt.limit(limit)))
    read: set[int] = set()
    if actor.is_tenant:
        read = set(
            session.scalars(
                select(NoticeReceipt.notice_id).where(NoticeReceipt.user_id == actor.user_id)
            )
        )
    return [_read(session, n, (n.id in read) if actor.is_tenant else None) for n in notices]


def _read(session: Session, notice: Notice, read: bool | None) -> NoticeRead:
    where = None
    if notice.building_id is not None:
        where = session.scalar(select(Building.code).where(Building.id == notice.building_id))
    elif notice.site_id is not None:
        where = session.scalar(select(Site.code).where(Site.id == notice.site_id))
    return NoticeRead(
        id=notice.id,
        title=notice.title,
        body=notice.body,
        audience=notice.audience,
        where=where,
        published_at=notice.published_at,
        read=read,
    )


def mark_read(*, session: Session, actor: Actor, notice_id: int) -> None:
    """A tenant user has read a notice meant for them (again is harmless)."""
    require_role(actor, Role.tenant)
    notice = session.scalar(_visible(session, actor).where(Notice.id == notice_id))
    if notice is None:
        raise NotFound(f"notice {notice_id} not found")
    if session.get(NoticeReceipt, (notice_id, actor.user_id)) is None:
        session.add(NoticeReceipt(notice_id=notice_id, user_id=actor.user_id, org_id=actor.org_id))
        session.flush()


def readers(*, session: Session, actor: Actor, notice_id: int) -> list[str]:
    """Who of the tenants' users has read a notice (for staff)."""
    require_role(actor, *PUBLISHERS)
    stmt = (
        select(User.display_name)
        .join(NoticeReceipt, NoticeReceipt.user_id == User.id)
        .where(NoticeReceipt.org_id == actor.org_id, NoticeReceipt.notice_id == notice_id)
        .order_by(NoticeReceipt.read_at)
    )
    return list(session.scalars(stmt))

"""Writing notices into the outbox (in the caller's transaction), and each user's own inbox
and contact settings."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from cloud.db.base import utcnow
from cloud.errors import Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role, User
from cloud.notifications import templates
from cloud.notifications.models import Channel, Contact, InboxItem, OutboxMessage, Status
from cloud.notifications.schemas import ContactUpdate

ALL_ROLES = tuple(Role)
OUTBOX_READERS = (Role.admin, Role.staff)


@dataclass(frozen=True)
class Recipients:
    """Whom a notice is for: users by id, every login of a tenant, everyone with a role.
    Any mix; a user named twice gets it once."""

    user_ids: tuple[int, ...] = ()
    tenant_id: int | None = None
    roles: tuple[Role, ...] = field(default=())


def users(*user_ids: int | None) -> Recipients:
    """The given users (None entries, e.g. a job without an assignee, are left out)."""
    return Recipients(user_ids=tuple(uid for uid in user_ids if uid is not None))


def tenant(tenant_id: int) -> Recipients:
    return Recipients(tenant_id=tenant_id)


def role(*roles: Role) -> Recipients:
    return Recipients(roles=roles)


def notify(
    *,
    session: Session,
    org_id: int,
    recipients: Recipients,
    template: str,
    params: Mapping[str, object],
    channels: Iterable[Channel] = (Channel.in_app,),
    link: str | None = None,
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """One outbox row per recipient and channel, in each recipient's language. Flushes in the
    caller's transaction: the notice goes out only if the change it tells about commits. A
    channel the user has no address for is recorded as failed with that reason."""
    now = now or utcnow()
    rows = [
        _row(user, contact, template, params, channel, link, now)
        for user, contact in _resolve(session, org_id, recipients)
        for channel in dict.fromkeys(channels)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def notify_tenants(
    *,
    session: Session,
    org_id: int,
    template: str,
    notices: Sequence[tuple[int, Mapping[str, object]]],
    channels: Iterable[Channel] = (Channel.in_app,),
    link: str | None = None,
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """`notify` of many tenants at once, each (tenant id, params) to every login of its tenant:
    one query and one flush however many there are (a billing run tells thousands)."""
    now = now or utcnow()
    tenant_ids = {tenant_id for tenant_id, _params in notices}
    stmt = (
        select(User, Contact)
        .outerjoin(Contact, Contact.user_id == User.id)
        .where(User.org_id == org_id, User.active, User.tenant_id.in_(tenant_ids))
        .order_by(User.id)
    )
    logins: dict[int, list[tuple[User, Contact | None]]] = {}
    for user, contact in session.execute(stmt):
        assert user.tenant_id is not None
        logins.setdefault(user.tenant_id, []).append((user, contact))
    rows = [
        _row(user, contact, template, params, channel, link, now)
        for tenant_id, params in notices
        for user, contact in logins.get(tenant_id, [])
        for channel in dict.fromkeys(channels)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _row(
    user: User,
    contact: Contact | None,
    template: str,
    params: Mapping[str, object],
    channel: Channel,
    link: str | None,
    now: datetime,
) -> OutboxMessage:
    """The outbox row of one notice to one user on one channel, in the user's language; a
    channel the user has no address for is recorded as failed with that reason."""
    language = contact.language if contact else templates.DEFAULT_LANGUAGE
    subject, body = templates.render(template, language, params)
    address = _address(contact, channel)
    missing = channel != Channel.in_app and not address
    return OutboxMessage(
        org_id=user.org_id,
        user_id=user.id,
        channel=channel,
        address=address,
        language=language,
        template=template,
        subject=subject,
        body=body,
        link=link,
        status=Status.failed if missing else Status.pending,
        last_error=f"{user.username} has no {channel} address" if missing else None,
        next_attempt_at=now,
        created_at=now,
    )


def _resolve(
    session: Session, org_id: int, recipients: Recipients
) -> list[tuple[User, Contact | None]]:
    """Active users of the org the recipients name (never another org's), with contacts."""
    wanted: list[ColumnElement[bool]] = []
    if recipients.user_ids:
        wanted.append(User.id.in_(recipients.user_ids))
    if recipients.tenant_id is not None:
        wanted.append(User.tenant_id == recipients.tenant_id)
    if recipients.roles:
        wanted.append(User.role.in_(recipients.roles))
    if not wanted:
        return []
    stmt = (
        select(User, Contact)
        .outerjoin(Contact, Contact.user_id == User.id)
        .where(User.org_id == org_id, User.active, or_(*wanted))
        .order_by(User.id)
    )
    return [(user, contact) for user, contact in session.execute(stmt)]


def _address(contact: Contact | None, channel: Channel) -> str | None:
    if contact is None or channel == Channel.in_app:
        return None
    return contact.email if channel == Channel.email else contact.phone


# --- a user's own inbox and contact ------------------------------------------------------


def inbox(*, session: Session, actor: Actor, limit: int = 50) -> list[InboxItem]:
    """The actor's in-app notices, newest first."""
    require_role(actor, *ALL_ROLES)
    stmt = (
        select(InboxItem)
        .where(InboxItem.org_id == actor.org_id, InboxItem.user_id == actor.user_id)
        .order_by(InboxItem.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def unread_count(*, session: Session, actor: Actor) -> int:
    require_role(actor, *ALL_ROLES)
    stmt = select(func.count()).where(
        InboxItem.org_id == actor.org_id,
        InboxItem.user_id == actor.user_id,
        InboxItem.read_at.is_(None),
    )
    return int(session.scalar(stmt) or 0)


def mark_read(
    *, session: Session, actor: Actor, item_id: int | None = None, now: datetime | None = None
) -> int:
    """Mark one of the actor's notices read (or all when `item_id` is None); how many."""
    require_role(actor, *ALL_ROLES)
    stmt = select(InboxItem).where(
        InboxItem.org_id == actor.org_id,
        InboxItem.user_id == actor.user_id,
        InboxItem.read_at.is_(None),
    )
    if item_id is not None:
        stmt = stmt.where(InboxItem.id == item_id)
    items = list(session.scalars(stmt))
    if item_id is not None and not items:
        owned = session.scalar(
            select(InboxItem.id).where(
                InboxItem.id == item_id,
                InboxItem.org_id == actor.org_id,
                InboxItem.user_id == actor.user_id,
            )
        )
        if owned is None:
            raise NotFound(f"notice {item_id} not found")
    for item in items:
        item.read_at = now or utcnow()
    session.flush()
    return len(items)


def my_contact(*, session: Session, actor: Actor) -> Contact:
    """The actor's contact settings (defaults when never set)."""
    require_role(actor, *ALL_ROLES)
    contact = session.get(Contact, actor.user_id)
    return contact or Contact(user_id=actor.user_id, org_id=actor.org_id, language="zh")


def update_my_contact(*, session: Session, actor: Actor, data: ContactUpdate) -> Contact:
    """Set the actor's language, email and phone for notices."""
    require_role(actor, *ALL_ROLES)
    if data.language not in templates.LANGUAGES:
        raise Invalid(f"language must be one of {templates.LANGUAGES}", field="language")
    contact = session.get(Contact, actor.user_id)
    if contact is None:
        contact = Contact(user_id=actor.user_id, org_id=actor.org_id)
        session.add(contact)
    contact.language = data.language
    contact.email = (data.email or "").strip() or None
    contact.phone = (data.phone or "").strip() or None
    session.flush()
    return contact


def list_outbox(
    *, session: Session, actor: Actor, status: Status | None = None, limit: int = 200
) -> list[OutboxMessage]:
    """The org's outbox, newest first (staff check what went out and what failed, and why)."""
    require_role(actor, *OUTBOX_READERS)
    stmt = select(OutboxMessage).where(OutboxMessage.org_id == actor.org_id)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(limit)))

"""Access, scoped to the actor: doors, people, their credentials (a PIN or QR secret stored
only as a PBKDF2 hash) and permissions by area and weekly hours, and the door log. Security
staff and admins manage it; a tenant sees its own people."""

import secrets

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cloud.access.models import HASHED, Credential, Door, DoorEvent, Permission, Person
from cloud.access.schemas import CredentialCreate, DoorCreate, PermissionCreate, PersonCreate
from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.parking.service import site_by_code, tenant_by_code
from protocols.gate import hash_secret

MANAGERS = (Role.admin, Role.staff)
READERS = (Role.admin, Role.staff, Role.tenant)


def create_door(*, session: Session, actor: Actor, data: DoorCreate) -> Door:
    require_role(actor, Role.admin)
    site = site_by_code(session, actor.org_id, data.site_code)
    if session.scalar(select(Door).where(Door.site_id == site.id, Door.code == data.code)):
        raise Conflict(f"door {data.code} already exists at site {site.code}")
    door = Door(
        org_id=actor.org_id, site_id=site.id, code=data.code, name=data.name, area=data.area
    )
    session.add(door)
    session.flush()
    return door


def list_doors(*, session: Session, actor: Actor) -> list[Door]:
    require_role(actor, *MANAGERS)
    stmt = select(Door).where(Door.org_id == actor.org_id).order_by(Door.code)
    return list(session.scalars(stmt))


def visible_people(actor: Actor) -> Select[Person]:
    stmt = select(Person).where(Person.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(Person.tenant_id == actor.tenant_id)
    return stmt


def add_person(*, session: Session, actor: Actor, data: PersonCreate) -> Person:
    require_role(actor, *MANAGERS)
    site = site_by_code(session, actor.org_id, data.site_code)
    tenant_id = (
        tenant_by_code(session, actor.org_id, data.tenant_code).id if data.tenant_code else None
    )
    person = Person(
        org_id=actor.org_id, site_id=site.id, tenant_id=tenant_id, name=data.name, phone=data.phone
    )
    session.add(person)
    session.flush()
    return person


def list_people(*, session: Session, actor: Actor) -> list[Person]:
    require_role(actor, *READERS)
    return list(session.scalars(visible_people(actor).order_by(Person.name, Person.id)))


def get_person(*, session: Session, actor: Actor, person_id: int) -> Person:
    require_role(actor, *READERS)
    person = session.scalar(visible_people(actor).where(Person.id == person_id))
    if person is None:
        raise NotFound(f"person {person_id} not found")
    return person


def issue_credential(
    *, session: Session, actor: Actor, person_id: int, data: CredentialCreate
) -> Credential:
    """A credential for a person. A card or BLE key needs its identifier; a PIN or QR its
    secret, of which only a salted hash is kept."""
    require_role(actor, *MANAGERS)
    person = get_person(session=session, actor=actor, person_id=person_id)
    credential = Credential(
        org_id=actor.org_id,
        person_id=person.id,
        kind=data.kind,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )
    if data.kind in HASHED:
        if not data.secret or data.identifier:
            raise Invalid(
                f"a {data.kind} credential takes a secret, not an identifier", field="secret"
            )
        hashed = hash_secret(data.secret, salt=secrets.token_hex(16))
        credential.salt, credential.iterations, credential.digest = (
            hashed.salt,
            hashed.iterations,
            hashed.digest,
        )
    else:
        if not data.identifier or data.secret:
            raise Invalid(
                f"a {data.kind} credential takes an identifier, not a secret", field="identifier"
            )
        credential.identifier = data.identifier
    session.add(credential)
    session.flush()
    return credential


def list_credentials(*, session: Session, actor: Actor, person_id: int) -> list[Credential]:
    person = get_person(session=session, actor=actor, person_id=person_id)
    stmt = select(Credential).where(Credential.person_id == person.id).order_by(Credential.id)
    return list(session.scalars(stmt))


def revoke_credential(*, session: Session, actor: Actor, credential_id: int) -> Credential:
    require_role(actor, *MANAGERS)
    credential = session.scalar(
        select(Credential).where(Credential.org_id == actor.org_id, Credential.id == credential_id)
    )
    if credential is None:
        raise NotFound(f"credential {credential_id} not found")
    credential.revoked = True
    session.flush()
    return credential


def grant(*, session: Session, actor: Actor, person_id: int, data: PermissionCreate) -> Permission:
    """Let a person open the doors of an area, at the hours given (none: at any time)."""
    require_role(actor, *MANAGERS)
    person = get_person(session=session, actor=actor, person_id=person_id)
    if (data.start is None) != (data.end is None):
        raise Invalid("give both start and end, or neither", field="end")
    permission = Permission(
        org_id=actor.org_id,
        person_id=person.id,
        area=data.area,
        days="".join(sorted(set(data.days))),
        start=data.start,
        end=data.end,
    )
    session.add(permission)
    session.flush()
    return permission


def list_permissions(*, session: Session, actor: Actor, person_id: int) -> list[Permission]:
    person = get_person(session=session, actor=actor, person_id=person_id)
    stmt = select(Permission).where(Permission.person_id == person.id).order_by(Permission.id)
    return list(session.scalars(stmt))


def door_log(
    *, session: Session, actor: Actor, door: str | None = None, limit: int = 200
) -> list[DoorEvent]:
    """The door log, newest first."""
    require_role(actor, *MANAGERS)
    stmt = select(DoorEvent).where(DoorEvent.org_id == actor.org_id)
    if door:
        stmt = stmt.where(DoorEvent.door == door)
    return list(
        session.scalars(stmt.order_by(DoorEvent.ts.desc(), DoorEvent.id.desc()).limit(limit))
    )

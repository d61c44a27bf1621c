"""Access: doors by area, people and their credentials (PIN and QR secrets only hashed),
permissions by area and weekly hours, visitors a tenant books, and the door-event log."""

import enum
from datetime import datetime, time

from sqlalchemy import Enum, ForeignKey, Identity, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, UTCDateTime, utcnow
from cloud.leasing.models import Tenant


class CredentialKind(enum.StrEnum):
    card = "card"
    qr = "qr"
    pin = "pin"
    ble = "ble"


HASHED = frozenset({CredentialKind.qr, CredentialKind.pin})


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=16, create_constraint=True, name=name)


class Door(Base):
    """A door (or lock) of a site, in an area, by the code the agent reports."""

    __tablename__ = "doors"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    area: Mapped[str] = mapped_column(String(64))


class Person(Base):
    """Someone who opens doors: staff of the park, or of a tenant (`tenant_id`)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)

    tenant: Mapped[Tenant | None] = relationship(lazy="joined")


class Credential(Base):
    """A card UID or BLE key id in the clear; a PIN or QR secret as PBKDF2 salt and digest."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[CredentialKind] = mapped_column(_enum(CredentialKind, "credential_kind"))
    identifier: Mapped[str | None] = mapped_column(String(64))
    salt: Mapped[str | None] = mapped_column(String(64))
    iterations: Mapped[int | None]
    digest: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Permission(Base):
    """A person may open doors of `area` on ISO weekdays `days` (e.g. `12345`) from `start` to
    `end`; no hours means at any time."""

    __tablename__ = "access_permissions"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    area: Mapped[str] = mapped_column(String(64))
    days: Mapped[str] = mapped_column(String(7), default="1234567")
    start: Mapped[time | None] = mapped_column(Time())
    end: Mapped[time | None] = mapped_column(Time())


class Visitor(Base):
    """A visit a tenant books: a QR code (its secret only hashed) valid for the visit, for
    `area`, and optionally a temporary pass for the visitor's plate."""

    __tablename__ = "visitors"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    plate: Mapped[str | None] = mapped_column(String(16))
    area: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    salt: Mapped[str] = mapped_column(String(64))
    iterations: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    cancelled: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)


class DoorEvent(Base):
    """One line of the door log, taken from an agent's `door_*` event."""

    __tablename__ = "door_events"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), unique=True)
    door: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    person: Mapped[str | None] = mapped_column(String(64))
    credential_kind: Mapped[str | None] = mapped_column(String(16))
    credential_ref: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(64))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)

"""The outbox of notices, the in-app inbox they land in, and how each person is reached."""

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Identity, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.base import Base, IdType, UTCDateTime, utcnow


class Channel(enum.StrEnum):
    in_app = "in_app"
    email = "email"
    sms = "sms"


class Status(enum.StrEnum):
    pending = "pending"  # waits for its next attempt
    delivered = "delivered"
    failed = "failed"  # given up: no address, or every attempt failed


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=16, create_constraint=True, name=name)


class Contact(Base):
    """How to reach a user outside the app, and the language their notices are written in."""

    __tablename__ = "notification_contacts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))


class OutboxMessage(Base):
    """One notice to one user on one channel, rendered in their language when written. It is
    written in the transaction of the change it tells about, so it exists only if that commits."""

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    address: Mapped[str | None] = mapped_column(String(200))  # email or phone; None in-app
    language: Mapped[str] = mapped_column(String(8))
    template: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), default=Status.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboxItem(Base):
    """An in-app notice in a user's bell; one per outbox row, so a retry cannot show it twice."""

    __tablename__ = "notification_inbox"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("notification_outbox.id"), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

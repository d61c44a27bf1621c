"""Organisations and the people who log in to them."""

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Identity, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.base import Base, IdType, UTCDateTime, utcnow


class Role(enum.StrEnum):
    admin = "admin"
    staff = "staff"
    finance = "finance"
    engineer = "engineer"
    tenant = "tenant"


class Org(Base):
    """A property company; every business row belongs to exactly one."""

    __tablename__ = "orgs"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")


class User(Base):
    """A login. Usernames are unique across all orgs, so login needs no org code."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, create_constraint=True, name="role")
    )
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

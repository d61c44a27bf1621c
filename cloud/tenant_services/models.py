"""Notices, service requests, surveys, fit-outs and move-outs, each row of one org."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Identity,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, Money, UTCDateTime, utcnow
from cloud.leasing.models import Tenant
from cloud.properties.models import Unit


class Audience(enum.StrEnum):
    all = "all"  # every tenant of the org
    site = "site"  # tenants leasing in a park or street
    building = "building"


class RequestKind(enum.StrEnum):
    cleaning = "cleaning"
    plants = "plants"
    parcel = "parcel"


class RequestState(enum.StrEnum):
    open = "open"
    accepted = "accepted"
    done = "done"
    cancelled = "cancelled"


class FitOutState(enum.StrEnum):
    submitted = "submitted"  # waits for property management's review
    engineering = "engineering"  # waits for engineering's review of the drawings
    approved = "approved"  # works may start once the deposit is recorded
    rejected = "rejected"
    completed = "completed"  # works done and accepted


class MoveOutState(enum.StrEnum):
    open = "open"
    settled = "settled"


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=16, create_constraint=True, name=name)


class Notice(Base):
    """A notice staff publish to every tenant, a park's or a building's."""

    __tablename__ = "tenant_notices"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    audience: Mapped[Audience] = mapped_column(_enum(Audience, "audience"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NoticeReceipt(Base):
    """A tenant user has read a notice."""

    __tablename__ = "tenant_notice_receipts"

    notice_id: Mapped[int] = mapped_column(ForeignKey("tenant_notices.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceRequest(Base):
    """A tenant asks for cleaning, plant care or for a parcel to be kept, coded `SR-2026-0001`."""

    __tablename__ = "service_requests"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[RequestKind] = mapped_column(_enum(RequestKind, "kind"))
    details: Mapped[str] = mapped_column(Text)
    wanted_on: Mapped[date | None]
    state: Mapped[RequestState] = mapped_column(_enum(RequestState, "state"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)


class Survey(Base):
    """A satisfaction survey: questions each answered with a score of 1 to 5."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list[str]] = mapped_column(JSON)
    open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyResponse(Base):
    """One tenant user's answers to a survey (once)."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("survey_id", "user_id"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    scores: Mapped[list[int]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FitOut(Base):
    """A tenant's fit-out (装修) application for a unit, coded `ZX-2026-0001`: reviewed by
    property management, then engineering; a deposit is recorded before works start."""

    __tablename__ = "fit_outs"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    contractor: Mapped[str] = mapped_column(String(200))
    planned_start: Mapped[date]
    planned_end: Mapped[date]
    state: Mapped[FitOutState] = mapped_column(_enum(FitOutState, "state"))
    deposit_amount: Mapped[Decimal | None] = mapped_column(Money)
    deposit_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)
    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)


class FitOutStep(Base):
    """A decision on a fit-out: who, at which step, approved or rejected, and why."""

    __tablename__ = "fit_out_steps"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    fit_out_id: Mapped[int] = mapped_column(ForeignKey("fit_outs.id"), index=True)
    step: Mapped[FitOutState] = mapped_column(_enum(FitOutState, "step"))
    approved: Mapped[bool]
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class FitOutDrawing(Base):
    """A drawing of a fit-out: a PDF or an image, kept with the application."""

    __tablename__ = "fit_out_drawings"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    fit_out_id: Mapped[int] = mapped_column(ForeignKey("fit_outs.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MoveOut(Base):
    """A tenant leaving a unit (撤场): the checklist walked, final meter readings, and the
    deposit settled (the amounts recorded here; the ledger entry is billing's)."""

    __tablename__ = "move_outs"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    planned_on: Mapped[date]
    checklist: Mapped[dict[str, bool]] = mapped_column(JSON)
    final_readings: Mapped[dict[str, str]] = mapped_column(JSON)  # meter code -> value
    state: Mapped[MoveOutState] = mapped_column(_enum(MoveOutState, "state"))
    deposit_held: Mapped[Decimal | None] = mapped_column(Money)
    deductions: Mapped[Decimal | None] = mapped_column(Money)
    refund: Mapped[Decimal | None] = mapped_column(Money)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)
    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)

"""A lead (线索/商机): a prospective tenant's company, contacts and wanted units, where it came
from, its follow-ups (visits, feedback, quotes, counter-offers), its dated stage history, a
letter of intent with its deposit (定金), and the draft contract it became.

Stages run visit → quote → negotiation → loi → signed; `lost` (with a reason) may end any
stage before signed. `reached` keeps the furthest stage of that way, so the funnel counts a
lead lost in negotiation as having reached negotiation.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Column,
    Enum,
    ForeignKey,
    Identity,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Area, Base, IdType, Money, UTCDateTime, utcnow
from cloud.properties.models import Unit


class LeadSource(enum.StrEnum):
    agent = "agent"  # 中介
    walk_in = "walk_in"  # 自然到访
    referral = "referral"  # 老客户推荐
    event = "event"  # 推介活动
    online = "online"  # 线上渠道


class Stage(enum.StrEnum):
    visit = "visit"  # 带看
    quote = "quote"  # 报价
    negotiation = "negotiation"  # 谈判
    loi = "loi"  # 意向书
    signed = "signed"  # 签约（已转合同）
    lost = "lost"  # 流失


WAY = (Stage.visit, Stage.quote, Stage.negotiation, Stage.loi, Stage.signed)
"""The stages a won lead passes, in order (`lost` is off the way)."""


class LostReason(enum.StrEnum):
    price = "price"
    location = "location"
    area = "area"  # no unit of the size wanted
    timing = "timing"
    competitor = "competitor"  # took another building
    no_response = "no_response"
    other = "other"


class FollowUpKind(enum.StrEnum):
    visit = "visit"  # 带看
    feedback = "feedback"  # 客户反馈
    quote = "quote"  # 我方报价
    counter_offer = "counter_offer"  # 客户还价


class DepositStatus(enum.StrEnum):
    """The letter of intent's deposit (定金): agreed, then paid, then applied to the contract,
    refunded or forfeited."""

    agreed = "agreed"
    received = "received"
    applied = "applied"
    refunded = "refunded"
    forfeited = "forfeited"


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=16, create_constraint=True, name=name)


lead_units = Table(
    "lead_units",
    Base.metadata,
    Column("lead_id", ForeignKey("leads.id"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True, index=True),
)


class Lead(Base):
    """A prospective tenant, coded like `XS-2026-0001` (unique per org)."""

    __tablename__ = "leads"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    company: Mapped[str] = mapped_column(String(200))
    source: Mapped[LeadSource] = mapped_column(_enum(LeadSource, "lead_source"))
    source_detail: Mapped[str] = mapped_column(String(200), default="")  # which agent, event…
    wanted_area_m2: Mapped[Decimal | None] = mapped_column(Area)
    note: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[Stage] = mapped_column(_enum(Stage, "lead_stage"), index=True)
    reached: Mapped[Stage] = mapped_column(_enum(Stage, "lead_reached"))
    lost_reason: Mapped[LostReason | None] = mapped_column(_enum(LostReason, "lost_reason"))
    lost_note: Mapped[str] = mapped_column(Text, default="")
    loi_signed_on: Mapped[date | None]
    deposit_amount: Mapped[Decimal | None] = mapped_column(Money)
    deposit_status: Mapped[DepositStatus | None] = mapped_column(
        _enum(DepositStatus, "deposit_status")
    )
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_on: Mapped[date] = mapped_column(index=True)  # org-local: what reports filter on
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    units: Mapped[list[Unit]] = relationship(
        secondary=lead_units, order_by=Unit.code, lazy="selectin"
    )
    contacts: Mapped[list["LeadContact"]] = relationship(
        order_by="LeadContact.id", lazy="selectin", cascade="all, delete-orphan"
    )
    follow_ups: Mapped[list["FollowUp"]] = relationship(
        order_by="(FollowUp.happened_on, FollowUp.id)", cascade="all, delete-orphan"
    )
    stage_changes: Mapped[list["StageChange"]] = relationship(
        order_by="StageChange.id", cascade="all, delete-orphan"
    )
    deposit_changes: Mapped[list["DepositChange"]] = relationship(
        order_by="DepositChange.id", cascade="all, delete-orphan"
    )


class LeadContact(Base):
    __tablename__ = "lead_contacts"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100), default="")  # 职务
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(200), default="")


class FollowUp(Base):
    """One contact with the lead. A quote or counter-offer carries the terms talked about; the
    last quote is what a won lead's draft contract starts from."""

    __tablename__ = "lead_follow_ups"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    kind: Mapped[FollowUpKind] = mapped_column(_enum(FollowUpKind, "follow_up_kind"))
    happened_on: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    rent_per_m2_month: Mapped[Decimal | None] = mapped_column(Money)
    property_fee_per_m2_month: Mapped[Decimal | None] = mapped_column(Money)
    lease_start: Mapped[date | None]
    term_months: Mapped[int | None]
    free_months: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class StageChange(Base):
    """The dated history of a lead's stage."""

    __tablename__ = "lead_stage_changes"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    from_stage: Mapped[Stage | None] = mapped_column(_enum(Stage, "from_stage"))
    to_stage: Mapped[Stage] = mapped_column(_enum(Stage, "to_stage"))
    changed_on: Mapped[date]
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")


class DepositChange(Base):
    """A step of the letter-of-intent deposit: the seam to the ledger, which is built elsewhere.

    Each change is one fact the ledger will post (received: cash in; refunded: cash out;
    applied: moved onto the contract; forfeited: income). `ledger_ref` stays empty until the
    ledger has posted it, so it can pick up exactly the changes it has not seen.
    """

    __tablename__ = "lead_deposit_changes"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    status: Mapped[DepositStatus] = mapped_column(_enum(DepositStatus, "deposit_status"))
    amount: Mapped[Decimal] = mapped_column(Money)
    changed_on: Mapped[date]
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ledger_ref: Mapped[str | None] = mapped_column(String(64))

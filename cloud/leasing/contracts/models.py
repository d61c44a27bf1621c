"""Contracts and their versions, approvals, stored charges, settlements and expiry alerts.

A version stores its terms as the validated JSON of `terms_schemas.ContractTerms` (the shape
`parkops lease schedule` reads); only what queries need is repeated in columns (dates, units,
status). How a signed contract maps to `Lease` rows is told in `tenancy.py`.
"""

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Identity,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, Money, Tariff, UTCDateTime, utcnow
from cloud.identity.models import Role, User
from cloud.leasing.models import Tenant
from cloud.properties.models import Unit

JSONType = JSON().with_variant(JSONB(), "postgresql")


class ContractStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"  # in approval
    approved = "approved"
    signed = "signed"
    active = "active"
    expired = "expired"
    terminated = "terminated"


class VersionStatus(enum.StrEnum):
    draft = "draft"  # the only state that may be edited
    submitted = "submitted"
    approved = "approved"
    signed = "signed"  # in force
    superseded = "superseded"  # was in force until a signed amendment replaced it


class Decision(enum.StrEnum):
    approved = "approved"
    rejected = "rejected"


class SettlementLineKind(enum.StrEnum):
    outstanding = "outstanding"  # a charge up to the last day not billed yet: owed
    credit = "credit"  # the part of a billed charge after the last day: given back
    penalty = "penalty"
    deposit = "deposit"  # a deposit held, offset against the balance


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=16, create_constraint=True, name=name)


class Contract(Base):
    """A lease contract coded like `HT-2026-0001` (unique per org) for one tenant.

    `start_date`/`end_date` are those of the version in force (before signing, of the draft);
    an early termination keeps them and sets `terminated_on`, the last day actually let.
    """

    __tablename__ = "contracts"
    __table_args__ = (
        UniqueConstraint("org_id", "code"),
        CheckConstraint("end_date >= start_date", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    status: Mapped[ContractStatus] = mapped_column(_enum(ContractStatus, "contract_status"))
    start_date: Mapped[date]
    end_date: Mapped[date] = mapped_column(index=True)
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terminated_on: Mapped[date | None]

    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)
    # Loaded on access (a lease's contract needs no versions); the contracts service asks for
    # them up front when it lists or reads contracts.
    versions: Mapped[list["ContractVersion"]] = relationship(
        back_populates="contract",
        order_by="ContractVersion.number",
        cascade="all, delete-orphan",
    )
    renewal_of: Mapped["Contract | None"] = relationship(remote_side=[id])


contract_version_units = Table(
    "contract_version_units",
    Base.metadata,
    Column("version_id", ForeignKey("contract_versions.id"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True, index=True),
)


class ContractVersion(Base):
    """One version of a contract's terms: number 1 is the original, each amendment adds one."""

    __tablename__ = "contract_versions"
    __table_args__ = (
        UniqueConstraint("contract_id", "number"),
        CheckConstraint("end_date >= lease_start", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(_enum(VersionStatus, "version_status"))
    terms: Mapped[dict[str, Any]] = mapped_column(JSONType)
    lease_start: Mapped[date]
    rent_start: Mapped[date]
    end_date: Mapped[date]
    electricity_tariff: Mapped[Decimal] = mapped_column(Tariff)  # CNY per kWh
    deposits: Mapped[list[dict[str, str]]] = mapped_column(JSONType)  # [{item, amount}]
    usage_restrictions: Mapped[str] = mapped_column(Text, default="")
    special_clauses: Mapped[str] = mapped_column(Text, default="")
    effective_from: Mapped[date | None]  # amendments: charges from this day on are regenerated
    note: Mapped[str] = mapped_column(Text, default="")
    approval_round: Mapped[int] = mapped_column(default=0)  # +1 at every submission
    approval_roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    contract: Mapped[Contract] = relationship(back_populates="versions")
    units: Mapped[list[Unit]] = relationship(
        secondary=contract_version_units, order_by=Unit.code, lazy="selectin"
    )
    approvals: Mapped[list["ContractApproval"]] = relationship(
        order_by="ContractApproval.id", lazy="selectin", cascade="all, delete-orphan"
    )


class ApprovalStep(Base):
    """An org's approval route: step 1, 2, … each taken by a user of `role` (or an admin)."""

    __tablename__ = "contract_approval_steps"
    __table_args__ = (UniqueConstraint("org_id", "step"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    step: Mapped[int]
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))


class ContractApproval(Base):
    """One decision on a submitted version: who, when, which step, approved or rejected why."""

    __tablename__ = "contract_approvals"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_versions.id"), index=True)
    approval_round: Mapped[int]
    step: Mapped[int]
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    decision: Mapped[Decision] = mapped_column(_enum(Decision, "decision"))
    reason: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class ContractCharge(Base):
    """A charge of a signed contract's schedule, as the version that produced it compiled it.

    `posted` means billed (by billing, or by a termination settlement): a posted charge is never
    changed or deleted again; amendments and terminations regenerate only unposted ones.
    """

    __tablename__ = "contract_charges"
    __table_args__ = (
        UniqueConstraint("contract_id", "item", "period_start"),
        CheckConstraint("period_end >= period_start", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_versions.id"), index=True)
    due_date: Mapped[date] = mapped_column(index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    item: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money)
    posted: Mapped[bool] = mapped_column(default=False)
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract_settlements.id"), index=True
    )

    version: Mapped[ContractVersion] = relationship(lazy="joined", innerjoin=True)


class Settlement(Base):
    """The statement of an early termination: its lines sum to `total` (> 0: the tenant pays)."""

    __tablename__ = "contract_settlements"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_versions.id"))
    last_day: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    total: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lines: Mapped[list["SettlementLine"]] = relationship(
        order_by="SettlementLine.position", lazy="selectin"
    )


class SettlementLine(Base):
    __tablename__ = "contract_settlement_lines"
    __table_args__ = (UniqueConstraint("settlement_id", "position"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("contract_settlements.id"))
    position: Mapped[int]
    kind: Mapped[SettlementLineKind] = mapped_column(_enum(SettlementLineKind, "line_kind"))
    item: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    amount: Mapped[Decimal] = mapped_column(Money)


class ExpiryAlert(Base):
    """A contract ends within `threshold_days` (90, 60 or 30): one row per contract, threshold
    and end date, so the job may run any number of times a day."""

    __tablename__ = "contract_expiry_alerts"
    __table_args__ = (UniqueConstraint("contract_id", "threshold_days", "end_date"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    threshold_days: Mapped[int]
    end_date: Mapped[date]
    raised_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    contract: Mapped[Contract] = relationship(lazy="joined", innerjoin=True)

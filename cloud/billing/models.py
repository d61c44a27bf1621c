"""The receivables ledger and what produces it: entries and allocations (immutable), bills,
billing runs and closed periods, tariffs, shared meters, late-fee policies and reminders.

A ledger entry is never updated or deleted. Receivable entries carry a signed `amount`: above
zero the tenant owes more (a charge, a late fee, a refund of prepaid money), below zero it owes
less (a payment, a write-off, a waiver, a deposit applied). An allocation ties part of a credit
to a debit; what is left of a debit is outstanding, what is left of a credit is prepaid. Deposit
entries sit in their own account (`deposit`): money held for the tenant, a liability, never
part of the receivable balance.
"""

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Identity,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, Money, Ratio, UTCDateTime, utcnow
from cloud.leasing.models import Tenant
from cloud.properties.models import Unit

JSONType = JSON().with_variant(JSONB(), "postgresql")
Rate = Numeric(10, 6)  # late fee per day, e.g. 0.000500 = 0.05 %


class Account(enum.StrEnum):
    receivable = "receivable"
    deposit = "deposit"


class EntryKind(enum.StrEnum):
    charge = "charge"  # debit: rent, fees, utilities, chargeable work
    late_fee = "late_fee"  # debit: 违约金, posted day by day by the late-fee job
    refund = "refund"  # debit: prepaid money paid back to the tenant
    payment = "payment"  # credit
    adjustment = "adjustment"  # either sign: a correction with a reason
    write_off = "write_off"  # credit: given up on, with who and why
    waiver = "waiver"  # credit: a late fee waived, with who and why
    deposit_applied = "deposit_applied"  # credit: the deposit deducted against charges
    deposit_received = "deposit_received"  # deposit account +
    deposit_deducted = "deposit_deducted"  # deposit account -, beside a deposit_applied credit
    deposit_refunded = "deposit_refunded"  # deposit account -


DEBITS = frozenset({EntryKind.charge, EntryKind.late_fee, EntryKind.refund})


class AllocationOrder(enum.StrEnum):
    oldest_first = "oldest_first"  # by due date, then entry
    item_priority = "item_priority"  # by the org's fee item order, then due date


class ReminderStage(enum.StrEnum):
    notice = "notice"  # 催缴通知
    letter = "letter"  # 催款函
    legal = "legal"  # 律师函


class BillingSettings(Base):
    """An org's billing choices; an org without a row gets the defaults."""

    __tablename__ = "billing_settings"

    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    allocation_order: Mapped[str] = mapped_column(String(16), default=AllocationOrder.oldest_first)
    item_priority: Mapped[list[str]] = mapped_column(JSONType, default=list)
    due_days: Mapped[int] = mapped_column(default=15)  # a metered bill is due this long after


class BillingRun(Base):
    """A posted billing run of an org (or one site) for a period; re-posting adds to it."""

    __tablename__ = "billing_runs"
    __table_args__ = (UniqueConstraint("org_id", "scope", "period_start"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    scope: Mapped[str] = mapped_column(String(64))  # "org" or a site code
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    posted_on: Mapped[date]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClosedPeriod(Base):
    """A month closed by finance: nothing more may be posted into it."""

    __tablename__ = "billing_closed_periods"
    __table_args__ = (UniqueConstraint("org_id", "period_start"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    period_start: Mapped[date]
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bill(Base):
    """What a tenant is asked to pay for a period: the charge entries that name it."""

    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("org_id", "code"),
        UniqueConstraint("run_id", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int] = mapped_column(ForeignKey("billing_runs.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    issued_on: Mapped[date]
    due_date: Mapped[date]

    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)


class LedgerEntry(Base):
    """One immutable dated money movement of a tenant (see the module docstring for signs)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("org_id", "source_key"),
        CheckConstraint("amount <> 0", name="not_zero"),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    account: Mapped[str] = mapped_column(String(16), default=Account.receivable)
    kind: Mapped[str] = mapped_column(String(16))
    entry_date: Mapped[date] = mapped_column(index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    item: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[date | None]
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), index=True)
    lease_id: Mapped[int | None] = mapped_column(ForeignKey("leases.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    related_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    # Idempotency: a payment's key, or where a posted line came from ("cc:12", "kwh:5:2026-03")
    source_key: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32), default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    memo: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # e.g. kWh and readings
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Allocation(Base):
    """Part of a credit entry settling part of a debit entry; immutable like the entries."""

    __tablename__ = "ledger_allocations"
    __table_args__ = (CheckConstraint("amount > 0", name="positive"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    debit_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    allocated_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BillReminder(Base):
    """A reminder stage reached by a bill, who sent it and when."""

    __tablename__ = "bill_reminders"
    __table_args__ = (UniqueConstraint("bill_id", "stage"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    sent_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LateFeePolicy(Base):
    """违约金 of one contract: after `grace_days` past due, `daily_rate` of the overdue principal
    a day (simple), at most `cap_rate` of the charge in all."""

    __tablename__ = "late_fee_policies"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), unique=True)
    grace_days: Mapped[int] = mapped_column(default=0)
    daily_rate: Mapped[Decimal] = mapped_column(Rate)
    cap_rate: Mapped[Decimal] = mapped_column(Ratio)


class ElectricityTariff(Base):
    """A tariff a billing meter is charged at, instead of its lease's flat price.

    `tiers`: [{"up_to": "1000" | null, "price": "1.10"}] by monthly kWh, the last open-ended.
    `bands`: [{"start": "08:00", "end": "11:00", "band": "peak"}] with `prices` per band
    ("peak", "flat", "valley"); hours in no band are flat.
    """

    __tablename__ = "electricity_tariffs"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # "tiered" or "tou"
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    bands: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    prices: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class MeterTariff(Base):
    __tablename__ = "meter_tariffs"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    tariff_id: Mapped[int] = mapped_column(ForeignKey("electricity_tariffs.id"), index=True)


class SharedMeter(Base):
    """公摊: a master meter whose energy (plus `loss_factor`) is split over member units by area,
    headcount or usage; the landlord absorbs the shares of units let to nobody."""

    __tablename__ = "shared_meters"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), unique=True)
    basis: Mapped[str] = mapped_column(String(16))  # area, headcount, usage
    loss_factor: Mapped[Decimal] = mapped_column(Ratio, default=Decimal(0))
    item: Mapped[str] = mapped_column(String(200), default="公摊电费")
    price: Mapped[Decimal] = mapped_column(Numeric(10, 4))

    members: Mapped[list["SharedMeterUnit"]] = relationship(lazy="selectin")


class SharedMeterUnit(Base):
    __tablename__ = "shared_meter_units"

    shared_meter_id: Mapped[int] = mapped_column(ForeignKey("shared_meters.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    headcount: Mapped[int] = mapped_column(default=0)

    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)

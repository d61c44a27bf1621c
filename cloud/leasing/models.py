"""Who rents what, from when to when, at what rent and electricity tariff."""

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Identity, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, Money, Tariff
from cloud.properties.models import Unit

if TYPE_CHECKING:
    from cloud.leasing.contracts.models import Contract


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))


class Lease(Base):
    """One unit let to one tenant over org-local dates (both ends included), at an electricity
    tariff: what billing and tenant visibility read.

    A signed contract (`cloud.leasing.contracts`) makes one lease per unit and keeps it in step
    with its amendments and termination (see `contracts/tenancy.py`); `contract_id` is empty for
    leases entered before contracts existed. The services never let two leases of one unit
    overlap in dates (`service.check_unit_free`).
    """

    __tablename__ = "leases"
    __table_args__ = (
        UniqueConstraint("org_id", "code"),
        CheckConstraint("end_date >= start_date", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    monthly_rent: Mapped[Decimal] = mapped_column(Money)
    electricity_tariff: Mapped[Decimal] = mapped_column(Tariff)  # CNY per kWh
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)

    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)
    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)
    contract: Mapped["Contract | None"] = relationship()

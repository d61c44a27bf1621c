"""What the leasing API shows."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field, model_validator

from cloud.leasing.models import Lease, Tenant
from protocols.codes import Code


class TenantCreate(BaseModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)


class TenantRead(BaseModel):
    code: str
    name: str

    @classmethod
    def of(cls, tenant: Tenant) -> "TenantRead":
        return cls(code=tenant.code, name=tenant.name)


class LeaseCreate(BaseModel):
    """A lease entered directly; a signed contract makes its own leases."""

    code: Code
    unit_code: Code
    tenant_code: Code
    start_date: date
    end_date: date
    monthly_rent: Decimal = Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False)
    electricity_tariff: Decimal = Field(
        ge=0, max_digits=10, decimal_places=4, allow_inf_nan=False, description="CNY per kWh"
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> "LeaseCreate":
        if self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        return self


class LeaseRead(BaseModel):
    code: str
    unit_code: str
    tenant_code: str
    tenant_name: str
    start_date: date
    end_date: date
    monthly_rent: Decimal = Field(description="CNY per month")
    electricity_tariff: Decimal = Field(description="CNY per kWh")
    contract_code: str | None = Field(description="the contract that made it, if any")

    @classmethod
    def of(cls, lease: Lease) -> "LeaseRead":
        return cls(
            code=lease.code,
            unit_code=lease.unit.code,
            tenant_code=lease.tenant.code,
            tenant_name=lease.tenant.name,
            start_date=lease.start_date,
            end_date=lease.end_date,
            monthly_rent=lease.monthly_rent,
            electricity_tariff=lease.electricity_tariff,
            contract_code=lease.contract.code if lease.contract else None,
        )

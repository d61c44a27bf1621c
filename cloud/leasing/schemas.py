"""What the leasing API shows."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from cloud.leasing.models import Lease


class LeaseRead(BaseModel):
    code: str
    unit_code: str
    tenant_code: str
    tenant_name: str
    start_date: date
    end_date: date
    monthly_rent: Decimal = Field(description="CNY per month")
    electricity_tariff: Decimal = Field(description="CNY per kWh")

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
        )

"""What the properties API shows."""

from decimal import Decimal

from pydantic import BaseModel, Field

from cloud.properties.models import Unit


class UnitRead(BaseModel):
    code: str
    site_code: str
    building_code: str
    floor: int
    rentable_area_m2: Decimal = Field(description="square metres")

    @classmethod
    def of(cls, unit: Unit) -> "UnitRead":
        return cls(
            code=unit.code,
            site_code=unit.building.site.code,
            building_code=unit.building.code,
            floor=unit.floor,
            rentable_area_m2=unit.rentable_area_m2,
        )

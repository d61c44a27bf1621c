"""What the properties API reads and writes. Areas are square metres, money CNY, both Decimal."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cloud.properties.models import (
    Building,
    FileKind,
    Floor,
    RentStatus,
    Site,
    SiteKind,
    Unit,
    UnitFile,
    UnitKind,
    UnitStatus,
)
from protocols.codes import Code

AreaM2 = Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2, description="m²")]
Metres = Annotated[Decimal, Field(gt=0, max_digits=8, decimal_places=2, description="metres")]
Level = Annotated[int, Field(ge=-20, le=300, description="storey; -1 is the first basement")]


class SiteBase(BaseModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: SiteKind = SiteKind.park
    address: str | None = Field(default=None, max_length=300)


class SiteCreate(SiteBase):
    pass


class SiteRead(SiteBase):
    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, site: Site) -> "SiteRead":
        return cls.model_validate(site)


class BuildingCreate(BaseModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)


class BuildingRead(BuildingCreate):
    site_code: str

    @classmethod
    def of(cls, building: Building) -> "BuildingRead":
        return cls(code=building.code, name=building.name, site_code=building.site.code)


class FloorCreate(BaseModel):
    level: Level
    name: str | None = Field(
        default=None, max_length=64, description='default "12F" for 12, "B1" for -1'
    )


class FloorRead(BaseModel):
    site_code: str
    building_code: str
    level: int
    name: str
    plan_file_id: int | None

    @classmethod
    def of(cls, floor: Floor) -> "FloorRead":
        return cls(
            site_code=floor.building.site.code,
            building_code=floor.building.code,
            level=floor.level,
            name=floor.name,
            plan_file_id=floor.plan_file_id,
        )


class ShopDetailsData(BaseModel):
    """A street shop's particulars; every one may be left out until known."""

    model_config = ConfigDict(from_attributes=True)

    street_address: str | None = Field(default=None, max_length=300)
    door_number: str | None = Field(default=None, max_length=64)
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, decimal_places=6)
    frontage_m: Metres | None = None
    floor_height_m: Metres | None = None
    water: bool = False
    power_kw: Decimal | None = Field(default=None, gt=0, max_digits=10, decimal_places=2)
    gas: bool = False
    exhaust: bool = False
    drainage: bool = False
    catering_allowed: bool = False
    loading_access: bool = False
    ownership_certificate: str | None = Field(default=None, max_length=100)


class UnitAreas(BaseModel):
    rentable_area_m2: AreaM2 = Field(description="计租面积, what rent is priced on")
    gross_area_m2: AreaM2 | None = Field(default=None, description="建筑面积")
    net_area_m2: AreaM2 | None = Field(default=None, description="套内面积")

    @model_validator(mode="after")
    def _net_within_gross(self) -> "UnitAreas":
        if self.gross_area_m2 and self.net_area_m2 and self.net_area_m2 > self.gross_area_m2:
            raise ValueError("net_area_m2 cannot exceed gross_area_m2")
        return self


class UnitPart(UnitAreas):
    """A unit a split or merge makes."""

    code: Code


class UnitCreate(UnitPart):
    site_code: Code
    building_code: Code
    floor: Level
    kind: UnitKind = UnitKind.office
    shop: ShopDetailsData | None = Field(default=None, description="for kind shop only")
    active_from: date | None = Field(
        default=None, description="first day it exists, vacant; default the org's today"
    )


class UnitUpdate(BaseModel):
    """Only the fields sent change; `shop: null` removes a shop's particulars."""

    rentable_area_m2: AreaM2 | None = None
    gross_area_m2: AreaM2 | None = None
    net_area_m2: AreaM2 | None = None
    shop: ShopDetailsData | None = None


class UnitRead(BaseModel):
    code: str
    site_code: str
    building_code: str
    floor: int
    floor_name: str
    kind: UnitKind
    rentable_area_m2: Decimal = Field(description="square metres")
    gross_area_m2: Decimal | None
    net_area_m2: Decimal | None
    retired_on: date | None = Field(description="first day it no longer exists (split, merge)")
    origin_codes: list[str] = Field(description="the units it was split or merged from")
    shop: ShopDetailsData | None

    @classmethod
    def of(cls, unit: Unit) -> "UnitRead":
        return cls(
            code=unit.code,
            site_code=unit.building.site.code,
            building_code=unit.building.code,
            floor=unit.floor.level,
            floor_name=unit.floor.name,
            kind=unit.kind,
            rentable_area_m2=unit.rentable_area_m2,
            gross_area_m2=unit.gross_area_m2,
            net_area_m2=unit.net_area_m2,
            retired_on=unit.retired_on,
            origin_codes=[origin.code for origin in unit.origins],
            shop=ShopDetailsData.model_validate(unit.shop) if unit.shop else None,
        )


class UnitSplit(BaseModel):
    on: date = Field(description="the first day the parts exist and the unit does not")
    parts: list[UnitPart] = Field(min_length=2, max_length=50)


class UnitMerge(BaseModel):
    unit_codes: list[Code] = Field(min_length=2, max_length=50)
    on: date = Field(description="the first day the merged unit exists and its origins do not")
    into: UnitPart
    floor: Level | None = Field(default=None, description="default: the lowest origin's floor")


class StatusChange(BaseModel):
    status: UnitStatus
    from_date: date


class RentStatusChange(BaseModel):
    status: RentStatus | None = Field(description="null: no rent status from from_date on")
    from_date: date


class StatusPeriodRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    status: UnitStatus
    from_date: date
    until_date: date | None = Field(description="first day it no longer holds; null: open")


class RentStatusPeriodRead(StatusPeriodRead):
    status: RentStatus  # type: ignore[assignment]


class StatusOnRead(BaseModel):
    unit_code: str
    on: date
    status: UnitStatus | None = Field(description="null: the unit did not exist that day")
    rent_status: RentStatus | None


class VacancyDaysRead(BaseModel):
    unit_code: str
    first: date
    last: date
    vacant_days: int = Field(description="days not let (vacant or reserved), both ends included")


class OccupancyRead(BaseModel):
    """Let units (leased to moving out) against all units existing on the day."""

    units: int
    let_units: int
    area_m2: Decimal
    let_area_m2: Decimal
    by_count: Decimal | None = Field(description="let units / units, 4 places; null: no units")
    by_area: Decimal | None = Field(description="let area / area, 4 places; null: no area")


class SiteOccupancyRead(OccupancyRead):
    site_code: str
    building_code: str | None
    on: date


class BoardCell(BaseModel):
    unit_code: str
    kind: UnitKind
    rentable_area_m2: Decimal
    status: UnitStatus
    rent_status: RentStatus | None
    lease_code: str | None = Field(description="in force on the day, else the next one signed")
    tenant_name: str | None
    lease_end: date | None
    rent_per_m2: Decimal | None = Field(description="monthly rent / rentable area, to the fen")


class BoardFloor(BaseModel):
    level: int
    name: str
    area_m2: Decimal
    cells: list[BoardCell]
    occupancy: OccupancyRead


class VacancyBoardRead(BaseModel):
    """房态图: a building's floors, top floor first, and their units in code order."""

    site_code: str
    building_code: str
    building_name: str
    on: date
    floors: list[BoardFloor]
    occupancy: OccupancyRead


class FileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime


class UnitFileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: FileKind
    caption: str | None
    file: FileRead

    @classmethod
    def of(cls, unit_file: UnitFile) -> "UnitFileRead":
        return cls.model_validate(unit_file)

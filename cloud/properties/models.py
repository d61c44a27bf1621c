"""Where things are: a site (park or street zone), its buildings and floors, the units (offices,
shops) that are let, their dated status histories, and the files (photos, floor plans) about them.

Dated histories are half-open: a period holds from `from_date` up to, not including,
`until_date` (NULL: still holds). A unit exists exactly while it has a status period; a split or
merge retires a unit (`retired_on`, the first day it no longer exists) and never deletes it.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from cloud.db.base import Area, Base, IdType, UTCDateTime, utcnow

Coordinate = Numeric(9, 6)  # degrees, about 0.1 m
Length = Numeric(8, 2)  # metres


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    return Enum(kind, native_enum=False, length=32, create_constraint=True, name=name)


class SiteKind(enum.StrEnum):
    park = "park"  # 园区
    street = "street"  # 沿街商铺街区


class UnitKind(enum.StrEnum):
    office = "office"
    shop = "shop"


class UnitStatus(enum.StrEnum):
    """Where a unit is in its letting cycle, in the order it usually passes through them."""

    vacant = "vacant"  # 空置
    reserved = "reserved"  # 预定
    leased = "leased"  # 已签约
    fitting_out = "fitting_out"  # 装修中
    awaiting_acceptance = "awaiting_acceptance"  # 待验收
    in_operation = "in_operation"  # 营业中
    moving_out = "moving_out"  # 退租中


LET_STATUSES = frozenset(UnitStatus) - {UnitStatus.vacant, UnitStatus.reserved}
"""Statuses under a signed lease; vacant and reserved units are not let (they count as vacant)."""


class RentStatus(enum.StrEnum):
    free_rent = "free_rent"  # 免租期
    billing = "billing"  # 计租中
    suspended = "suspended"  # 暂停计租


class FileKind(enum.StrEnum):
    photo = "photo"
    floor_plan = "floor_plan"


class Site(Base):
    """A park or a street zone of shops; its code is the `{site}` of the MQTT topics."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SiteKind] = mapped_column(_enum(SiteKind, "site_kind"), default=SiteKind.park)
    address: Mapped[str | None] = mapped_column(String(300))


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))

    site: Mapped[Site] = relationship(lazy="joined", innerjoin=True)


class StoredFile(Base):
    """An uploaded file; its bytes live in the file store under their SHA-256."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Floor(Base):
    """A storey of a building: level 12 is named "12F", level -1 "B1"."""

    __tablename__ = "floors"
    __table_args__ = (UniqueConstraint("building_id", "level"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    level: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    plan_file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"), index=True)

    building: Mapped[Building] = relationship(lazy="joined", innerjoin=True)


class Unit(Base):
    """An office or shop that is let, coded like `A-12-1201` (building-floor-room).

    `rentable_area_m2` (计租面积) is what rent is priced on; gross (建筑面积) and net (套内面积)
    are unknown until surveyed.
    """

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    floor_id: Mapped[int] = mapped_column(ForeignKey("floors.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind, "unit_kind"), default=UnitKind.office)
    rentable_area_m2: Mapped[Decimal] = mapped_column(Area)
    gross_area_m2: Mapped[Decimal | None] = mapped_column(Area)
    net_area_m2: Mapped[Decimal | None] = mapped_column(Area)
    retired_on: Mapped[date | None]

    building: Mapped[Building] = relationship(lazy="joined", innerjoin=True)
    floor: Mapped[Floor] = relationship(lazy="joined", innerjoin=True)
    # Loaded when asked for (leases and meters load units too, and never need these).
    shop: Mapped["ShopDetails | None"] = relationship()
    origins: Mapped[list["Unit"]] = relationship(
        secondary="unit_origins",
        primaryjoin="Unit.id == UnitOrigin.unit_id",
        secondaryjoin="Unit.id == UnitOrigin.origin_unit_id",
        order_by="Unit.code",
        viewonly=True,
    )


class ShopDetails(Base):
    """What a street shop's prospective tenant asks about, beyond its areas."""

    __tablename__ = "shop_details"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    street_address: Mapped[str | None] = mapped_column(String(300))
    door_number: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[Decimal | None] = mapped_column(Coordinate)
    longitude: Mapped[Decimal | None] = mapped_column(Coordinate)
    frontage_m: Mapped[Decimal | None] = mapped_column(Length)
    floor_height_m: Mapped[Decimal | None] = mapped_column(Length)
    water: Mapped[bool] = mapped_column(default=False)
    power_kw: Mapped[Decimal | None] = mapped_column(Area)
    gas: Mapped[bool] = mapped_column(default=False)
    exhaust: Mapped[bool] = mapped_column(default=False)
    drainage: Mapped[bool] = mapped_column(default=False)
    catering_allowed: Mapped[bool] = mapped_column(default=False)
    loading_access: Mapped[bool] = mapped_column(default=False)
    ownership_certificate: Mapped[str | None] = mapped_column(String(100))


class UnitOrigin(Base):
    """A unit made by a split or merge names the retired units it was made from."""

    __tablename__ = "unit_origins"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    origin_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)


class UnitFile(Base):
    """A photo or floor plan of a unit."""

    __tablename__ = "unit_files"

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    kind: Mapped[FileKind] = mapped_column(_enum(FileKind, "file_kind"))
    caption: Mapped[str | None] = mapped_column(String(200))

    file: Mapped[StoredFile] = relationship(lazy="joined", innerjoin=True)


class _Period:
    """One dated period of a unit's history; periods of a unit never overlap and leave no gap."""

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    from_date: Mapped[date]
    until_date: Mapped[date | None]

    @declared_attr.directive
    def __table_args__(cls) -> tuple[object, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (
            UniqueConstraint("unit_id", "from_date"),
            CheckConstraint("until_date > from_date", name="dates_in_order"),
            Index(
                f"uq_{name}_open",
                "unit_id",
                unique=True,
                sqlite_where=text("until_date IS NULL"),
                postgresql_where=text("until_date IS NULL"),
            ),
        )

    def covers(self, day: date) -> bool:
        return self.from_date <= day and (self.until_date is None or day < self.until_date)


class UnitStatusPeriod(_Period, Base):
    __tablename__ = "unit_statuses"

    status: Mapped[UnitStatus] = mapped_column(_enum(UnitStatus, "unit_status"))


class RentStatusPeriod(_Period, Base):
    __tablename__ = "unit_rent_statuses"

    status: Mapped[RentStatus] = mapped_column(_enum(RentStatus, "rent_status"))

"""Where things are: a site (park or street), its buildings, and their lettable units."""

from decimal import Decimal

from sqlalchemy import ForeignKey, Identity, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Area, Base, IdType


class Site(Base):
    """A park or a street of shops; its code is the `{site}` of the MQTT topics."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))

    site: Mapped[Site] = relationship(lazy="joined", innerjoin=True)


class Unit(Base):
    """An office or shop that is let, coded like `A-12-1201` (building-floor-room)."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    floor: Mapped[int]
    rentable_area_m2: Mapped[Decimal] = mapped_column(Area)

    building: Mapped[Building] = relationship(lazy="joined", innerjoin=True)

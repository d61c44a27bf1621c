"""Meters (devices of a site config) and the numeric time series they report."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Double, ForeignKey, Identity, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, Ratio, UTCDateTime
from cloud.properties.models import Unit


class Meter(Base):
    """A meter as the site config names it (`EM-A-1201`), on an edge agent, maybe in a unit."""

    __tablename__ = "meters"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("edge_agents.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    profile: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    ct_ratio: Mapped[Decimal] = mapped_column(Ratio, default=Decimal(1))
    billing: Mapped[bool] = mapped_column(default=False)

    unit: Mapped[Unit | None] = relationship(lazy="joined")


class Reading(Base):
    """One value of one metric of one device at one instant (device time)."""

    __tablename__ = "readings"

    device_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    value: Mapped[float] = mapped_column(Double)

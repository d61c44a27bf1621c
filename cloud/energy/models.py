"""Meters (devices of a site config) and the numeric time series they report."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Double, ForeignKey, Identity, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.db.base import Base, IdType, Ratio, Register, UTCDateTime, utcnow
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


class MeterExchange(Base):
    """The register of a meter broke its count at `at`: the meter was replaced (换表), or its
    register rolled over. `final_value` is what the old register last showed, `initial_value`
    what the new one started at; billing adds their difference to every rise that spans `at`,
    so energy is counted across the break without a manual correction."""

    __tablename__ = "meter_exchanges"
    __table_args__ = (UniqueConstraint("meter_id", "at"),)

    id: Mapped[int] = mapped_column(IdType, Identity(), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    final_value: Mapped[Decimal] = mapped_column(Register)
    initial_value: Mapped[Decimal] = mapped_column(Register)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def offset(self) -> Decimal:
        """What to add to the new register's values to continue the old one's count."""
        return self.final_value - self.initial_value


class Reading(Base):
    """One value of one metric of one device at one instant (device time).

    No foreign key to `meters`: checked row by row it halved ingest, and ingest already stores
    only readings of devices it found among the agent's meters (the rest become dead letters).
    On PostgreSQL the table is partitioned by month (`cloud.energy.partitions`)."""

    __tablename__ = "readings"

    device_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    value: Mapped[float] = mapped_column(Double)


class EnergyRollup(Base):
    """Energy a meter counted in one bucket (`15m`, `1h`, or `1d` in the org's time zone): the
    register's rise from the last reading before the bucket to the last one in it, in register
    units (before the CT ratio). A register that went down (meter replaced, or rolled over)
    counts its new value as the rise of that step, and `resets` says it happened."""

    __tablename__ = "energy_rollups"

    width: Mapped[str] = mapped_column(String(4), primary_key=True)
    device_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    """No foreign key: rows come only from readings (whose meters are checked at ingest), and
    checking each of a year's rollup rows would double the job's time."""
    bucket: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    kwh: Mapped[float] = mapped_column(Double)
    resets: Mapped[int] = mapped_column(Integer)
    readings: Mapped[int] = mapped_column(Integer)


class RollupBacklog(Base):
    """A meter and UTC day whose energy readings changed since the rollups were last brought
    up to date; ingest writes it (no foreign key, for the same reason as `readings`)."""

    __tablename__ = "energy_rollup_backlog"

    device_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)

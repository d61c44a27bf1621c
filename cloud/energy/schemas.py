"""What the energy API shows."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from cloud.energy.models import Meter


class MeterRead(BaseModel):
    code: str
    profile: str
    unit_code: str | None
    billing: bool
    ct_ratio: float

    @classmethod
    def of(cls, meter: Meter) -> "MeterRead":
        return cls(
            code=meter.code,
            profile=meter.profile,
            unit_code=meter.unit.code if meter.unit else None,
            billing=meter.billing,
            ct_ratio=float(meter.ct_ratio),
        )


class ReadingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    metric: str
    ts: AwareDatetime
    value: float


class MeterSnapshot(BaseModel):
    """The latest value of every metric of one meter; `last_ts` is the newest of them."""

    meter_code: str
    unit_code: str | None
    profile: str
    last_ts: datetime | None = Field(description="None when the meter has reported nothing yet")
    values: dict[str, float]


class ReadingCreate(BaseModel):
    """A reading taken outside ingest: read off the meter by hand, or imported history."""

    metric: str = Field(min_length=1, max_length=64, examples=["energy_import"])
    ts: AwareDatetime
    value: float = Field(allow_inf_nan=False)


class ExchangeKind(StrEnum):
    replaced = "replaced"
    """换表: a new meter (or register) in place of the old one."""
    rolled_over = "rolled_over"
    """The register passed its largest value and started again from zero."""


class ExchangeCreate(BaseModel):
    """Where a meter's register broke its count, as read off both registers on site."""

    at: AwareDatetime = Field(description="when the old register stopped counting")
    kind: ExchangeKind = ExchangeKind.replaced
    final_value: Decimal = Field(ge=0, max_digits=16, decimal_places=3, examples=["48213.7"])
    initial_value: Decimal = Field(ge=0, max_digits=16, decimal_places=3, examples=["0"])
    note: str = Field(default="", max_length=200)


class ExchangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: AwareDatetime
    kind: ExchangeKind
    final_value: Decimal
    initial_value: Decimal
    note: str


class SeriesPoint(BaseModel):
    bucket: AwareDatetime = Field(description="start of the bucket (UTC)")
    kwh: float = Field(description="energy in the bucket, CT ratio applied")
    resets: int = Field(description="steps down of a register in it (meter replaced, rollover)")
    readings: int


class EnergySeries(BaseModel):
    scope: str
    code: str
    width: str
    meters: list[str]
    points: list[SeriesPoint]


class MeterConsumption(BaseModel):
    meter_code: str
    opening_ts: AwareDatetime
    opening_register: float = Field(description="the register's last reading before the start")
    closing_ts: AwareDatetime
    closing_register: float = Field(description="the register's last reading before the end")
    ct_ratio: float
    kwh: float
    resets: int = Field(
        description="times the register went down (meter replaced, or rolled over): its new "
        "count is added instead of the fall"
    )
    partial: bool = Field(
        description="no reading before the start, or none yet after the end: the figure may grow"
    )


class PeriodConsumption(BaseModel):
    scope: str
    code: str
    start: AwareDatetime
    end: AwareDatetime
    kwh: float
    meters: list[MeterConsumption]

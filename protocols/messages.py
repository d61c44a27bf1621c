"""MQTT contract v1: the payloads edge agents and the cloud exchange (see DESIGN.md)."""

from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from protocols.codes import Code

SCHEMA_VERSION: Final = 1
MAX_RECORDS_PER_BATCH = 10_000
KEY_MAX: Final = 2**63 - 1
"""`boot` and `seq` are 64-bit signed integers (the cloud stores them as BIGINT)."""


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _RecordBase(_Message):
    agent: Code
    boot: int = Field(ge=1, le=KEY_MAX, description="boot epoch of the agent's outbox")
    seq: int = Field(ge=1, le=KEY_MAX, description="monotonic per agent and boot, starting at 1")
    device: Code
    ts: AwareDatetime = Field(description="device time of the reading or event")


class ReadingRecord(_RecordBase):
    """One poll of one device: metric name -> value in the profile's unit."""

    kind: Literal["reading"] = "reading"
    values: dict[str, float] = Field(min_length=1)
    flags: list[str] = Field(default_factory=list, description="sanity flags, e.g. 'rollover'")


class EventRecord(_RecordBase):
    """Something that happened at a device: a plate read, a door forced, a barrier opened."""

    kind: Literal["event"] = "event"
    event: str = Field(min_length=1, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict)


Record = Annotated[ReadingRecord | EventRecord, Field(discriminator="kind")]

PLATE_READ: Final = "plate_read"


class PlateReadData(_Message):
    """`data` of a `plate_read` event: one vehicle's plate at a camera, read by the agent from
    the camera's frames (`edge_ocr`) or pushed by an ANPR camera (`anpr_push`)."""

    plate: str = Field(max_length=16, description="no separators, e.g. 京A12345; '' if unread")
    valid: bool = Field(description="the plate follows a national format")
    colour: Literal["blue", "yellow", "green", "black", "white"] | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    source: Literal["edge_ocr", "anpr_push"]
    format: str | None = Field(default=None, description="standard, new_energy_small, ...")
    reads: int | None = Field(default=None, ge=1, description="frames that read a plate")
    agreeing: int | None = Field(default=None, ge=0, description="frames that read this one")
    event_id: str | None = Field(default=None, description="the ANPR camera's event id")
    camera_plate: str | None = Field(default=None, description="the camera's own read, if fixed")
    camera_time: str | None = Field(default=None, description="the camera's time, as it sent it")
    snapshot: str | None = Field(default=None, description="picture file kept at the edge")
    snapshot_jpeg: str | None = Field(default=None, description="the plate's JPEG, base64")

    def as_event_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class DataBatch(_Message):
    """`up/data`: a batch of records from one agent."""

    v: Literal[1] = SCHEMA_VERSION
    site: Code
    agent: Code
    records: list[Record] = Field(min_length=1, max_length=MAX_RECORDS_PER_BATCH)


class Ack(_Message):
    """`down/ack`: every record of `boot` with seq <= `seq` is committed in the cloud."""

    v: Literal[1] = SCHEMA_VERSION
    boot: int = Field(ge=1)
    seq: int = Field(ge=0)


class Status(_Message):
    """`up/status` (retained): the agent's birth, or its will when it goes offline."""

    v: Literal[1] = SCHEMA_VERSION
    site: Code
    agent: Code
    online: bool
    boot: int | None = Field(default=None, ge=1)
    versions: dict[str, str] = Field(default_factory=dict)
    config_hash: str | None = None
    ts: AwareDatetime | None = None


class Command(_Message):
    """`down/cmd`: something the cloud asks an agent to do before `expires_at`."""

    v: Literal[1] = SCHEMA_VERSION
    id: str = Field(min_length=1, max_length=64)
    action: str = Field(min_length=1, max_length=64, description="e.g. open_barrier, unlock_door")
    device: Code | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    expires_at: AwareDatetime


class CommandResult(_Message):
    """`up/cmd-result`: what became of a command."""

    v: Literal[1] = SCHEMA_VERSION
    id: str = Field(min_length=1, max_length=64)
    ok: bool
    detail: str = ""
    ts: datetime

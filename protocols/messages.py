"""MQTT contract v1: the payloads edge agents and the cloud exchange (see DESIGN.md)."""

from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from protocols.codes import Code

SCHEMA_VERSION: Final = 1
MAX_RECORDS_PER_BATCH = 10_000


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _RecordBase(_Message):
    agent: Code
    boot: int = Field(ge=1, description="boot epoch of the agent's outbox")
    seq: int = Field(ge=1, description="monotonic per agent and boot, starting at 1")
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

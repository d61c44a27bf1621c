"""What the device registry API reads and writes."""

from datetime import datetime

from pydantic import BaseModel, Field

from cloud.devices.service import AgentView, MeterView


class AgentRead(BaseModel):
    code: str
    site_code: str
    online: bool
    last_seen_at: datetime | None
    changed_at: datetime | None
    boot: int | None
    versions: dict[str, str]
    config_hash: str | None
    expected_config_hash: str | None
    drift: bool

    @classmethod
    def of(cls, view: AgentView) -> "AgentRead":
        agent, state = view.agent, view.state
        return cls(
            code=agent.code,
            site_code=view.site_code,
            online=agent.online,
            last_seen_at=agent.last_seen_at,
            changed_at=state.changed_at if state else None,
            boot=state.boot if state else None,
            versions=state.versions if state else {},
            config_hash=agent.config_hash,
            expected_config_hash=view.expected_config_hash,
            drift=view.drift,
        )


class ExpectedConfig(BaseModel):
    config_hash: str | None = Field(max_length=64, description="null: expect nothing")


class LastValue(BaseModel):
    metric: str
    ts: datetime
    value: float


class MeterRead(BaseModel):
    code: str
    agent_code: str
    profile: str
    unit_code: str | None
    last_values: list[LastValue]

    @classmethod
    def of(cls, view: MeterView) -> "MeterRead":
        meter = view.meter
        return cls(
            code=meter.code,
            agent_code=view.agent_code,
            profile=meter.profile,
            unit_code=meter.unit.code if meter.unit else None,
            last_values=[
                LastValue(metric=metric, ts=ts, value=value)
                for metric, (ts, value) in sorted(view.last_values.items())
            ],
        )

"""The site config an edge agent runs from (`firmware-configs/*.yaml`), validated here."""

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from protocols.codes import Code
from protocols.profiles import PROFILES


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MeterDevice(_Config):
    code: Code
    profile: str
    unit_id: int = Field(default=1, ge=1, le=247, description="Modbus unit (slave) id")
    poll_interval_s: float = Field(default=5.0, gt=0, le=86_400)
    billing: bool = Field(default=False, description="its energy register is used for bills")
    ct_ratio: float = Field(default=1.0, gt=0)

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, name: str) -> str:
        if name not in PROFILES:
            raise ValueError(f"unknown profile {name!r}; known: {', '.join(sorted(PROFILES))}")
        return name


class ModbusTcpBus(_Config):
    """Meters behind a Modbus TCP gateway (or a meter with its own Ethernet port)."""

    kind: Literal["modbus_tcp"] = "modbus_tcp"
    code: Code
    host: str
    port: int = Field(default=502, ge=1, le=65_535)
    timeout_s: float = Field(default=1.0, gt=0, le=30)
    devices: list[MeterDevice] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_unit_ids(self) -> "ModbusTcpBus":
        seen: set[int] = set()
        for device in self.devices:
            if device.unit_id in seen:
                raise ValueError(f"bus {self.code}: unit id {device.unit_id} is used twice")
            seen.add(device.unit_id)
        return self


Bus = Annotated[ModbusTcpBus, Field(discriminator="kind")]


class MqttLink(_Config):
    url: str = Field(default="mqtt://127.0.0.1:1883", pattern=r"^mqtts?://[^/:]+(:\d+)?/?$")
    protocol: Literal["3.1.1", "5"] = "5"
    username: str | None = None
    password: str | None = None
    keepalive_s: int = Field(default=30, ge=5, le=3600)


class OutboxSettings(_Config):
    path: str = "var/edge/outbox.sqlite3"
    batch_max_records: int = Field(default=500, ge=1, le=10_000)
    batch_interval_s: float = Field(default=1.0, gt=0, le=60)
    resend_after_s: float = Field(default=15.0, gt=0, le=3600)


class SiteConfig(_Config):
    version: Literal[1] = 1
    site: Code
    agent: Code
    name: str = ""
    buses: list[Bus] = Field(default_factory=list)
    mqtt: MqttLink = Field(default_factory=MqttLink)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)

    @model_validator(mode="after")
    def _unique_codes(self) -> "SiteConfig":
        seen: set[str] = set()
        for code in [b.code for b in self.buses] + [d.code for b in self.buses for d in b.devices]:
            if code in seen:
                raise ValueError(f"code {code!r} is used twice in this site")
            seen.add(code)
        return self

    def meters(self) -> list[tuple[ModbusTcpBus, MeterDevice]]:
        return [(bus, device) for bus in self.buses for device in bus.devices]

    def config_hash(self) -> str:
        """A short fingerprint the agent announces, so the cloud sees config drift.

        It goes out in a retained status every subscriber sees, so the broker credentials stay
        out of it: a hash of them would let anyone try passwords offline."""
        secrets = {"mqtt": {"username", "password"}}
        canonical = json.dumps(self.model_dump(mode="json", exclude=secrets), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

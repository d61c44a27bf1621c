"""What the access API reads and writes."""

from datetime import datetime, time

from pydantic import BaseModel, ConfigDict, Field

from cloud.access.models import CredentialKind
from protocols.codes import Code


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DoorCreate(BaseModel):
    site_code: Code
    code: Code
    name: str = Field(min_length=1, max_length=200)
    area: Code


class DoorRead(_Read):
    id: int
    code: str
    name: str
    area: str


class PersonCreate(BaseModel):
    site_code: Code
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    tenant_code: Code | None = None


class PersonRead(_Read):
    id: int
    name: str
    phone: str | None
    tenant_code: str | None
    active: bool


class CredentialCreate(BaseModel):
    """A card UID or BLE key id as `identifier`; a PIN or QR as `secret` (stored hashed only)."""

    kind: CredentialKind
    identifier: str | None = Field(default=None, min_length=1, max_length=64)
    secret: str | None = Field(default=None, min_length=4, max_length=128)
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class CredentialRead(_Read):
    id: int
    person_id: int
    kind: CredentialKind
    identifier: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    revoked: bool


class PermissionCreate(BaseModel):
    area: Code
    days: str = Field(default="1234567", pattern=r"^[1-7]{1,7}$", description="ISO weekdays")
    start: time | None = None
    end: time | None = None


class PermissionRead(PermissionCreate, _Read):
    id: int
    person_id: int


class VisitorCreate(BaseModel):
    """A visit a tenant books (staff name the tenant)."""

    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    plate: str | None = Field(default=None, max_length=16, description="a temporary plate pass")
    valid_from: datetime
    valid_until: datetime
    area: Code | None = Field(default=None, description="default: the site's lobby area")
    site_code: Code | None = Field(default=None, description="default: the org's only site")
    tenant_code: Code | None = Field(default=None, description="staff only")


class VisitorRead(_Read):
    id: int
    code: str
    name: str
    phone: str | None
    plate: str | None
    area: str
    tenant_code: str
    valid_from: datetime
    valid_until: datetime
    cancelled: bool


class VisitorPass(VisitorRead):
    """A new visit with its QR code: shown once, since only its hash is kept."""

    qr_text: str
    qr_svg: str


class DoorEventRead(_Read):
    id: int
    door: str
    event: str
    ts: datetime
    person: str | None
    credential_kind: str | None
    credential_ref: str | None
    reason: str | None
    work_order_id: int | None

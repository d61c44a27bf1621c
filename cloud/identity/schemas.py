"""What the identity API reads and writes."""

from pydantic import BaseModel, ConfigDict, Field

from cloud.identity.models import Role
from protocols.codes import Code


class ActorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    org_id: int
    role: Role
    tenant_id: int | None
    username: str
    display_name: str


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    actor: ActorRead


class UserBase(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    role: Role


class UserCreate(UserBase):
    password: str = Field(min_length=8, max_length=256)
    tenant_code: Code | None = Field(default=None, description="required for role tenant")


class UserRead(UserBase):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    tenant_id: int | None
    active: bool

"""What the notification API takes and returns."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cloud.notifications.models import Channel, Status


class ContactUpdate(BaseModel):
    language: str = Field(default="zh", pattern="^(zh|en)$")
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32)


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    language: str
    email: str | None
    phone: str | None


class InboxItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class Inbox(BaseModel):
    unread: int
    items: list[InboxItemRead]


class OutboxRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    channel: Channel
    address: str | None
    language: str
    template: str
    subject: str
    status: Status
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryReport(BaseModel):
    delivered: int
    retrying: int
    failed: int

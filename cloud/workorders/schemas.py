"""What the work-order API reads and writes."""

import enum
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from cloud.workorders.models import (
    Attachment,
    AttachmentKind,
    ChargeStatus,
    Clock,
    Escalation,
    EventKind,
    Labour,
    Material,
    Priority,
    Source,
    State,
    WorkOrder,
    WorkOrderCharge,
    WorkOrderEvent,
)
from protocols.codes import Code

Text200 = Field(min_length=1, max_length=200)


class Action(enum.StrEnum):
    """What people do to a work order; `assign` has its own request (it names an assignee)."""

    assign = "assign"
    accept = "accept"
    start = "start"
    hold = "hold"
    resume = "resume"
    finish = "finish"
    verify = "verify"  # verified and closed
    reopen = "reopen"


class WorkOrderCreate(BaseModel):
    """A repair request or job. Give a unit, a free-text location, or both.

    A tenant may name only a unit it leases; `building_code`, `tenant_code` and `chargeable`
    are for staff."""

    category_code: Code
    priority: Priority = Priority.normal
    title: str | None = Field(default=None, max_length=200, description="default: from the text")
    description: str = Field(default="", max_length=4000)
    unit_code: Code | None = None
    location: str | None = Field(default=None, max_length=200, description="e.g. 'A座 3F 走廊'")
    building_code: Code | None = Field(default=None, description="staff: where, without a unit")
    tenant_code: Code | None = Field(default=None, description="staff: whom it is for")
    chargeable: bool = False


class WorkOrderUpdate(BaseModel):
    """Staff triage: a changed category or priority moves the due instants."""

    category_code: Code | None = None
    priority: Priority | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    chargeable: bool | None = None


class TransitionCreate(BaseModel):
    action: Action
    note: str | None = Field(default=None, max_length=2000, description="required to hold, reopen")


class AssignRequest(BaseModel):
    assignee: str | None = Field(
        default=None, max_length=64, description="username; omit to take the top suggestion"
    )
    note: str | None = Field(default=None, max_length=2000)


class MaterialCreate(BaseModel):
    item: str = Text200
    quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=3)
    unit_price: Decimal = Field(ge=0, max_digits=14, decimal_places=2, description="CNY")


class LabourCreate(BaseModel):
    minutes: int = Field(gt=0, le=24 * 60)
    hourly_rate: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=14,
        decimal_places=2,
        description="CNY per hour; default: the category's labour rate",
    )


class RatingCreate(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


class CategoryRead(BaseModel):
    code: str
    name: str
    labour_rate: Decimal = Field(description="CNY per hour")


class EventRead(BaseModel):
    at: datetime
    kind: EventKind
    actor: str | None = Field(description="display name; null for the system")
    from_state: State | None
    to_state: State | None
    note: str | None

    @classmethod
    def of(cls, event: WorkOrderEvent) -> "EventRead":
        return cls(
            at=event.at,
            kind=event.kind,
            actor=event.actor.display_name if event.actor else None,
            from_state=event.from_state,
            to_state=event.to_state,
            note=event.note,
        )


class MaterialRead(BaseModel):
    id: int
    item: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal = Field(description="quantity x unit price, to the fen, half up")

    @classmethod
    def of(cls, material: Material) -> "MaterialRead":
        return cls(
            id=material.id,
            item=material.item,
            quantity=material.quantity,
            unit_price=material.unit_price,
            amount=material.amount,
        )


class LabourRead(BaseModel):
    id: int
    worker: str
    minutes: int
    hourly_rate: Decimal
    amount: Decimal = Field(description="minutes / 60 x hourly rate, to the fen, half up")

    @classmethod
    def of(cls, labour: Labour) -> "LabourRead":
        return cls(
            id=labour.id,
            worker=labour.worker.display_name,
            minutes=labour.minutes,
            hourly_rate=labour.hourly_rate,
            amount=labour.amount,
        )


class AttachmentRead(BaseModel):
    id: int
    kind: AttachmentKind
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime

    @classmethod
    def of(cls, attachment: Attachment) -> "AttachmentRead":
        return cls(
            id=attachment.id,
            kind=attachment.kind,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=attachment.size,
            uploaded_at=attachment.uploaded_at,
        )


class WorkOrderRead(BaseModel):
    code: str
    source: Source
    state: State
    priority: Priority
    category_code: str
    category_name: str
    title: str
    description: str
    tenant_code: str | None
    tenant_name: str | None
    unit_code: str | None
    building_code: str | None
    location: str | None
    alarm_key: str | None
    alarm_count: int = Field(description="how often the alarm came (0: not from an alarm)")
    assignee: str | None = Field(description="username")
    assignee_name: str | None
    reported_at: datetime
    response_due_at: datetime
    resolution_due_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    chargeable: bool
    rating: int | None
    rating_comment: str | None

    @classmethod
    def of(cls, order: WorkOrder) -> "WorkOrderRead":
        return cls(**_order_fields(order))


def _order_fields(order: WorkOrder) -> dict[str, object]:
    return {
        "code": order.code,
        "source": order.source,
        "state": order.state,
        "priority": order.priority,
        "category_code": order.category.code,
        "category_name": order.category.name,
        "title": order.title,
        "description": order.description,
        "tenant_code": order.tenant.code if order.tenant else None,
        "tenant_name": order.tenant.name if order.tenant else None,
        "unit_code": order.unit.code if order.unit else None,
        "building_code": order.building.code if order.building else None,
        "location": order.location,
        "alarm_key": order.alarm_key,
        "alarm_count": order.alarm_count,
        "assignee": order.assignee.username if order.assignee else None,
        "assignee_name": order.assignee.display_name if order.assignee else None,
        "reported_at": order.reported_at,
        "response_due_at": order.response_due_at,
        "resolution_due_at": order.resolution_due_at,
        "responded_at": order.responded_at,
        "resolved_at": order.resolved_at,
        "closed_at": order.closed_at,
        "chargeable": order.chargeable,
        "rating": order.rating,
        "rating_comment": order.rating_comment,
    }


class WorkOrderDetail(WorkOrderRead):
    events: list[EventRead]
    materials: list[MaterialRead]
    labour: list[LabourRead]
    attachments: list[AttachmentRead]
    materials_total: Decimal
    labour_total: Decimal
    total: Decimal = Field(description="materials and labour, CNY")

    @classmethod
    def of(cls, order: WorkOrder) -> "WorkOrderDetail":
        materials = sum((m.amount for m in order.materials), Decimal("0.00"))
        labour = sum((w.amount for w in order.labour), Decimal("0.00"))
        return cls(
            **_order_fields(order),
            events=[EventRead.of(e) for e in order.events],
            materials=[MaterialRead.of(m) for m in order.materials],
            labour=[LabourRead.of(w) for w in order.labour],
            attachments=[AttachmentRead.of(a) for a in order.attachments],
            materials_total=materials,
            labour_total=labour,
            total=materials + labour,
        )


class AssigneeSuggestion(BaseModel):
    """An engineer who could take the job, best first: skill, then building, then load."""

    username: str
    display_name: str
    has_skill: bool = Field(description="can do jobs of the order's category")
    covers_building: bool = Field(description="looks after the order's building")
    open_orders: int = Field(description="jobs assigned to them and not yet done")


class SlaFigures(BaseModel):
    """A category in a building over a period; percentages of the orders whose clock has
    decided (met, missed, or past due and still running), null when none has."""

    category_code: str
    category_name: str
    building_code: str | None
    orders: int
    response_on_time_pct: Decimal | None
    resolution_on_time_pct: Decimal | None
    escalations: int
    ratings: int
    mean_rating: Decimal | None


class EscalationRead(BaseModel):
    work_order_code: str
    title: str
    clock: Clock
    due_at: datetime
    escalated_at: datetime
    supervisor: str | None = Field(description="username")

    @classmethod
    def of(cls, escalation: Escalation) -> "EscalationRead":
        return cls(
            work_order_code=escalation.work_order.code,
            title=escalation.work_order.title,
            clock=escalation.clock,
            due_at=escalation.due_at,
            escalated_at=escalation.escalated_at,
            supervisor=escalation.supervisor.username if escalation.supervisor else None,
        )


class ChargeRead(BaseModel):
    work_order_code: str
    tenant_code: str
    description: str
    materials_amount: Decimal
    labour_amount: Decimal
    amount: Decimal
    currency: str
    status: ChargeStatus
    created_at: datetime

    @classmethod
    def of(cls, charge: WorkOrderCharge) -> "ChargeRead":
        return cls(
            work_order_code=charge.work_order.code,
            tenant_code=charge.tenant.code,
            description=charge.description,
            materials_amount=charge.materials_amount,
            labour_amount=charge.labour_amount,
            amount=charge.amount,
            currency=charge.currency,
            status=charge.status,
            created_at=charge.created_at,
        )

"""Handling a job on a phone: materials and time used, photos, and the tenant's signature."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Forbidden, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.workorders import attachments, charges, service
from cloud.workorders.models import Attachment, AttachmentKind, Labour, Material
from cloud.workorders.schemas import LabourCreate, MaterialCreate


def add_material(*, session: Session, actor: Actor, code: str, data: MaterialCreate) -> Material:
    """Material used on an open job, priced as recorded."""
    require_role(actor, *service.WORKERS)
    order = service.open_order(session=session, actor=actor, code=code)
    material = Material(
        org_id=order.org_id,
        work_order_id=order.id,
        item=data.item.strip(),
        quantity=data.quantity,
        unit_price=data.unit_price,
        amount=charges.material_amount(data.quantity, data.unit_price),
        recorded_by_id=actor.user_id,
    )
    session.add(material)
    session.flush()
    session.expire(order, ["materials"])
    return material


def add_labour(*, session: Session, actor: Actor, code: str, data: LabourCreate) -> Labour:
    """Time the actor spent on an open job, at the given or the category's hourly rate."""
    require_role(actor, *service.WORKERS)
    order = service.open_order(session=session, actor=actor, code=code)
    rate = data.hourly_rate if data.hourly_rate is not None else order.category.labour_rate
    labour = Labour(
        org_id=order.org_id,
        work_order_id=order.id,
        worker_id=actor.user_id,
        minutes=data.minutes,
        hourly_rate=rate,
        amount=charges.labour_amount(data.minutes, rate),
    )
    session.add(labour)
    session.flush()
    session.expire(order, ["labour"])
    return labour


def add_attachment(
    *, session: Session, actor: Actor, code: str, kind: AttachmentKind, upload: attachments.Upload
) -> Attachment:
    """A photo (the tenant on its own jobs, or whoever works it) or the tenant's signature
    (taken on the engineer's phone) on a job not yet closed."""
    require_role(actor, *service.REPORTERS)
    if actor.is_tenant and kind != AttachmentKind.photo:
        raise Forbidden("a tenant signs on the engineer's phone")
    order = service.open_order(session=session, actor=actor, code=code)
    return attachments.attach(session, actor, order, kind, upload)


def get_attachment(*, session: Session, actor: Actor, code: str, attachment_id: int) -> Attachment:
    """A photo or signature of a visible job."""
    order = service.get_order(session=session, actor=actor, code=code)
    attachment = session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.work_order_id == order.id
        )
    )
    if attachment is None:
        raise NotFound(f"work order {code} has no attachment {attachment_id}")
    return attachment

"""Photos and signatures of a work order: stored in the database, accepted only when their
bytes are a JPEG, PNG or WebP image (the same check as unit files, `cloud.properties.files`)."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from cloud.errors import Invalid
from cloud.identity.actor import Actor
from cloud.properties import files
from cloud.workorders.models import Attachment, AttachmentKind, WorkOrder

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: its name as given and its bytes."""

    filename: str
    data: bytes


def image_type(upload: Upload) -> str:
    """The content type of `upload` when its bytes are an image of at most 5 MiB; else Invalid.
    Inspections' photos go through the same check."""
    if len(upload.data) > MAX_ATTACHMENT_BYTES:
        raise Invalid(f"{upload.filename} is larger than 5 MiB", field="file")
    content_type = files.sniff(upload.data)
    if content_type not in files.IMAGE_TYPES:
        raise Invalid(f"{upload.filename} is not a JPEG, PNG or WebP image", field="file")
    return content_type


def attach(
    session: Session, actor: Actor, order: WorkOrder, kind: AttachmentKind, upload: Upload
) -> Attachment:
    """Store `upload` on `order` (the caller has checked the actor may)."""
    content_type = image_type(upload)
    attachment = Attachment(
        org_id=order.org_id,
        work_order_id=order.id,
        kind=kind,
        filename=(upload.filename or "image")[-200:],
        content_type=content_type,
        size=len(upload.data),
        data=upload.data,
        uploaded_by_id=actor.user_id,
    )
    session.add(attachment)
    session.flush()
    session.expire(order, ["attachments"])
    return attachment

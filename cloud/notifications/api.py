"""Notifications over REST: my inbox and contact settings; the org's outbox for staff."""

from fastapi import APIRouter

from cloud.deps import CurrentActor, SessionDep
from cloud.notifications import service
from cloud.notifications.models import Status
from cloud.notifications.schemas import ContactRead, ContactUpdate, Inbox, InboxItemRead, OutboxRead

router = APIRouter(tags=["notifications"])


@router.get("/me/inbox", response_model=Inbox)
def get_my_inbox(session: SessionDep, actor: CurrentActor) -> Inbox:
    items = service.inbox(session=session, actor=actor)
    unread = service.unread_count(session=session, actor=actor)
    return Inbox(unread=unread, items=[InboxItemRead.model_validate(i) for i in items])


@router.post("/me/inbox/{item_id}/read", response_model=int)
def read_inbox_item(item_id: int, session: SessionDep, actor: CurrentActor) -> int:
    return service.mark_read(session=session, actor=actor, item_id=item_id)


@router.post("/me/inbox/read", response_model=int)
def read_whole_inbox(session: SessionDep, actor: CurrentActor) -> int:
    return service.mark_read(session=session, actor=actor)


@router.get("/me/contact", response_model=ContactRead)
def get_my_contact(session: SessionDep, actor: CurrentActor) -> ContactRead:
    return ContactRead.model_validate(service.my_contact(session=session, actor=actor))


@router.put("/me/contact", response_model=ContactRead)
def put_my_contact(data: ContactUpdate, session: SessionDep, actor: CurrentActor) -> ContactRead:
    contact = service.update_my_contact(session=session, actor=actor, data=data)
    return ContactRead.model_validate(contact)


@router.get("/notifications/outbox", response_model=list[OutboxRead])
def list_notification_outbox(
    session: SessionDep, actor: CurrentActor, status: Status | None = None
) -> list[OutboxRead]:
    rows = service.list_outbox(session=session, actor=actor, status=status)
    return [OutboxRead.model_validate(row) for row in rows]

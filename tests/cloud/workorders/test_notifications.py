"""Work orders tell people: the engineer when assigned, the tenant when done, the supervisor
when an SLA is missed — through the outbox, in the same transaction."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.notifications.models import Channel, OutboxMessage
from cloud.workorders.jobs import escalate_overdue
from cloud.workorders.schemas import Action
from tests.cloud.workorders.conftest import SHANGHAI, Shop, local
from tests.cloud.workorders.helpers import drive, report


def _outbox(session: Session, template: str) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.template == template)
    return list(session.scalars(stmt.order_by(OutboxMessage.id)))


def test_assigning_tells_the_engineer(session: Session, shop: Shop) -> None:
    order = report(session, shop.actors["tenant"], at=local("2026-03-06 10:00"))
    assert _outbox(session, "workorder.assigned") == []
    drive(session, shop.actors["staff"], order, [Action.assign])
    rows = _outbox(session, "workorder.assigned")
    assert {row.user_id for row in rows} == {shop.actors["engineer"].user_id}
    assert {row.channel for row in rows} == {Channel.in_app, Channel.sms}
    assert order.code in rows[0].subject and "U-101" in rows[0].body


def test_done_tells_the_tenant(session: Session, shop: Shop) -> None:
    order = report(session, shop.actors["tenant"], at=local("2026-03-06 10:00"))
    drive(session, shop.actors["staff"], order, [Action.assign, Action.accept, Action.start])
    assert _outbox(session, "workorder.done") == []
    drive(session, shop.actors["staff"], order, [Action.finish])
    rows = _outbox(session, "workorder.done")
    assert {row.user_id for row in rows} == {shop.actors["tenant"].user_id}


def test_a_missed_sla_tells_the_supervisor(session: Session, shop: Shop) -> None:
    order = report(session, shop.actors["tenant"], at=local("2026-03-06 10:00"))
    escalate_overdue(session=session, now=order.response_due_at + timedelta(minutes=1))
    rows = _outbox(session, "workorder.escalated_response")
    assert rows and {row.user_id for row in rows} == {shop.actors["staff"].user_id}
    due = order.response_due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert due in rows[0].body and "响应" in rows[0].subject

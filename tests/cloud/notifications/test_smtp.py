"""Email notices over SMTP to a real SMTP server (aiosmtpd) started on loopback."""

from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.notifications import jobs, service
from cloud.notifications.models import Channel, Contact, Status
from cloud.notifications.providers import SmtpConfig, SmtpEmailProvider
from tests.cloud.factories import World
from tests.conftest import free_tcp_port


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_tcp_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def _email_to_engineer(session: Session, world: World, language: str) -> None:
    engineer = world.actors["engineer"]
    session.add(
        Contact(
            user_id=engineer.user_id,
            org_id=engineer.org_id,
            language=language,
            email="li.gong@example.com",
        )
    )
    service.notify(
        session=session,
        org_id=world.org.id,
        recipients=service.users(engineer.user_id),
        template="test.hello",
        params={"name": "李工"},
        channels=(Channel.email,),
    )


def test_an_email_notice_reaches_a_real_smtp_server(
    session: Session, world: World, smtp_server: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp_server
    _email_to_engineer(session, world, "zh")
    provider = SmtpEmailProvider(SmtpConfig(host="127.0.0.1", port=port, sender="ops@park.test"))
    report = jobs.deliver_due(session=session, providers={Channel.email: provider})
    assert report.delivered == 1
    [(sender, recipients, content)] = mailbox.messages
    assert (sender, recipients) == ("ops@park.test", ["li.gong@example.com"])
    mail = message_from_bytes(content)
    assert str(make_header(decode_header(mail["Subject"]))) == "你好 李工"
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes) and "测试通知" in body.decode("utf-8")


def test_an_unreachable_smtp_server_is_a_failed_attempt_with_its_reason(
    session: Session, world: World
) -> None:
    _email_to_engineer(session, world, "en")
    port = free_tcp_port()  # nothing listens there
    provider = SmtpEmailProvider(SmtpConfig(host="127.0.0.1", port=port, timeout_s=2))
    now = utcnow()
    report = jobs.deliver_due(session=session, providers={Channel.email: provider}, now=now)
    assert report.retrying == 1
    [row] = service.list_outbox(session=session, actor=world.actors["admin"])
    assert row.status == Status.pending and row.attempts == 1
    assert f"SMTP 127.0.0.1:{port}" in (row.last_error or "")
    assert row.subject == "Hello 李工"

"""The outbox: written in the caller's transaction, in the recipient's language, delivered once
(also with two deliverers on PostgreSQL), retried with back-off, failures kept with a reason."""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.base import utcnow
from cloud.db.engine import make_sessionmaker
from cloud.identity.models import Role
from cloud.notifications import jobs, service
from cloud.notifications.models import Channel, Contact, InboxItem, OutboxMessage, Status
from cloud.notifications.providers import DeliveryFailed
from tests.cloud.conftest import empty_tables
from tests.cloud.factories import World, make_world


class Recording:
    """A provider that remembers what it sent (and can fail, or take its time)."""

    def __init__(self, *, fail: bool = False, delay_s: float = 0.0) -> None:
        self.sent: list[int] = []
        self.fail = fail
        self.delay_s = delay_s
        self._lock = threading.Lock()

    def send(self, message: OutboxMessage) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.fail:
            raise DeliveryFailed("gateway said no")
        with self._lock:
            self.sent.append(message.id)


def _contact(session: Session, world: World, key: str, **fields: str) -> None:
    actor = world.actors[key]
    session.add(Contact(user_id=actor.user_id, org_id=actor.org_id, **fields))
    session.flush()


def test_a_notice_exists_only_if_the_change_commits(
    sessions: sessionmaker[Session], world: World
) -> None:
    engineer = world.actors["engineer"]
    with sessions() as session:
        service.notify(
            session=session,
            org_id=world.org.id,
            recipients=service.users(engineer.user_id),
            template="test.hello",
            params={"name": "x"},
        )
        session.rollback()
    with sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        service.notify(
            session=session,
            org_id=world.org.id,
            recipients=service.users(engineer.user_id),
            template="test.hello",
            params={"name": "x"},
        )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_texts_follow_the_recipients_language(session: Session, world: World) -> None:
    _contact(session, world, "engineer", language="en")
    rows = service.notify(
        session=session,
        org_id=world.org.id,
        recipients=service.users(world.actors["engineer"].user_id, world.actors["staff"].user_id),
        template="test.hello",
        params={"name": "Li"},
    )
    by_user = {row.user_id: row for row in rows}
    assert by_user[world.actors["engineer"].user_id].subject == "Hello Li"
    assert by_user[world.actors["engineer"].user_id].language == "en"
    assert by_user[world.actors["staff"].user_id].subject == "你好 Li"


def test_recipients_by_tenant_and_role_stay_in_the_org(session: Session, world: World) -> None:
    rows = service.notify(
        session=session,
        org_id=world.org.id,
        recipients=service.Recipients(
            tenant_id=world.tenants["TA"].id,
            roles=(Role.engineer,),
            user_ids=(world.actors["engineer"].user_id,),  # named twice: gets it once
        ),
        template="test.hello",
        params={"name": "x"},
    )
    assert sorted(row.user_id for row in rows) == sorted(
        [world.actors["tenant"].user_id, world.actors["engineer"].user_id]
    )
    outsider = session.scalar(select(OutboxMessage.id).where(OutboxMessage.org_id != world.org.id))
    assert outsider is None


def test_a_channel_without_an_address_fails_with_the_reason(session: Session, world: World) -> None:
    _contact(session, world, "engineer", email="eng@example.com")
    rows = service.notify(
        session=session,
        org_id=world.org.id,
        recipients=service.users(world.actors["engineer"].user_id),
        template="test.hello",
        params={"name": "x"},
        channels=(Channel.email, Channel.sms),
    )
    email, sms = sorted(rows, key=lambda row: row.channel)
    assert (email.status, email.address) == (Status.pending, "eng@example.com")
    assert sms.status == Status.failed
    assert "no sms address" in (sms.last_error or "")


def test_in_app_delivery_fills_the_bell_once(sessions: sessionmaker[Session], world: World) -> None:
    engineer = world.actors["engineer"]
    with sessions.begin() as session:
        service.notify(
            session=session,
            org_id=world.org.id,
            recipients=service.users(engineer.user_id),
            template="test.hello",
            params={"name": "x"},
        )
    assert jobs.deliver_all(sessions=sessions, providers={}).delivered == 1
    assert jobs.deliver_all(sessions=sessions, providers={}).delivered == 0
    with sessions.begin() as session:
        assert service.unread_count(session=session, actor=engineer) == 1
        [item] = service.inbox(session=session, actor=engineer)
        assert item.subject == "你好 x"
        assert service.mark_read(session=session, actor=engineer) == 1
        assert service.unread_count(session=session, actor=engineer) == 0


def test_failures_retry_with_back_off_then_give_up(session: Session, world: World) -> None:
    _contact(session, world, "engineer", phone="13800000000")
    [row] = service.notify(
        session=session,
        org_id=world.org.id,
        recipients=service.users(world.actors["engineer"].user_id),
        template="test.hello",
        params={"name": "x"},
        channels=(Channel.sms,),
    )
    broken, working = Recording(fail=True), Recording()
    now = utcnow()
    report = jobs.deliver_due(session=session, providers={Channel.sms: broken}, now=now)
    assert (report.retrying, row.attempts, row.status) == (1, 1, Status.pending)
    assert row.next_attempt_at == now + timedelta(minutes=1)
    assert "gateway said no" in (row.last_error or "")
    # not due yet: nobody tries
    jobs.deliver_due(session=session, providers={Channel.sms: working}, now=now)
    assert working.sent == [] and row.attempts == 1
    later = now + timedelta(minutes=1)
    jobs.deliver_due(session=session, providers={Channel.sms: broken}, now=later)
    assert row.next_attempt_at == later + timedelta(minutes=2)
    for _ in range(jobs.MAX_ATTEMPTS - 2):
        later = row.next_attempt_at
        jobs.deliver_due(session=session, providers={Channel.sms: broken}, now=later)
    assert (row.status, row.attempts) == (Status.failed, jobs.MAX_ATTEMPTS)
    jobs.deliver_due(session=session, providers={Channel.sms: working}, now=later + timedelta(1))
    assert working.sent == []


def test_a_retry_that_succeeds_is_delivered(session: Session, world: World) -> None:
    _contact(session, world, "engineer", phone="13800000000")
    [row] = service.notify(
        session=session,
        org_id=world.org.id,
        recipients=service.users(world.actors["engineer"].user_id),
        template="test.hello",
        params={"name": "x"},
        channels=(Channel.sms,),
    )
    now = utcnow()
    jobs.deliver_due(session=session, providers={Channel.sms: Recording(fail=True)}, now=now)
    working = Recording()
    jobs.deliver_due(session=session, providers={Channel.sms: working}, now=row.next_attempt_at)
    assert working.sent == [row.id]
    assert (row.status, row.attempts, row.last_error) == (Status.delivered, 2, None)


# --- two deliverers at once on PostgreSQL ------------------------------------------------


@pytest.fixture
def pg_sessions(
    migrated_postgresql: str, engine_for: Callable[[str], Engine]
) -> Iterator[sessionmaker[Session]]:
    engine = engine_for(migrated_postgresql)
    yield make_sessionmaker(engine)
    empty_tables(engine)


def test_two_deliverers_send_each_notice_once(pg_sessions: sessionmaker[Session]) -> None:
    with pg_sessions.begin() as session:
        world = make_world(session, org_code="acme")
        for key in ("engineer", "staff", "admin"):
            _contact(session, world, key, phone="13800000000", language="zh")
        for n in range(30):
            service.notify(
                session=session,
                org_id=world.org.id,
                recipients=service.role(Role.engineer, Role.staff, Role.admin),
                template="test.hello",
                params={"name": n},
                channels=(Channel.sms, Channel.in_app),
            )
    slow = Recording(delay_s=0.005)  # slow enough that the two runs overlap
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def deliverer() -> None:
        try:
            start.wait()
            jobs.deliver_all(sessions=pg_sessions, providers={Channel.sms: slow})
        except BaseException as error:  # noqa: B036 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(slow.sent) == 90
    assert set(Counter(slow.sent).values()) == {1}
    with pg_sessions() as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
        assert Counter(statuses) == {Status.delivered: 180}
        assert session.scalar(select(func.count()).select_from(InboxItem)) == 90

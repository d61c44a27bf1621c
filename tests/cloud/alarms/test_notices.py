"""Alarms tell the org's engineers and admins in-app (critical ones by SMS too), in the alarm's
own transaction, in each person's language, and nobody else."""

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.alarms import notify, service
from cloud.alarms.models import Alarm, AlarmRule
from cloud.notifications.models import Channel, Contact, OutboxMessage, Status
from tests.cloud.factories import World


def _outbox(session: Session, template: str | None = None) -> list[OutboxMessage]:
    session.expire_all()
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if template is not None:
        stmt = stmt.where(OutboxMessage.template == template)
    return list(session.scalars(stmt))


def _sent(rows: list[OutboxMessage]) -> set[tuple[int, str]]:
    return {(row.user_id, row.channel) for row in rows}


@pytest.fixture
def english_engineer(session: Session, world: World) -> int:
    engineer = world.actors["engineer"]
    session.add(
        Contact(user_id=engineer.user_id, org_id=world.org.id, language="en", phone="13800000000")
    )
    session.commit()
    return engineer.user_id


def test_a_critical_alarm_reaches_engineers_and_admins_in_app_and_by_sms(
    session: Session, world: World, rules: dict[str, AlarmRule], english_engineer: int
) -> None:
    rule = rules["outbox-full"]
    assert rule.severity == "critical"
    service.raise_alarm(session=session, rule=rule, subject="agent1", message="outbox 95 %")
    session.commit()
    rows = _outbox(session, "alarm.raised")
    admin = world.actors["admin"].user_id
    assert _sent(rows) == {
        (admin, Channel.in_app),
        (admin, Channel.sms),
        (english_engineer, Channel.in_app),
        (english_engineer, Channel.sms),
    }
    assert {row.org_id for row in rows} == {world.org.id}  # not org `other`'s engineers
    by_user = {(row.user_id, row.channel): row for row in rows}
    english = by_user[(english_engineer, Channel.sms)]
    assert (english.language, english.address, english.status) == (
        "en",
        "13800000000",
        Status.pending,
    )
    assert english.subject == "Alarm: outbox-full agent1" and "outbox 95 %" in english.body
    chinese = by_user[(admin, Channel.in_app)]
    assert chinese.language == "zh" and chinese.subject.startswith("告警")
    assert chinese.link == "/alarms"
    # the admin has no phone: the SMS is kept as failed, with the reason
    assert by_user[(admin, Channel.sms)].status == Status.failed


def test_a_major_alarm_is_in_app_only_and_its_clearing_is_told_too(
    session: Session, world: World, rules: dict[str, AlarmRule], english_engineer: int
) -> None:
    rule = rules["reverse-energy"]
    alarm = service.raise_alarm(session=session, rule=rule, subject="M-101", message="-2 kW")
    session.commit()
    raised = _outbox(session, "alarm.raised")
    admin = world.actors["admin"].user_id
    assert _sent(raised) == {(admin, Channel.in_app), (english_engineer, Channel.in_app)}

    service.clear(session=session, actor=world.actors["engineer"], alarm_id=alarm.id, note="ok")
    session.commit()
    cleared = _outbox(session, "alarm.cleared")
    assert _sent(cleared) == _sent(raised)
    english = next(row for row in cleared if row.user_id == english_engineer)
    assert english.subject == "Alarm cleared: reverse-energy M-101"


def test_the_notice_exists_only_if_the_alarm_commits(
    sessions: sessionmaker[Session], world: World, rules: dict[str, AlarmRule]
) -> None:
    rule_id = rules["outbox-full"].id
    engineer = world.actors["engineer"]
    with sessions() as session:
        rule = session.get(AlarmRule, rule_id)
        assert rule is not None
        # Ingest writes its batch before the rules run, so the transaction has begun; on SQLite
        # a SAVEPOINT as the first statement would otherwise run (and commit) on its own.
        session.add(Contact(user_id=engineer.user_id, org_id=world.org.id, language="en"))
        session.flush()
        service.raise_alarm(session=session, rule=rule, subject="agent1", message="full")
        assert _outbox(session, "alarm.raised")  # written, in the alarm's transaction
        session.rollback()
    with sessions() as session:
        assert session.scalars(select(Alarm)).all() == []
        assert _outbox(session) == []
        assert session.get(Contact, engineer.user_id) is None


@pytest.fixture
def broken_notifier() -> Iterator[None]:
    def broken(notice: notify.AlarmNotice) -> None:
        notice.session.add(OutboxMessage(org_id=notice.org_id))  # fails: NOT NULL columns
        notice.session.flush()

    remove = notify.add_notifier(broken)
    yield
    remove()


def test_a_broken_notifier_costs_neither_the_alarm_nor_the_other_notices(
    session: Session, world: World, rules: dict[str, AlarmRule], broken_notifier: None
) -> None:
    alarm = service.raise_alarm(
        session=session, rule=rules["outbox-full"], subject="agent1", message="full"
    )
    session.commit()
    assert session.get(Alarm, alarm.id) is not None
    assert len(_outbox(session, "alarm.raised")) == 4  # admin and engineer, in-app and SMS

"""The seam through which alarms reach people: other domains (SMS, WeCom, e-mail) add a
notifier; alarms call every notifier when an alarm is raised or cleared.

Notifiers run inside the transaction that raised the alarm, before it commits, and get its
session on the notice: they should queue a message (an outbox row, a task), not send it. Each
runs in a savepoint, so one that fails loses only its own rows, never the alarm."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlarmNotice:
    org_id: int
    alarm_id: int
    rule_code: str
    subject: str
    severity: str
    message: str
    change: Literal["raised", "cleared"]
    session: Session = field(compare=False, repr=False)
    """The alarm's transaction: what a notifier writes commits with the alarm or not at all."""


Notifier = Callable[[AlarmNotice], None]
_notifiers: list[Notifier] = []


def add_notifier(notifier: Notifier) -> Callable[[], None]:
    """Call `notifier` for every alarm raised or cleared from now on; returns its removal."""
    _notifiers.append(notifier)
    return lambda: _notifiers.remove(notifier)


def notify(notice: AlarmNotice) -> None:
    for notifier in list(_notifiers):
        try:
            with notice.session.begin_nested():
                notifier(notice)
        except Exception:  # a broken channel must not undo the alarm
            log.exception("alarm notifier %r failed", notifier)

"""The seam through which alarms reach people: other domains (SMS, WeCom, e-mail) add a
notifier; alarms call every notifier when an alarm is raised or cleared.

Notifiers run inside the transaction that raised the alarm, before it commits: they should
queue a message (an outbox row, a task), not send it, and never raise."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

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


Notifier = Callable[[AlarmNotice], None]
_notifiers: list[Notifier] = []


def add_notifier(notifier: Notifier) -> Callable[[], None]:
    """Call `notifier` for every alarm raised or cleared from now on; returns its removal."""
    _notifiers.append(notifier)
    return lambda: _notifiers.remove(notifier)


def notify(notice: AlarmNotice) -> None:
    for notifier in list(_notifiers):
        try:
            notifier(notice)
        except Exception:  # a broken channel must not undo the alarm
            log.exception("alarm notifier %r failed", notifier)

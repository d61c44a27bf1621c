"""The notifier that tells people of alarms: an in-app notice to the org's engineers and
admins when an alarm is raised or cleared, and an SMS as well for a critical one. Its outbox
rows are written in the alarm's transaction (see `notify`), so they exist iff the alarm does."""

from cloud.alarms.notify import AlarmNotice, add_notifier
from cloud.identity.models import Role
from cloud.notifications import service as notifications
from cloud.notifications.models import Channel

AUDIENCE = (Role.engineer, Role.admin)
LINK = "/alarms"
_installed: list[bool] = []


def tell_staff(notice: AlarmNotice) -> None:
    critical = notice.severity == "critical"
    notifications.notify(
        session=notice.session,
        org_id=notice.org_id,
        recipients=notifications.role(*AUDIENCE),
        template=f"alarm.{notice.change}",
        params={
            "rule": notice.rule_code,
            "subject": notice.subject,
            "severity": notice.severity,
            "message": notice.message,
        },
        channels=(Channel.in_app, Channel.sms) if critical else (Channel.in_app,),
        link=LINK,
    )


def install() -> None:
    """Register `tell_staff` with the alarms seam, once however often it is called."""
    if not _installed:
        add_notifier(tell_staff)
        _installed.append(True)

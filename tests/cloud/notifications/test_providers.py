"""Which providers the settings choose, and the demo's file provider."""

import json
from pathlib import Path

from sqlalchemy.orm import Session

from cloud.notifications import jobs, service
from cloud.notifications.models import Channel, Contact, Status
from cloud.notifications.providers import FileProvider, SmtpEmailProvider
from cloud.settings import Settings
from tests.cloud.factories import World


def test_email_goes_over_smtp_only_when_a_host_is_set(tmp_path: Path) -> None:
    plain = jobs.providers_from(Settings(notify_dir=tmp_path))
    assert isinstance(plain[Channel.email], FileProvider)
    assert isinstance(plain[Channel.sms], FileProvider)
    smtp = jobs.providers_from(Settings(notify_dir=tmp_path, smtp_host="mail.example"))
    assert isinstance(smtp[Channel.email], SmtpEmailProvider)


def test_the_file_provider_writes_one_json_line_per_notice(
    session: Session, world: World, tmp_path: Path
) -> None:
    engineer = world.actors["engineer"]
    session.add(
        Contact(user_id=engineer.user_id, org_id=engineer.org_id, language="en", phone="138")
    )
    [row] = service.notify(
        session=session,
        org_id=world.org.id,
        recipients=service.users(engineer.user_id),
        template="test.hello",
        params={"name": "Wang"},
        channels=(Channel.sms,),
    )
    providers = jobs.providers_from(Settings(notify_dir=tmp_path))
    jobs.deliver_due(session=session, providers=providers)
    assert row.status == Status.delivered
    [line] = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line) | {"id": 0} == {
        "id": 0,
        "channel": "sms",
        "to": "138",
        "subject": "Hello Wang",
        "body": "This is a test notice.",
    }

"""How a notice leaves: one small interface per channel, and the providers behind it — the
in-app inbox, SMTP email, and a file of JSON lines standing in for email or SMS in the demo."""

import json
import logging
import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from cloud.notifications.models import Channel, InboxItem, OutboxMessage

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """A provider could not deliver; `str()` is the reason kept on the outbox row."""


class Provider(Protocol):
    """Delivers one outbox row or raises (any exception counts as a failed attempt)."""

    def send(self, message: OutboxMessage) -> None: ...


class InAppProvider:
    """Puts the notice in the user's bell, in the delivering transaction itself, so it shows
    exactly when the row is marked delivered."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def send(self, message: OutboxMessage) -> None:
        self._session.add(
            InboxItem(
                org_id=message.org_id,
                user_id=message.user_id,
                outbox_id=message.id,
                subject=message.subject,
                body=message.body,
                link=message.link,
            )
        )


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "parkops@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0


class SmtpEmailProvider:
    """Email over SMTP, one connection per notice (notices are few; a pool is not worth it)."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    def send(self, message: OutboxMessage) -> None:
        if not message.address:
            raise DeliveryFailed("no email address")
        mail = EmailMessage()
        mail["From"] = self._config.sender
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        config = self._config
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout_s) as smtp:
                if config.starttls:
                    smtp.starttls()
                if config.username:
                    smtp.login(config.username, config.password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"SMTP {config.host}:{config.port}: {error}") from error


class FileProvider:
    """Appends each notice as a JSON line to `path` and logs it: email or SMS for the demo,
    where there is no mail server or SMS gateway to reach."""

    _lock = threading.Lock()  # deliverers in threads append whole lines

    def __init__(self, channel: Channel, path: Path) -> None:
        self._channel = channel
        self._path = path

    def send(self, message: OutboxMessage) -> None:
        if not message.address:
            raise DeliveryFailed(f"no {self._channel} address")
        line = json.dumps(
            {
                "id": message.id,
                "channel": str(self._channel),
                "to": message.address,
                "subject": message.subject,
                "body": message.body,
            },
            ensure_ascii=False,
        )
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self._path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
        log.info("%s to %s: %s", self._channel, message.address, message.subject)

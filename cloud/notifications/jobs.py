"""Delivering the outbox: claim due rows (skipping rows another deliverer holds), send each
through its channel's provider, record the outcome; failures retry with back-off."""

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.base import utcnow
from cloud.notifications.models import Channel, OutboxMessage, Status
from cloud.notifications.providers import (
    FileProvider,
    InAppProvider,
    Provider,
    SmtpConfig,
    SmtpEmailProvider,
)
from cloud.notifications.schemas import DeliveryReport
from cloud.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
BATCH = 100
DELIVER_EVERY_S = 5.0


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes after the `attempts`-th failure, at most an hour."""
    delay: timedelta = FIRST_RETRY * 2 ** (attempts - 1)
    return min(delay, LAST_RETRY)


def deliver_due(
    *,
    session: Session,
    providers: Mapping[Channel, Provider],
    now: datetime | None = None,
    limit: int = BATCH,
) -> DeliveryReport:
    """Deliver up to `limit` due rows. Each row is locked (`FOR UPDATE SKIP LOCKED` on
    PostgreSQL) until the caller commits, so two deliverers never send the same row; the
    in-app provider writes in this same transaction. Flushes, never commits."""
    now = now or utcnow()
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == Status.pending, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    everyone = {Channel.in_app: InAppProvider(session), **providers}
    counts = {Status.delivered: 0, Status.pending: 0, Status.failed: 0}
    for message in session.scalars(stmt).all():
        _attempt(message, everyone.get(message.channel), now)
        counts[message.status] += 1
    session.flush()
    return DeliveryReport(
        delivered=counts[Status.delivered],
        retrying=counts[Status.pending],
        failed=counts[Status.failed],
    )


def _attempt(message: OutboxMessage, provider: Provider | None, now: datetime) -> None:
    message.attempts += 1
    try:
        if provider is None:
            raise LookupError(f"no provider for {message.channel}")
        provider.send(message)
    except Exception as error:  # any provider error is a failed attempt, kept with its reason
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = Status.failed
            log.warning("notice %d given up after %d attempts", message.id, message.attempts)
        else:
            message.next_attempt_at = now + retry_delay(message.attempts)
        return
    message.status = Status.delivered
    message.delivered_at = now
    message.last_error = None


def deliver_all(
    *, sessions: sessionmaker[Session], providers: Mapping[Channel, Provider]
) -> DeliveryReport:
    """Deliver everything due now, a batch per transaction, until nothing is left."""
    total = DeliveryReport(delivered=0, retrying=0, failed=0)
    while True:
        with sessions.begin() as session:
            report = deliver_due(session=session, providers=providers)
        total = DeliveryReport(
            delivered=total.delivered + report.delivered,
            retrying=total.retrying + report.retrying,
            failed=total.failed + report.failed,
        )
        if report.delivered + report.retrying + report.failed < BATCH:
            return total


def providers_from(settings: Settings) -> dict[Channel, Provider]:
    """Email over SMTP when PARKOPS_SMTP_HOST is set, else to a file; SMS to a file (no SMS
    gateway is wired yet: a gateway is one more `Provider`)."""
    folder: Path = settings.notify_dir
    email: Provider = FileProvider(Channel.email, folder / "email.jsonl")
    if settings.smtp_host:
        email = SmtpEmailProvider(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_sender,
                username=settings.smtp_username,
                password=settings.smtp_password,
                starttls=settings.smtp_starttls,
            )
        )
    return {Channel.email: email, Channel.sms: FileProvider(Channel.sms, folder / "sms.jsonl")}


async def keep_delivering(
    *,
    sessions: sessionmaker[Session],
    providers: Mapping[Channel, Provider],
    stop: asyncio.Event,
    every_s: float = DELIVER_EVERY_S,
) -> None:
    """Run `deliver_all` every `every_s` seconds until `stop` is set (the demo's deliverer)."""
    while not stop.is_set():
        try:
            report = await asyncio.to_thread(deliver_all, sessions=sessions, providers=providers)
        except Exception:  # the loop goes on; the next run retries
            log.exception("notice delivery run failed")
        else:
            if report.delivered or report.failed:
                log.info("notices: %s", report)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)

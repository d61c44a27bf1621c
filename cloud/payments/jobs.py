"""Online orders whose notification never came: ask the provider, as a notification would."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.payments.models import OrderStatus, PaymentOrder
from cloud.payments.providers import ProviderError, provider_for
from cloud.payments.service import ProviderFactory, settle_from_provider

log = logging.getLogger(__name__)

QUIET_FOR = timedelta(minutes=5)
"""A pending order this old without news is asked about; younger ones still wait for it."""


def check_pending_orders(
    *,
    session: Session,
    now: datetime | None = None,
    provider: ProviderFactory = provider_for,
) -> list[PaymentOrder]:
    """Query the provider about every pending order older than QUIET_FOR (all orgs); the
    orders that were paid or closed. An unreachable provider is logged and tried next time.
    Flushes, never commits."""
    before = (now or utcnow()) - QUIET_FOR
    stmt = select(PaymentOrder).where(
        PaymentOrder.status == OrderStatus.pending, PaymentOrder.created_at < before
    )
    changed = []
    for order in session.scalars(stmt.order_by(PaymentOrder.id)).all():
        try:
            if settle_from_provider(session=session, order=order, provider=provider):
                changed.append(order)
        except ProviderError as error:
            log.warning("could not ask about order %s: %s", order.out_trade_no, error)
    return changed

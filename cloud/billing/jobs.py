"""The daily billing job: late fees up to each org's today, in every org with a policy.

Run it from cron or a systemd timer (`parkops billing daily`), as often as liked: a fee is
posted once per charge and day. Entries need someone who made them, so in each org the job acts
as its first active finance user (else admin), the people answerable for the ledger.
"""

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from cloud.billing import late_fees
from cloud.billing.models import LateFeePolicy
from cloud.identity.actor import Actor
from cloud.identity.models import Org, Role, User

log = logging.getLogger(__name__)


def ledger_keeper(session: Session, org_id: int) -> Actor | None:
    """The org's first active finance user, else its first active admin."""
    user = session.scalar(
        select(User)
        .where(User.org_id == org_id, User.active, User.role.in_([Role.finance, Role.admin]))
        .order_by(case((User.role == Role.finance, 0), else_=1), User.id)
        .limit(1)
    )
    return Actor.of(user) if user else None


def run_daily(*, session: Session, now: datetime | None = None) -> dict[str, int]:
    """Post late fees in every org with a policy; late fees added by org code. Flushes only."""
    now = now or datetime.now(UTC)
    added: dict[str, int] = {}
    with_policies = select(LateFeePolicy.org_id).distinct()
    for org in session.scalars(select(Org).where(Org.id.in_(with_policies)).order_by(Org.id)):
        actor = ledger_keeper(session, org.id)
        if actor is None:
            log.warning("org %s has late-fee policies but no finance or admin user", org.code)
            continue
        today = now.astimezone(ZoneInfo(org.timezone)).date()
        added[org.code] = late_fees.post_late_fees(session=session, actor=actor, on=today)
    return added

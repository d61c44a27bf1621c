"""Codes people see for tenant services: `SR-2026-0001`, numbered per org and year."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cloud.identity.models import Org


def next_code(
    session: Session,
    *,
    org_id: int,
    prefix: str,
    column: InstrumentedAttribute[str],
    org_column: InstrumentedAttribute[int],
    at: datetime,
) -> str:
    """The next code of `prefix` in the year of `at` (in the org's time zone)."""
    org = session.get(Org, org_id)
    assert org is not None
    head = f"{prefix}-{at.astimezone(ZoneInfo(org.timezone)).year}-"
    taken = session.scalar(
        select(func.count()).where(org_column == org_id, column.startswith(head))
    )
    return f"{head}{(taken or 0) + 1:04d}"

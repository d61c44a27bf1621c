"""Alarm fixtures: the default rules and work-order categories in both orgs of the world."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.alarms.models import AlarmRule
from cloud.alarms.rules import install_default_rules
from cloud.identity.models import Org
from cloud.workorders.models import Category, SlaTarget
from cloud.workorders.seed import CATEGORIES, TARGETS
from tests.cloud.factories import World


def _categories(session: Session, org_id: int) -> None:
    """The demo's work-order categories (the door rule opens its jobs in ACCESS)."""
    for code, name, rate in CATEGORIES:
        category = Category(org_id=org_id, code=code, name=name, labour_rate=rate)
        session.add(category)
        session.flush()
        session.add_all(
            SlaTarget(
                org_id=org_id,
                category_id=category.id,
                priority=priority,
                response_minutes=response,
                resolution_minutes=resolution,
            )
            for priority, (response, resolution) in TARGETS.items()
        )
    session.flush()


@pytest.fixture
def rules(session: Session, world: World) -> dict[str, AlarmRule]:
    """acme's default rules by code (org `other` has its own)."""
    for org in session.scalars(select(Org)):
        _categories(session, org.id)
        install_default_rules(session=session, org_id=org.id)
    session.commit()
    found = session.scalars(select(AlarmRule).where(AlarmRule.org_id == world.org.id))
    return {rule.code: rule for rule in found}


def minutes_ago(n: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=n)

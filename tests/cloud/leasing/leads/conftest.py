"""Leads to act on: org `acme` with free units U-201..U-203, business today 2026-03-02."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from cloud.identity import service as identity_service
from cloud.leasing.leads import service
from cloud.leasing.leads.models import Lead
from cloud.leasing.leads.schemas import FollowUpCreate, LeadCreate
from tests.cloud.factories import World
from tests.cloud.leasing.contracts.conftest import add_free_units

TODAY = date(2026, 3, 2)


@pytest.fixture
def acme(session: Session, world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(identity_service, "org_today", lambda **_: TODAY)
    add_free_units(session, world)
    session.commit()
    return world


def new_lead(session: Session, world: World, **overrides: Any) -> Lead:
    data: dict[str, Any] = {
        "company": "星河科技有限公司",
        "source": "agent",
        "source_detail": "链家 王经理",
        "unit_codes": ["U-201"],
        "contacts": [{"name": "李雷", "title": "行政总监", "phone": "13800000000"}],
    }
    return service.create_lead(
        session=session,
        actor=world.actors["staff"],
        data=LeadCreate.model_validate(data | overrides),
    )


def quote(**overrides: Any) -> FollowUpCreate:
    data: dict[str, Any] = {
        "kind": "quote",
        "rent_per_m2_month": "100",
        "property_fee_per_m2_month": "10",
        "lease_start": "2026-04-01",
        "term_months": 24,
        "free_months": 2,
    }
    return FollowUpCreate.model_validate(data | overrides)

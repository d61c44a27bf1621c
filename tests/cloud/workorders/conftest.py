"""Work-order fixtures: categories with SLA targets and engineers in both orgs of the world."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.identity.models import Org, Role, User
from cloud.properties.models import Building
from cloud.workorders.models import (
    Category,
    EngineerBuilding,
    EngineerSkill,
    Priority,
    SlaTarget,
)
from tests.cloud.factories import PASSWORD, World

SHANGHAI = ZoneInfo("Asia/Shanghai")
# (code, name, labour rate per hour), and per priority: response and resolution business minutes
CATEGORIES = (
    ("ELEC", "电气 Electrical", Decimal("90.00")),
    ("PLUMB", "给排水 Plumbing", Decimal("80.00")),
)
TARGETS = {
    Priority.urgent: (15, 120),
    Priority.high: (30, 240),
    Priority.normal: (60, 480),
    Priority.low: (240, 1620),
}


def local(text: str) -> datetime:
    """An instant written as Shanghai wall-clock time: `2026-03-06 17:00`."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@dataclass
class Shop:
    """The world's org `acme` set up for work orders, and `other` with the same codes."""

    world: World
    actors: dict[str, Actor]
    """The world's actors plus `staff`, `eng2` (plumber in building A), `eng3` (electrician
    without a building), and `other_admin`, `other_engineer`, `other_tenant` of org `other`."""
    categories: dict[str, Category]


def _user(session: Session, org_id: int, username: str, role: Role) -> User:
    user = User(
        org_id=org_id,
        username=username,
        display_name=username.title(),
        role=role,
        password_hash=identity_service.hash_password(PASSWORD),
    )
    session.add(user)
    session.flush()
    return user


def set_up_org(
    session: Session, org_id: int, supervisor: User | None = None
) -> dict[str, Category]:
    categories = {}
    for code, name, rate in CATEGORIES:
        category = Category(
            org_id=org_id,
            code=code,
            name=name,
            labour_rate=rate,
            supervisor_id=supervisor.id if supervisor else None,
        )
        session.add(category)
        session.flush()
        for priority, (response, resolution) in TARGETS.items():
            session.add(
                SlaTarget(
                    org_id=org_id,
                    category_id=category.id,
                    priority=priority,
                    response_minutes=response,
                    resolution_minutes=resolution,
                )
            )
        categories[code] = category
    session.flush()
    return categories


@pytest.fixture
def shop(session: Session, world: World) -> Shop:
    org_id = world.org.id
    staff = session.get(User, world.actors["staff"].user_id)
    assert staff is not None
    categories = set_up_org(session, org_id, supervisor=staff)
    building = session.scalar(select(Building).where(Building.org_id == org_id))
    assert building is not None
    engineer = session.get(User, world.actors["engineer"].user_id)
    eng2 = _user(session, org_id, "acme-eng2", Role.engineer)
    eng3 = _user(session, org_id, "acme-eng3", Role.engineer)
    assert engineer is not None
    for user, skills, in_building in (
        (engineer, ("ELEC",), True),
        (eng2, ("PLUMB",), True),
        (eng3, ("ELEC",), False),
    ):
        for code in skills:
            session.add(
                EngineerSkill(user_id=user.id, category_id=categories[code].id, org_id=org_id)
            )
        if in_building:
            session.add(EngineerBuilding(user_id=user.id, building_id=building.id, org_id=org_id))
    other = session.scalar(select(Org).where(Org.code == "other"))
    assert other is not None
    set_up_org(session, other.id)
    session.commit()
    actors = dict(world.actors) | {
        "staff": Actor.of(staff),
        "eng2": Actor.of(eng2),
        "eng3": Actor.of(eng3),
    }
    for key in ("admin", "engineer", "tenant"):
        outsider = session.scalar(select(User).where(User.username == f"other-{key}"))
        assert outsider is not None
        actors[f"other_{key}"] = Actor.of(outsider)
    return Shop(world=world, actors=actors, categories=categories)

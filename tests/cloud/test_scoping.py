"""Every query is scoped by org: an actor of an org with nothing sees nothing of the others."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from cloud.billing import service as billing_service
from cloud.energy import service as energy_service
from cloud.errors import NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.identity.models import Org, Role, User
from cloud.leasing import service as leasing_service
from cloud.properties import service as properties_service
from tests.cloud.factories import World, add_readings


@pytest.fixture
def stranger(session: Session, world: World) -> Actor:
    org = Org(code="empty", name="Empty", timezone="Asia/Shanghai")
    session.add(org)
    session.flush()
    user = User(
        org_id=org.id,
        username="stranger",
        display_name="Stranger",
        role=Role.admin,
        password_hash=identity_service.hash_password("whatever1"),
    )
    session.add(user)
    session.flush()
    add_readings(session, world.meters["M-101"], [(datetime(2026, 3, 1, tzinfo=UTC), 1.0)])
    return Actor.of(user)


def test_an_actor_of_another_org_sees_nothing(session: Session, stranger: Actor) -> None:
    assert leasing_service.list_leases(session=session, actor=stranger) == []
    assert leasing_service.list_tenants(session=session, actor=stranger) == []
    assert properties_service.list_units(session=session, actor=stranger) == []
    assert energy_service.list_meters(session=session, actor=stranger) == []
    assert energy_service.latest_readings(session=session, actor=stranger) == []
    today = date(2026, 3, 20)
    assert (
        billing_service.current_electricity_charges(session=session, actor=stranger, today=today)
        == []
    )
    with pytest.raises(NotFound):
        leasing_service.get_lease(session=session, actor=stranger, code="HT-2026-0001")
    with pytest.raises(NotFound):
        billing_service.electricity_charge(
            session=session,
            actor=stranger,
            lease_code="HT-2026-0001",
            period_start=date(2026, 3, 1),
            period_end=today,
        )


def test_same_codes_in_two_orgs_stay_apart(session: Session, world: World) -> None:
    lease = leasing_service.get_lease(
        session=session, actor=world.actors["admin"], code="HT-2026-0001"
    )
    assert lease.org_id == world.org.id
    meters = energy_service.list_meters(session=session, actor=world.actors["admin"])
    assert {m.org_id for m in meters} == {world.org.id}

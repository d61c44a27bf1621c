import pytest
from sqlalchemy.orm import Session

from cloud.errors import NotFound
from cloud.leasing import service
from cloud.leasing.models import Lease
from tests.cloud.factories import World


def codes(leases: list[Lease]) -> list[str]:
    return [lease.code for lease in leases]


def test_staff_see_every_lease_of_their_org_only(session: Session, world: World) -> None:
    leases = service.list_leases(session=session, actor=world.actors["finance"])
    assert codes(leases) == ["HT-2026-0001", "HT-2026-0002", "HT-2026-0003"]
    assert {lease.org_id for lease in leases} == {world.org.id}


def test_a_tenant_sees_only_its_own_leases(session: Session, world: World) -> None:
    assert codes(service.list_leases(session=session, actor=world.actors["tenant"])) == [
        "HT-2026-0001",
        "HT-2026-0003",
    ]
    assert codes(service.list_leases(session=session, actor=world.actors["tenant_b"])) == [
        "HT-2026-0002"
    ]


def test_another_tenants_lease_is_not_found(session: Session, world: World) -> None:
    with pytest.raises(NotFound, match="HT-2026-0002"):
        service.get_lease(session=session, actor=world.actors["tenant"], code="HT-2026-0002")

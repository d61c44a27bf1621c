from sqlalchemy.orm import Session

from cloud.properties import service
from tests.cloud.factories import World


def test_units_are_scoped_to_org_and_tenant(session: Session, world: World) -> None:
    staff = service.list_units(session=session, actor=world.actors["engineer"])
    assert [u.code for u in staff] == ["U-101", "U-102", "U-103"]
    assert {u.org_id for u in staff} == {world.org.id}
    tenant = service.list_units(session=session, actor=world.actors["tenant"])
    assert [u.code for u in tenant] == ["U-101", "U-103"]

import pytest
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, Invalid, Unauthenticated
from cloud.identity import service
from cloud.identity.models import Role
from cloud.identity.schemas import UserCreate
from tests.cloud.factories import PASSWORD, World

SECRET = "test-secret-0123456789"


def test_right_password_gives_the_actor(session: Session, world: World) -> None:
    actor = service.authenticate(session=session, username="acme-tenant", password=PASSWORD)
    assert actor == world.actors["tenant"]
    assert actor.role == Role.tenant and actor.tenant_id == world.tenants["TA"].id


@pytest.mark.parametrize("username", ["acme-admin", "nobody"])
def test_wrong_password_and_unknown_user_say_the_same(
    session: Session, world: World, username: str
) -> None:
    with pytest.raises(Unauthenticated, match="^invalid username or password$"):
        service.authenticate(session=session, username=username, password="wrong")


def test_inactive_user_cannot_log_in(session: Session, world: World) -> None:
    from cloud.identity.models import User

    user = session.get(User, world.actors["finance"].user_id)
    assert user is not None
    user.active = False
    session.flush()
    with pytest.raises(Unauthenticated):
        service.authenticate(session=session, username="acme-finance", password=PASSWORD)


def test_token_round_trip(session: Session, world: World) -> None:
    token = service.issue_token(secret=SECRET, actor=world.actors["admin"])
    again = service.actor_from_token(session=session, secret=SECRET, token=token, max_age_s=60)
    assert again == world.actors["admin"]


def test_token_signed_with_another_secret_or_tampered_is_refused(
    session: Session, world: World
) -> None:
    token = service.issue_token(secret=SECRET, actor=world.actors["admin"])
    # Change the signed payload itself: the signature's last base64 character can carry
    # padding bits, so changing it does not always change the signature.
    tampered = ("B" if token[0] != "B" else "C") + token[1:]
    for secret, bad in ((SECRET + "x", token), (SECRET, tampered)):
        with pytest.raises(Unauthenticated, match="invalid token"):
            service.actor_from_token(session=session, secret=secret, token=bad, max_age_s=60)


def test_expired_token_is_refused(session: Session, world: World) -> None:
    token = service.issue_token(secret=SECRET, actor=world.actors["admin"])
    with pytest.raises(Unauthenticated, match="expired"):
        service.actor_from_token(session=session, secret=SECRET, token=token, max_age_s=-1)


def test_admin_creates_a_tenant_user_in_own_org(session: Session, world: World) -> None:
    data = UserCreate(
        username="ta-2",
        display_name="TA two",
        role=Role.tenant,
        password="longenough",
        tenant_code="TA",
    )
    user = service.create_user(session=session, actor=world.actors["admin"], data=data)
    assert (user.org_id, user.tenant_id) == (world.org.id, world.tenants["TA"].id)
    actor = service.authenticate(session=session, username="ta-2", password="longenough")
    assert actor.tenant_id == world.tenants["TA"].id


def test_create_user_rules(session: Session, world: World) -> None:
    admin = world.actors["admin"]
    staff = UserCreate(username="s1", display_name="S", role=Role.staff, password="longenough")
    with pytest.raises(Forbidden):
        service.create_user(session=session, actor=world.actors["finance"], data=staff)
    with pytest.raises(Conflict, match="taken"):
        service.create_user(
            session=session, actor=admin, data=staff.model_copy(update={"username": "acme-admin"})
        )
    with pytest.raises(Invalid) as missing:
        service.create_user(
            session=session, actor=admin, data=staff.model_copy(update={"role": Role.tenant})
        )
    assert missing.value.field == "tenant_code"
    with pytest.raises(Invalid, match="only tenant users"):
        service.create_user(
            session=session, actor=admin, data=staff.model_copy(update={"tenant_code": "TA"})
        )

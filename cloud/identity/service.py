"""Login, tokens and users. Passwords are argon2id hashes; tokens are signed, short-lived ids."""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Invalid, NotFound, Unauthenticated
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Org, Role, User
from cloud.identity.schemas import UserCreate
from cloud.leasing.models import Tenant

password_hasher = PasswordHasher()
"""Module-level so tests can swap in cheap parameters; hashes carry their own parameters."""

_TOKEN_SALT = "parkops.access-token.v1"
_BAD_LOGIN = "invalid username or password"


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return hash_password("not anybody's password")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(*, session: Session, username: str, password: str) -> Actor:
    """The actor for these credentials; one message for an unknown user and a wrong password."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        # Spend the same time as a real check, so response time does not reveal usernames.
        _verify(_dummy_hash(), password)
        raise Unauthenticated(_BAD_LOGIN)
    if not _verify(user.password_hash, password):
        raise Unauthenticated(_BAD_LOGIN)
    if password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return Actor.of(user)


def issue_token(*, secret: str, actor: Actor) -> str:
    """A bearer token naming the user; signed and timestamped, checked by `actor_from_token`."""
    return URLSafeTimedSerializer(secret, salt=_TOKEN_SALT).dumps({"uid": actor.user_id})


def actor_from_token(*, session: Session, secret: str, token: str, max_age_s: int) -> Actor:
    """The actor a token names, read fresh from the database (so a deactivated user is out)."""
    serializer = URLSafeTimedSerializer(secret, salt=_TOKEN_SALT)
    try:
        claims = serializer.loads(token, max_age=max_age_s)
    except SignatureExpired:
        raise Unauthenticated("token expired; log in again") from None
    except BadSignature:
        raise Unauthenticated("invalid token") from None
    user = session.get(User, claims.get("uid")) if isinstance(claims, dict) else None
    if user is None or not user.active:
        raise Unauthenticated("invalid token")
    return Actor.of(user)


def get_org(*, session: Session, actor: Actor) -> Org:
    """The actor's own organisation."""
    org = session.get(Org, actor.org_id)
    if org is None:
        raise NotFound(f"org {actor.org_id} not found")
    return org


def org_today(*, session: Session, actor: Actor, now: datetime | None = None) -> date:
    """Today's date in the actor's org time zone (business dates are org-local)."""
    org = get_org(session=session, actor=actor)
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(org.timezone)).date()


def org_instants(
    *, session: Session, actor: Actor, first: date, last: date
) -> tuple[datetime, datetime]:
    """The UTC instants [first 00:00, the day after last 00:00) of business dates `first` to
    `last` (both included) in the actor's org time zone."""
    zone = ZoneInfo(get_org(session=session, actor=actor).timezone)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def create_user(*, session: Session, actor: Actor, data: UserCreate) -> User:
    """A new login in the actor's org; admins only."""
    require_role(actor, Role.admin)
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict(f"username {data.username!r} is taken")
    tenant_id = _tenant_id_for(session=session, actor=actor, data=data)
    user = User(
        org_id=actor.org_id,
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        tenant_id=tenant_id,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    session.flush()
    return user


def _tenant_id_for(*, session: Session, actor: Actor, data: UserCreate) -> int | None:
    if data.role != Role.tenant:
        if data.tenant_code is not None:
            raise Invalid("only tenant users belong to a tenant", field="tenant_code")
        return None
    if data.tenant_code is None:
        raise Invalid("a tenant user needs tenant_code", field="tenant_code")
    tenant_id = session.scalar(
        select(Tenant.id).where(Tenant.org_id == actor.org_id, Tenant.code == data.tenant_code)
    )
    if tenant_id is None:
        raise Invalid(f"no tenant {data.tenant_code!r} in this org", field="tenant_code")
    return tenant_id

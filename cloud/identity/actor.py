"""The acting principal every service function receives, and the role checks on it."""

from dataclasses import dataclass

from cloud.errors import Forbidden
from cloud.identity.models import Role, User

STAFF_ROLES = frozenset({Role.admin, Role.staff, Role.finance, Role.engineer})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user of one org; a tenant user also names its tenant."""

    user_id: int
    org_id: int
    role: Role
    tenant_id: int | None
    username: str
    display_name: str

    def __post_init__(self) -> None:
        if (self.role == Role.tenant) != (self.tenant_id is not None):
            raise ValueError("a tenant actor needs a tenant_id, and only a tenant actor has one")

    @property
    def is_tenant(self) -> bool:
        return self.role == Role.tenant

    @classmethod
    def of(cls, user: User) -> "Actor":
        return cls(
            user_id=user.id,
            org_id=user.org_id,
            role=user.role,
            tenant_id=user.tenant_id,
            username=user.username,
            display_name=user.display_name,
        )


def require_role(actor: Actor, *roles: Role) -> None:
    """Forbidden unless the actor has one of `roles`."""
    if actor.role not in roles:
        allowed = ", ".join(sorted(roles))
        raise Forbidden(f"{actor.username} ({actor.role}) may not do this; needs {allowed}")

"""Who is signed in to this browser, and running service calls as them off the event loop.

The browser's server-side storage keeps only a signed token; every call rebuilds the actor from it
in the call's own session, so a deactivated user or an expired token is out at the next refresh.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

from nicegui import app, run
from sqlalchemy.orm import Session, sessionmaker

from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.settings import Settings

T = TypeVar("T")

_TOKEN_KEY: Final = "token"
_NAME_KEY: Final = "display_name"
_TENANT_KEY: Final = "is_tenant"


@dataclass(frozen=True)
class WebContext:
    """What the pages need from the app: settings and a session factory."""

    settings: Settings
    sessions: sessionmaker[Session]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)


@dataclass(frozen=True)
class SignedIn:
    """What a page knows about the browser's user before asking the database."""

    display_name: str
    is_tenant: bool


def signed_in() -> SignedIn | None:
    """The browser's user as remembered at sign-in, or None when nobody is signed in."""
    storage = app.storage.user
    if not storage.get(_TOKEN_KEY):
        return None
    return SignedIn(
        display_name=storage.get(_NAME_KEY, ""), is_tenant=bool(storage.get(_TENANT_KEY))
    )


def home_path(user: SignedIn) -> str:
    """Tenants land on their phone view, staff on the console."""
    return "/m" if user.is_tenant else "/"


async def sign_in(ctx: WebContext, *, username: str, password: str) -> SignedIn:
    """Check the credentials (raises Unauthenticated) and remember the user in this browser."""

    def check() -> tuple[Actor, str]:
        with ctx.sessions.begin() as session:
            actor = identity_service.authenticate(
                session=session, username=username, password=password
            )
        token = identity_service.issue_token(secret=ctx.settings.secret_key, actor=actor)
        return actor, token

    actor, token = await _off_loop(check)
    app.storage.user.update(
        {_TOKEN_KEY: token, _NAME_KEY: actor.display_name, _TENANT_KEY: actor.is_tenant}
    )
    return SignedIn(display_name=actor.display_name, is_tenant=actor.is_tenant)


def sign_out() -> None:
    """Forget the user; the language choice stays with the browser."""
    for key in (_TOKEN_KEY, _NAME_KEY, _TENANT_KEY):
        app.storage.user.pop(key, None)


async def as_user(ctx: WebContext, service: Callable[..., T], /, **arguments: Any) -> T:
    """`service(session=..., actor=..., **arguments)` in a worker thread, in its own transaction.

    Raises Unauthenticated when the stored token no longer names an active user.
    """
    token = str(app.storage.user.get(_TOKEN_KEY, ""))

    def call() -> T:
        with ctx.sessions.begin() as session:
            actor = identity_service.actor_from_token(
                session=session,
                secret=ctx.settings.secret_key,
                token=token,
                max_age_s=ctx.settings.token_max_age_s,
            )
            return service(session=session, actor=actor, **arguments)

    return await _off_loop(call)


async def _off_loop(work: Callable[[], T]) -> T:
    """`work()` in NiceGUI's thread pool; a None from io_bound means cancelled or shutting down."""
    boxed = await run.io_bound(lambda: (work(),))  # boxed, so a service's own None passes through
    if boxed is None:
        raise asyncio.CancelledError
    return boxed[0]

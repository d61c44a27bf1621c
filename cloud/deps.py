"""Request dependencies: the session (one transaction per request) and the acting user."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from cloud.errors import Unauthenticated
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the handler returns, before the response."""
    with request.app.state.sessions() as session:
        yield session  # an error raised here skips the commit; closing rolls back
        session.commit()


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": commit before the response goes out, so a 2xx means it is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="token from POST /api/v1/auth/login")


def get_actor(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None:
        raise Unauthenticated("not logged in: send Authorization: Bearer <token>")
    return identity_service.actor_from_token(
        session=session,
        secret=settings.secret_key,
        token=credentials.credentials,
        max_age_s=settings.token_max_age_s,
    )


CurrentActor = Annotated[Actor, Depends(get_actor)]

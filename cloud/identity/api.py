"""Login, the current user, and user administration."""

from fastapi import APIRouter, status

from cloud.deps import CurrentActor, SessionDep, SettingsDep
from cloud.identity import service
from cloud.identity.schemas import ActorRead, LoginRequest, TokenRead, UserCreate, UserRead

router = APIRouter(tags=["identity"])


@router.post("/auth/login", response_model=TokenRead)
def login(body: LoginRequest, session: SessionDep, settings: SettingsDep) -> TokenRead:
    actor = service.authenticate(session=session, username=body.username, password=body.password)
    token = service.issue_token(secret=settings.secret_key, actor=actor)
    return TokenRead(access_token=token, actor=ActorRead.model_validate(actor))


@router.get("/me", response_model=ActorRead)
def me(actor: CurrentActor) -> ActorRead:
    return ActorRead.model_validate(actor)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: SessionDep, actor: CurrentActor) -> UserRead:
    user = service.create_user(session=session, actor=actor, data=body)
    return UserRead.model_validate(user)

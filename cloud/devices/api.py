"""The device registry over REST: agents (online, drift) and meters with their last values."""

from fastapi import APIRouter

from cloud.deps import CurrentActor, SessionDep
from cloud.devices import service
from cloud.devices.schemas import AgentRead, ExpectedConfig, MeterRead

router = APIRouter(prefix="/devices", tags=["devices"])


@router.get("/agents", response_model=list[AgentRead])
def list_device_agents(session: SessionDep, actor: CurrentActor) -> list[AgentRead]:
    return [AgentRead.of(v) for v in service.list_agents(session=session, actor=actor)]


@router.get("/agents/{code}", response_model=AgentRead)
def get_device_agent(code: str, session: SessionDep, actor: CurrentActor) -> AgentRead:
    return AgentRead.of(service.get_agent(session=session, actor=actor, code=code))


@router.put("/agents/{code}/expected-config", response_model=AgentRead)
def set_expected_config(
    code: str, body: ExpectedConfig, session: SessionDep, actor: CurrentActor
) -> AgentRead:
    view = service.set_expected_config(
        session=session, actor=actor, code=code, config_hash=body.config_hash
    )
    return AgentRead.of(view)


@router.get("/meters", response_model=list[MeterRead])
def list_device_meters(session: SessionDep, actor: CurrentActor) -> list[MeterRead]:
    return [MeterRead.of(v) for v in service.list_meters(session=session, actor=actor)]

"""Units, as the actor may see them."""

from fastapi import APIRouter

from cloud.deps import CurrentActor, SessionDep
from cloud.properties import service
from cloud.properties.schemas import UnitRead

router = APIRouter(tags=["properties"])


@router.get("/units", response_model=list[UnitRead])
def list_units(session: SessionDep, actor: CurrentActor) -> list[UnitRead]:
    return [UnitRead.of(unit) for unit in service.list_units(session=session, actor=actor)]

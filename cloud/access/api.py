"""Access over REST: doors, people, credentials, permissions, visitors and the door log."""

from fastapi import APIRouter, status

from cloud.access import service, visitors
from cloud.access.models import Person
from cloud.access.schemas import (
    CredentialCreate,
    CredentialRead,
    DoorCreate,
    DoorEventRead,
    DoorRead,
    PermissionCreate,
    PermissionRead,
    PersonCreate,
    PersonRead,
    VisitorCreate,
    VisitorPass,
    VisitorRead,
)
from cloud.deps import CurrentActor, SessionDep

router = APIRouter(prefix="/access", tags=["access"])
CREATED = status.HTTP_201_CREATED


def person_read(person: Person) -> PersonRead:
    tenant = person.tenant.code if person.tenant else None
    return PersonRead(
        id=person.id, name=person.name, phone=person.phone, tenant_code=tenant, active=person.active
    )


@router.post("/doors", response_model=DoorRead, status_code=CREATED)
def create_door(data: DoorCreate, session: SessionDep, actor: CurrentActor) -> DoorRead:
    return DoorRead.model_validate(service.create_door(session=session, actor=actor, data=data))


@router.get("/doors", response_model=list[DoorRead])
def list_doors(session: SessionDep, actor: CurrentActor) -> list[DoorRead]:
    return [DoorRead.model_validate(d) for d in service.list_doors(session=session, actor=actor)]


@router.get("/door-events", response_model=list[DoorEventRead])
def door_log(
    session: SessionDep, actor: CurrentActor, door: str | None = None
) -> list[DoorEventRead]:
    rows = service.door_log(session=session, actor=actor, door=door)
    return [DoorEventRead.model_validate(r) for r in rows]


@router.post("/people", response_model=PersonRead, status_code=CREATED)
def add_person(data: PersonCreate, session: SessionDep, actor: CurrentActor) -> PersonRead:
    return person_read(service.add_person(session=session, actor=actor, data=data))


@router.get("/people", response_model=list[PersonRead])
def list_people(session: SessionDep, actor: CurrentActor) -> list[PersonRead]:
    return [person_read(p) for p in service.list_people(session=session, actor=actor)]


@router.post("/people/{person_id}/credentials", response_model=CredentialRead, status_code=CREATED)
def issue_credential(
    person_id: int, data: CredentialCreate, session: SessionDep, actor: CurrentActor
) -> CredentialRead:
    credential = service.issue_credential(
        session=session, actor=actor, person_id=person_id, data=data
    )
    return CredentialRead.model_validate(credential)


@router.get("/people/{person_id}/credentials", response_model=list[CredentialRead])
def list_credentials(
    person_id: int, session: SessionDep, actor: CurrentActor
) -> list[CredentialRead]:
    rows = service.list_credentials(session=session, actor=actor, person_id=person_id)
    return [CredentialRead.model_validate(c) for c in rows]


@router.post("/credentials/{credential_id}/revocation", response_model=CredentialRead)
def revoke_credential(
    credential_id: int, session: SessionDep, actor: CurrentActor
) -> CredentialRead:
    credential = service.revoke_credential(
        session=session, actor=actor, credential_id=credential_id
    )
    return CredentialRead.model_validate(credential)


@router.post("/people/{person_id}/permissions", response_model=PermissionRead, status_code=CREATED)
def grant(
    person_id: int, data: PermissionCreate, session: SessionDep, actor: CurrentActor
) -> PermissionRead:
    permission = service.grant(session=session, actor=actor, person_id=person_id, data=data)
    return PermissionRead.model_validate(permission)


@router.get("/people/{person_id}/permissions", response_model=list[PermissionRead])
def list_permissions(
    person_id: int, session: SessionDep, actor: CurrentActor
) -> list[PermissionRead]:
    rows = service.list_permissions(session=session, actor=actor, person_id=person_id)
    return [PermissionRead.model_validate(p) for p in rows]


@router.post("/visitors", response_model=VisitorPass, status_code=CREATED)
def book_visitor(data: VisitorCreate, session: SessionDep, actor: CurrentActor) -> VisitorPass:
    return visitors.book_visitor(session=session, actor=actor, data=data)


@router.get("/visitors", response_model=list[VisitorRead])
def list_visitors(session: SessionDep, actor: CurrentActor) -> list[VisitorRead]:
    rows = visitors.list_visitors(session=session, actor=actor)
    return [visitors.read_visitor(v) for v in rows]


@router.post("/visitors/{code}/cancellation", response_model=VisitorRead)
def cancel_visitor(code: str, session: SessionDep, actor: CurrentActor) -> VisitorRead:
    return visitors.read_visitor(visitors.cancel_visitor(session=session, actor=actor, code=code))

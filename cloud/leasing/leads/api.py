"""Leads: their follow-ups and stages, letter of intent and deposit, conversion, reports."""

from datetime import date

from fastapi import APIRouter, status

from cloud.deps import CurrentActor, SessionDep
from cloud.leasing.contracts import service as contracts_service
from cloud.leasing.contracts.schemas import ContractRead
from cloud.leasing.leads import conversion, reports, service
from cloud.leasing.leads.models import LeadSource, Stage
from cloud.leasing.leads.schemas import (
    ContactData,
    Conversion,
    DepositMove,
    FollowUpCreate,
    LeadCreate,
    LeadRead,
    LeadReport,
    LeadSummary,
    LeadUpdate,
    LetterOfIntent,
    LostMark,
    StageMove,
)

router = APIRouter(tags=["leads"])


@router.get("/leads", response_model=list[LeadSummary])
def list_leads(
    session: SessionDep,
    actor: CurrentActor,
    stage: Stage | None = None,
    source: LeadSource | None = None,
) -> list[LeadSummary]:
    return service.list_leads(session=session, actor=actor, stage=stage, source=source)


@router.get("/leads/report", response_model=LeadReport)
def lead_report(
    session: SessionDep, actor: CurrentActor, first: date | None = None, last: date | None = None
) -> LeadReport:
    """Funnel by stage, conversion by source and lost reasons of the leads created then."""
    return reports.lead_report(session=session, actor=actor, first=first, last=last)


@router.post("/leads", response_model=LeadRead, status_code=status.HTTP_201_CREATED)
def create_lead(body: LeadCreate, session: SessionDep, actor: CurrentActor) -> LeadRead:
    lead = service.create_lead(session=session, actor=actor, data=body)
    return service.read_lead(session=session, actor=actor, code=lead.code)


@router.get("/leads/{code}", response_model=LeadRead)
def get_lead(code: str, session: SessionDep, actor: CurrentActor) -> LeadRead:
    return service.read_lead(session=session, actor=actor, code=code)


@router.patch("/leads/{code}", response_model=LeadRead)
def update_lead(code: str, body: LeadUpdate, session: SessionDep, actor: CurrentActor) -> LeadRead:
    service.update_lead(session=session, actor=actor, code=code, data=body)
    return service.read_lead(session=session, actor=actor, code=code)


@router.post("/leads/{code}/contacts", response_model=LeadRead)
def add_contact(code: str, body: ContactData, session: SessionDep, actor: CurrentActor) -> LeadRead:
    service.add_contact(session=session, actor=actor, code=code, data=body)
    return service.read_lead(session=session, actor=actor, code=code)


@router.post("/leads/{code}/follow-ups", response_model=LeadRead)
def add_follow_up(
    code: str, body: FollowUpCreate, session: SessionDep, actor: CurrentActor
) -> LeadRead:
    """A visit, feedback, quote or counter-offer; it moves the lead forward if it shows so."""
    service.add_follow_up(session=session, actor=actor, code=code, data=body)
    return service.read_lead(session=session, actor=actor, code=code)


@router.post("/leads/{code}/stage", response_model=LeadRead)
def move_stage(code: str, body: StageMove, session: SessionDep, actor: CurrentActor) -> LeadRead:
    service.move_stage(session=session, actor=actor, code=code, data=body)
    return service.read_lead(session=session, actor=actor, code=code)


@router.post("/leads/{code}/lost", response_model=LeadRead)
def mark_lost(code: str, body: LostMark, session: SessionDep, actor: CurrentActor) -> LeadRead:
    service.mark_lost(session=session, actor=actor, code=code, data=body)
    return service.read_lead(session=session, actor=actor, code=code)


@router.post("/leads/{code}/loi", response_model=LeadRead)
def sign_loi(code: str, body: LetterOfIntent, session: SessionDep, actor: CurrentActor) -> LeadRead:
    """The letter of intent with its deposit (定金), agreed."""
    conversion.sign_loi(session=session, actor=actor, code=code, data=body)
    return service.read_lead(session=session, actor=actor, code=code)


@router.post("/leads/{code}/deposit", response_model=LeadRead)
def move_deposit(
    code: str, body: DepositMove, session: SessionDep, actor: CurrentActor
) -> LeadRead:
    conversion.move_deposit(session=session, actor=actor, code=code, data=body)
    return service.read_lead(session=session, actor=actor, code=code)


@router.post("/leads/{code}/convert", response_model=ContractRead, status_code=201)
def convert(code: str, body: Conversion, session: SessionDep, actor: CurrentActor) -> ContractRead:
    """The won lead becomes a draft contract (units, tenant, terms of the last quote)."""
    contract = conversion.convert(session=session, actor=actor, code=code, data=body)
    return contracts_service.read_contract(session=session, actor=actor, code=contract.code)

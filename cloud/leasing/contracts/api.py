"""Contracts: drafts, their lifecycle, schedules, amendments, renewals, terminations, alerts."""

from typing import Literal

from fastapi import APIRouter, Response, status

from cloud.deps import CurrentActor, SessionDep
from cloud.identity.models import Role
from cloud.leasing.contracts import amendments, document, drafts, lifecycle, service, termination
from cloud.leasing.contracts.models import ContractStatus
from cloud.leasing.contracts.schemas import (
    AlertRead,
    AmendmentCreate,
    ApprovalNote,
    ApprovalStepsUpdate,
    ContractCreate,
    ContractRead,
    ContractSummary,
    ContractUpdate,
    Rejection,
    RenewalCreate,
    Schedule,
    ScheduleDiff,
    SettlementRead,
    Termination,
)
from cloud.leasing.terms_schemas import ContractTerms

router = APIRouter(tags=["contracts"])
CREATED = status.HTTP_201_CREATED


@router.post("/contracts/preview", response_model=Schedule)
def preview_contract(body: ContractTerms, session: SessionDep, actor: CurrentActor) -> Schedule:
    """The schedule of contract JSON (what `parkops lease schedule` reads); nothing is stored."""
    return service.preview_schedule(session=session, actor=actor, terms=body)


@router.get("/contracts", response_model=list[ContractSummary])
def list_contracts(
    session: SessionDep,
    actor: CurrentActor,
    status: ContractStatus | None = None,
    unit: str | None = None,
) -> list[ContractSummary]:
    return service.list_summaries(session=session, actor=actor, status=status, unit_code=unit)


@router.post("/contracts", response_model=ContractRead, status_code=CREATED)
def create_contract(body: ContractCreate, session: SessionDep, actor: CurrentActor) -> ContractRead:
    contract = drafts.create_contract(session=session, actor=actor, data=body)
    return service.read_contract(session=session, actor=actor, code=contract.code)


@router.get("/contracts/{code}", response_model=ContractRead)
def get_contract(code: str, session: SessionDep, actor: CurrentActor) -> ContractRead:
    return service.read_contract(session=session, actor=actor, code=code)


@router.patch("/contracts/{code}", response_model=ContractRead)
def update_contract(
    code: str, body: ContractUpdate, session: SessionDep, actor: CurrentActor
) -> ContractRead:
    """Edit the open draft: the original before submission, or a draft amendment."""
    drafts.update_draft(session=session, actor=actor, code=code, data=body)
    return service.read_contract(session=session, actor=actor, code=code)


@router.delete("/contracts/{code}", response_model=ContractSummary)
def delete_contract(code: str, session: SessionDep, actor: CurrentActor) -> ContractSummary:
    """Delete a draft contract, or discard the draft amendment of a contract in force."""
    return drafts.delete_draft(session=session, actor=actor, code=code)


@router.post("/contracts/{code}/submit", response_model=ContractRead)
def submit_contract(code: str, session: SessionDep, actor: CurrentActor) -> ContractRead:
    lifecycle.submit(session=session, actor=actor, code=code)
    return service.read_contract(session=session, actor=actor, code=code)


@router.post("/contracts/{code}/approve", response_model=ContractRead)
def approve_contract(
    code: str, session: SessionDep, actor: CurrentActor, body: ApprovalNote | None = None
) -> ContractRead:
    note = body.note if body else ""
    lifecycle.approve(session=session, actor=actor, code=code, note=note)
    return service.read_contract(session=session, actor=actor, code=code)


@router.post("/contracts/{code}/reject", response_model=ContractRead)
def reject_contract(
    code: str, body: Rejection, session: SessionDep, actor: CurrentActor
) -> ContractRead:
    lifecycle.reject(session=session, actor=actor, code=code, reason=body.reason)
    return service.read_contract(session=session, actor=actor, code=code)


@router.post("/contracts/{code}/sign", response_model=ContractRead)
def sign_contract(code: str, session: SessionDep, actor: CurrentActor) -> ContractRead:
    lifecycle.sign(session=session, actor=actor, code=code)
    return service.read_contract(session=session, actor=actor, code=code)


@router.post("/contracts/{code}/activate", response_model=ContractRead)
def activate_contract(code: str, session: SessionDep, actor: CurrentActor) -> ContractRead:
    lifecycle.activate(session=session, actor=actor, code=code)
    return service.read_contract(session=session, actor=actor, code=code)


@router.post("/contracts/{code}/amend", response_model=ContractRead, status_code=CREATED)
def amend_contract(
    code: str, body: AmendmentCreate, session: SessionDep, actor: CurrentActor
) -> ContractRead:
    """Open a draft amendment; edit it with PATCH, see its difference, then submit it."""
    amendments.amend(session=session, actor=actor, code=code, data=body)
    return service.read_contract(session=session, actor=actor, code=code)


@router.get("/contracts/{code}/amendment-diff", response_model=ScheduleDiff)
def amendment_diff(code: str, session: SessionDep, actor: CurrentActor) -> ScheduleDiff:
    return amendments.amendment_diff(session=session, actor=actor, code=code)


@router.post("/contracts/{code}/renew", response_model=ContractRead, status_code=CREATED)
def renew_contract(
    code: str, body: RenewalCreate, session: SessionDep, actor: CurrentActor
) -> ContractRead:
    """A draft renewal starting the day after the contract ends; returns the new contract."""
    renewal = amendments.renew(session=session, actor=actor, code=code, data=body)
    return service.read_contract(session=session, actor=actor, code=renewal.code)


@router.post("/contracts/{code}/terminate", response_model=SettlementRead)
def terminate_contract(
    code: str, body: Termination, session: SessionDep, actor: CurrentActor
) -> SettlementRead:
    return termination.terminate(session=session, actor=actor, code=code, data=body)


@router.get("/contracts/{code}/settlement", response_model=SettlementRead)
def contract_settlement(code: str, session: SessionDep, actor: CurrentActor) -> SettlementRead:
    return termination.get_settlement(session=session, actor=actor, code=code)


@router.get("/contracts/{code}/charges", response_model=Schedule)
def contract_charges(code: str, session: SessionDep, actor: CurrentActor) -> Schedule:
    """The stored charges of a signed contract, with their posted flags."""
    return service.stored_charges(session=session, actor=actor, code=code)


@router.get("/contracts/{code}/versions/{number}/schedule", response_model=Schedule)
def version_schedule(code: str, number: int, session: SessionDep, actor: CurrentActor) -> Schedule:
    """What a stored version's terms compile to."""
    return service.version_schedule(session=session, actor=actor, code=code, number=number)


@router.get("/contract-approval-steps", response_model=list[Role])
def approval_steps(session: SessionDep, actor: CurrentActor) -> list[Role]:
    return service.approval_steps(session=session, actor=actor)


@router.put("/contract-approval-steps", response_model=list[Role])
def set_approval_steps(
    body: ApprovalStepsUpdate, session: SessionDep, actor: CurrentActor
) -> list[Role]:
    return lifecycle.set_approval_steps(session=session, actor=actor, roles=body.roles)


@router.get("/contract-alerts", response_model=list[AlertRead])
def contract_alerts(
    session: SessionDep, actor: CurrentActor, include_acknowledged: bool = False
) -> list[AlertRead]:
    return service.list_alerts(
        session=session, actor=actor, include_acknowledged=include_acknowledged
    )


@router.post("/contract-alerts/{alert_id}/acknowledge", response_model=AlertRead)
def acknowledge_alert(alert_id: int, session: SessionDep, actor: CurrentActor) -> AlertRead:
    return service.acknowledge_alert(session=session, actor=actor, alert_id=alert_id)


@router.get(
    "/contracts/{code}/document",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "text/html": {"schema": {"type": "string"}},
            },
            "description": "the contract text, PDF or printable HTML",
        }
    },
)
def contract_document(
    code: str,
    session: SessionDep,
    actor: CurrentActor,
    format: Literal["pdf", "html"] = "pdf",
    version: int | None = None,
) -> Response:
    """The contract text (合同文本) as PDF, or printable HTML when asked for or when the server
    has no Chinese font (the `X-Document-Note` header then says so)."""
    rendered = document.contract_document(
        session=session, actor=actor, code=code, number=version, format=format
    )
    headers = {"Content-Disposition": f'inline; filename="{code}.{rendered.extension}"'}
    if rendered.note:
        headers["X-Document-Note"] = rendered.note
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)

"""A contract's way from draft to signed and active, through the org's approval steps.

draft → submitted → (one approval per step) → approved → signed → active → expired or
terminated. A rejection at any step sends the version back to draft with its reason; the next
submission starts the steps again. An amendment (a later version) takes the same way while the
contract stays in force; signing it regenerates the unposted charges from its effective date.
The route is copied onto a version when it is submitted, so a change of the org's steps does
not reroute what is already in approval.
"""

from sqlalchemy import delete
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Conflict, Invalid
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing.contracts import amendments, charges, drafts, service, tenancy, unit_status
from cloud.leasing.contracts.models import (
    ApprovalStep,
    Contract,
    ContractApproval,
    ContractStatus,
    ContractVersion,
    Decision,
    VersionStatus,
)
from cloud.leasing.terms import compile_schedule


def set_approval_steps(*, session: Session, actor: Actor, roles: list[Role]) -> list[Role]:
    """Replace the org's approval route (step 1 first); admins only."""
    require_role(actor, Role.admin)
    wrong = [str(role) for role in roles if role not in service.STEP_ROLES]
    if wrong:
        allowed = ", ".join(service.STEP_ROLES)
        raise Invalid(f"a step is taken by {allowed}, not {', '.join(wrong)}", field="roles")
    session.execute(delete(ApprovalStep).where(ApprovalStep.org_id == actor.org_id))
    session.add_all(
        ApprovalStep(org_id=actor.org_id, step=i, role=role) for i, role in enumerate(roles, 1)
    )
    session.flush()
    return list(roles)


def submit(*, session: Session, actor: Actor, code: str) -> Contract:
    """Send the open draft into approval along the org's current route."""
    require_role(actor, *service.WRITE_ROLES)
    contract = service.get_contract(session=session, actor=actor, code=code)
    version = _open_in(contract, VersionStatus.draft, "submitted")
    if version.number > 1:
        drafts.check_amendment(contract, version)
    version.approval_round += 1
    version.approval_roles = [str(r) for r in service.approval_steps(session=session, actor=actor)]
    version.submitted_at = utcnow()
    _move(contract, version, VersionStatus.submitted)
    session.flush()
    return contract


def approve(*, session: Session, actor: Actor, code: str, note: str = "") -> Contract:
    """Take the step the open version waits for; the last step approves it."""
    require_role(actor, *service.STEP_ROLES)
    contract = service.get_contract(session=session, actor=actor, code=code)
    version = _open_in(contract, VersionStatus.submitted, "approved")
    step, role = _decide(version, actor, Decision.approved, note)
    if step == len(version.approval_roles):
        _move(contract, version, VersionStatus.approved)
    session.flush()
    return contract


def reject(*, session: Session, actor: Actor, code: str, reason: str) -> Contract:
    """Send the open version back to draft, saying why; anyone who may take its step may."""
    if not reason.strip():
        raise Invalid("a rejection needs a reason", field="reason")
    require_role(actor, *service.STEP_ROLES)
    contract = service.get_contract(session=session, actor=actor, code=code)
    version = _open_in(contract, VersionStatus.submitted, "rejected")
    _decide(version, actor, Decision.rejected, reason.strip())
    _move(contract, version, VersionStatus.draft)
    session.flush()
    return contract


def sign(*, session: Session, actor: Actor, code: str) -> Contract:
    """Sign the approved open version: the original makes the leases and stores the charge
    schedule; an amendment regenerates the unposted charges from its effective date."""
    require_role(actor, *service.WRITE_ROLES)
    contract = service.get_contract(session=session, actor=actor, code=code)
    version = _open_in(contract, VersionStatus.approved, "signed")
    if version.number == 1:
        _sign_original(session, contract, version)
        contract.signed_at, contract.signed_by_id = utcnow(), actor.user_id
        unit_status.signed(
            session, version, identity_service.org_today(session=session, actor=actor)
        )
    else:
        before = list(service.current_version(contract).units)
        amendments.apply_amendment(session, contract, version)
        today = identity_service.org_today(session=session, actor=actor)
        unit_status.amended(session, contract, before, version, today)
    version.status = VersionStatus.signed
    version.signed_at, version.signed_by_id = utcnow(), actor.user_id
    session.flush()
    return contract


def activate(*, session: Session, actor: Actor, code: str) -> Contract:
    """A signed contract whose lease has started becomes active (the daily job does it too)."""
    require_role(actor, *service.WRITE_ROLES)
    contract = service.get_contract(session=session, actor=actor, code=code)
    if contract.status != ContractStatus.signed:
        raise Conflict(f"contract {code} is {contract.status}; only a signed one is activated")
    today = identity_service.org_today(session=session, actor=actor)
    if contract.start_date > today:
        raise Conflict(f"contract {code} starts on {contract.start_date}, after today {today}")
    contract.status, contract.activated_at = ContractStatus.active, utcnow()
    unit_status.activated(session, contract, today)
    session.flush()
    return contract


def _sign_original(session: Session, contract: Contract, version: ContractVersion) -> None:
    terms = service.terms_of(version)
    tenancy.create_leases(session, contract, version, terms)
    charges.add(session, contract, version, compile_schedule(terms))
    contract.status = ContractStatus.signed
    contract.start_date, contract.end_date = terms.lease_start, terms.end


def _open_in(contract: Contract, status: VersionStatus, doing: str) -> ContractVersion:
    version = service.open_version(contract)
    if version is None or version.status != status:
        what = f"contract {contract.code}"
        if version is not None and version.number > 1:
            what = f"amendment {version.number} of contract {contract.code}"
        state = version.status if version else contract.status
        raise Conflict(f"{what} is {state}; only a {status} one can be {doing}")
    return version


def _decide(
    version: ContractVersion, actor: Actor, decision: Decision, reason: str
) -> tuple[int, Role]:
    step = service.next_step(version)
    assert step is not None  # the version is submitted
    number, role = step
    service.require_decider(actor, role)
    version.approvals.append(
        ContractApproval(
            org_id=version.org_id,
            approval_round=version.approval_round,
            step=number,
            role=role,
            decision=decision,
            reason=reason,
            user_id=actor.user_id,
        )
    )
    return number, role


def _move(contract: Contract, version: ContractVersion, status: VersionStatus) -> None:
    """Set the version's status; the original's moves the contract's along with it."""
    version.status = status
    if version.number == 1:
        contract.status = ContractStatus(status.value)

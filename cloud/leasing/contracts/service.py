"""Contracts as the actor may see them: lists, one contract whole, schedules and previews,
expiry alerts.

Who may do what: staff and admins write (drafts, submissions, signing, amendments, renewals,
terminations) and approve per the org's approval steps; finance reads (and approves a step
given to finance); a tenant sees its own contracts once signed, with their versions in force.
Drafts are made and edited in `drafts.py`, moved along in `lifecycle.py`; amendments and
renewals are in `amendments.py`, early termination in `termination.py`, the daily job in
`jobs.py`; `tenancy.py` says how a signed contract maps to `Lease` rows.
"""

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, selectinload

from cloud.db.base import utcnow
from cloud.errors import Forbidden, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing.contracts import charges
from cloud.leasing.contracts.models import (
    ApprovalStep,
    Contract,
    ContractStatus,
    ContractVersion,
    Decision,
    ExpiryAlert,
    VersionStatus,
    contract_version_units,
)
from cloud.leasing.contracts.schemas import (
    Action,
    AlertRead,
    ApprovalRead,
    ContractRead,
    ContractSummary,
    Deposit,
    Schedule,
    VersionRead,
)
from cloud.leasing.models import Lease
from cloud.leasing.terms import compile_schedule
from cloud.leasing.terms_schemas import ContractTerms
from cloud.properties.models import Unit

READ_ROLES = (Role.admin, Role.staff, Role.finance)
WRITE_ROLES = (Role.admin, Role.staff)
STEP_ROLES = (Role.staff, Role.finance, Role.admin)
DEFAULT_STEPS = (Role.admin,)
"""The approval route of an org that has not configured one: one step, by an admin."""

SIGNED = (
    ContractStatus.signed,
    ContractStatus.active,
    ContractStatus.expired,
    ContractStatus.terminated,
)
IN_FORCE = (ContractStatus.signed, ContractStatus.active)
OPEN = (VersionStatus.draft, VersionStatus.submitted, VersionStatus.approved)
TENANT_VERSIONS = (VersionStatus.signed, VersionStatus.superseded)


# --- what the actor may see ------------------------------------------------------------------


def visible_contracts(actor: Actor) -> Select[Contract]:
    """The contracts the actor may see: its org's, a tenant only its own once signed."""
    stmt = (
        select(Contract)
        .where(Contract.org_id == actor.org_id)
        .options(selectinload(Contract.versions), selectinload(Contract.renewal_of))
    )
    if actor.is_tenant:
        return stmt.where(Contract.tenant_id == actor.tenant_id, Contract.status.in_(SIGNED))
    require_role(actor, *READ_ROLES)
    return stmt


def list_contracts(
    *,
    session: Session,
    actor: Actor,
    status: ContractStatus | None = None,
    unit_code: str | None = None,
) -> list[Contract]:
    """Visible contracts by code, optionally of one status or covering one unit (any version)."""
    stmt = visible_contracts(actor)
    if status is not None:
        stmt = stmt.where(Contract.status == status)
    if unit_code is not None:
        covers = (
            select(ContractVersion.id)
            .join(contract_version_units)
            .join(Unit, Unit.id == contract_version_units.c.unit_id)
            .where(ContractVersion.contract_id == Contract.id, Unit.code == unit_code)
        )
        stmt = stmt.where(exists(covers))
    return list(session.scalars(stmt.order_by(Contract.code)))


def list_summaries(
    *,
    session: Session,
    actor: Actor,
    status: ContractStatus | None = None,
    unit_code: str | None = None,
) -> list[ContractSummary]:
    """`list_contracts` as summaries (what the list page and the API show)."""
    found = list_contracts(session=session, actor=actor, status=status, unit_code=unit_code)
    return [summary(contract) for contract in found]


def get_contract(*, session: Session, actor: Actor, code: str) -> Contract:
    """One visible contract by code; NotFound also when it exists but is not the actor's."""
    contract = session.scalar(visible_contracts(actor).where(Contract.code == code))
    if contract is None:
        raise NotFound(f"contract {code} not found")
    return contract


def open_version(contract: Contract) -> ContractVersion | None:
    """The version being drafted or approved (the original before signing, or an amendment)."""
    return next((v for v in reversed(contract.versions) if v.status in OPEN), None)


def current_version(contract: Contract) -> ContractVersion:
    """The version in force; before signing, the original draft."""
    signed = [v for v in contract.versions if v.status == VersionStatus.signed]
    return signed[-1] if signed else contract.versions[0]


def terms_of(version: ContractVersion) -> ContractTerms:
    return ContractTerms.model_validate(version.terms)


def approval_steps(*, session: Session, actor: Actor) -> list[Role]:
    """The org's approval route, step 1 first."""
    require_role(actor, *READ_ROLES)
    roles = session.scalars(
        select(ApprovalStep.role)
        .where(ApprovalStep.org_id == actor.org_id)
        .order_by(ApprovalStep.step)
    )
    return list(roles) or list(DEFAULT_STEPS)


def next_step(version: ContractVersion) -> tuple[int, Role] | None:
    """(step number, role) of the approval a submitted version waits for."""
    if version.status != VersionStatus.submitted:
        return None
    done = [
        a
        for a in version.approvals
        if a.approval_round == version.approval_round and a.decision == Decision.approved
    ]
    return len(done) + 1, Role(version.approval_roles[len(done)])


def may_decide(actor: Actor, role: Role) -> bool:
    """A step is taken by a user of its role; an admin may stand in for any step."""
    return actor.role in (role, Role.admin)


def require_decider(actor: Actor, role: Role) -> None:
    """Forbidden unless the actor may take a step given to `role`."""
    if not may_decide(actor, role):
        raise Forbidden(f"{actor.username} ({actor.role}) may not take this step; needs {role}")


# --- schedules -------------------------------------------------------------------------------


def preview_schedule(*, session: Session, actor: Actor, terms: ContractTerms) -> Schedule:
    """The charge schedule of terms not stored anywhere (what `parkops lease schedule` prints)."""
    return charges.schedule_of(compile_schedule(terms))


def version_schedule(*, session: Session, actor: Actor, code: str, number: int) -> Schedule:
    """The schedule a stored version's terms compile to (whether signed or not)."""
    version = get_version(session=session, actor=actor, code=code, number=number)
    return charges.schedule_of(compile_schedule(terms_of(version)))


def stored_charges(*, session: Session, actor: Actor, code: str) -> Schedule:
    """The charges stored for a signed contract, with their posted flags."""
    contract = get_contract(session=session, actor=actor, code=code)
    return charges.schedule_of(charges.stored(session, contract))


def get_version(*, session: Session, actor: Actor, code: str, number: int) -> ContractVersion:
    contract = get_contract(session=session, actor=actor, code=code)
    for version in visible_versions(actor, contract):
        if version.number == number:
            return version
    raise NotFound(f"contract {code} has no version {number}")


def visible_versions(actor: Actor, contract: Contract) -> list[ContractVersion]:
    if actor.is_tenant:
        return [v for v in contract.versions if v.status in TENANT_VERSIONS]
    return list(contract.versions)


# --- reading a contract whole ----------------------------------------------------------------


def summary(contract: Contract) -> ContractSummary:
    return ContractSummary(
        code=contract.code,
        tenant_code=contract.tenant.code,
        tenant_name=contract.tenant.name,
        status=contract.status,
        start_date=contract.start_date,
        end_date=contract.end_date,
        terminated_on=contract.terminated_on,
        unit_codes=[unit.code for unit in current_version(contract).units],
        renewal_of=contract.renewal_of.code if contract.renewal_of else None,
    )


def read_contract(*, session: Session, actor: Actor, code: str) -> ContractRead:
    """A contract with its versions, approvals, leases and what the actor may do with it."""
    contract = get_contract(session=session, actor=actor, code=code)
    opened = open_version(contract)
    step = next_step(opened) if opened else None
    leases = session.scalars(
        select(Lease.code)
        .where(Lease.org_id == contract.org_id, Lease.contract_id == contract.id)
        .order_by(Lease.code)
    )
    later = renewals(session, contract)
    if actor.is_tenant:
        later = [c for c in later if c.status in SIGNED]
    return ContractRead(
        **summary(contract).model_dump(),
        versions=[_version_read(actor, v) for v in visible_versions(actor, contract)],
        current_version=current_version(contract).number,
        open_version=None if actor.is_tenant or opened is None else opened.number,
        next_step=step[1] if step and not actor.is_tenant else None,
        lease_codes=list(leases),
        renewed_by=[c.code for c in later],
        signed_at=contract.signed_at,
        activated_at=contract.activated_at,
        actions=allowed_actions(session=session, actor=actor, contract=contract),
    )


def _version_read(actor: Actor, version: ContractVersion) -> VersionRead:
    approvals = [] if actor.is_tenant else version.approvals
    return VersionRead(
        number=version.number,
        status=version.status,
        terms=terms_of(version),
        electricity_tariff=version.electricity_tariff,
        deposits=[Deposit.model_validate(d) for d in version.deposits],
        usage_restrictions=version.usage_restrictions,
        special_clauses=version.special_clauses,
        effective_from=version.effective_from,
        note=version.note,
        approval_roles=[Role(r) for r in version.approval_roles],
        created_at=version.created_at,
        submitted_at=version.submitted_at,
        signed_at=version.signed_at,
        approvals=[
            ApprovalRead(
                approval_round=a.approval_round,
                step=a.step,
                role=a.role,
                decision=a.decision,
                reason=a.reason,
                username=a.user.username,
                display_name=a.user.display_name,
                decided_at=a.decided_at,
            )
            for a in approvals
        ],
    )


def renewals(session: Session, contract: Contract) -> list[Contract]:
    """Contracts made as renewals of `contract`, oldest first."""
    return list(
        session.scalars(
            select(Contract)
            .where(Contract.org_id == contract.org_id, Contract.renewal_of_id == contract.id)
            .order_by(Contract.id)
        )
    )


def allowed_actions(*, session: Session, actor: Actor, contract: Contract) -> list[Action]:
    """What the actor may do with the contract now, by its state and the actor's role."""
    if actor.is_tenant:
        return []
    actions: list[Action] = []
    writer = actor.role in WRITE_ROLES
    version = open_version(contract)
    if version is not None and version.status == VersionStatus.draft and writer:
        actions += ["edit", "delete", "submit"]
    step = next_step(version) if version else None
    if step and may_decide(actor, step[1]):
        actions += ["approve", "reject"]
    if version is not None and version.status == VersionStatus.approved and writer:
        actions.append("sign")
    today = identity_service.org_today(session=session, actor=actor)
    if writer and contract.status == ContractStatus.signed and contract.start_date <= today:
        actions.append("activate")
    if writer and contract.status in IN_FORCE:
        if version is None:
            actions += ["amend", "terminate"]
        if not [c for c in renewals(session, contract) if c.status != ContractStatus.terminated]:
            actions.append("renew")
    return actions


# --- expiry alerts, as leasing staff see them ------------------------------------------------


def list_alerts(
    *, session: Session, actor: Actor, include_acknowledged: bool = False
) -> list[AlertRead]:
    """The org's expiry alerts, soonest end first."""
    require_role(actor, *READ_ROLES)
    stmt = select(ExpiryAlert).where(ExpiryAlert.org_id == actor.org_id)
    if not include_acknowledged:
        stmt = stmt.where(ExpiryAlert.acknowledged_at.is_(None))
    alerts = session.scalars(stmt.order_by(ExpiryAlert.end_date, ExpiryAlert.id))
    return [_alert_read(alert) for alert in alerts]


def acknowledge_alert(*, session: Session, actor: Actor, alert_id: int) -> AlertRead:
    """Mark an alert seen (by whom, when); staff and admins."""
    require_role(actor, *WRITE_ROLES)
    alert = session.scalar(
        select(ExpiryAlert).where(ExpiryAlert.org_id == actor.org_id, ExpiryAlert.id == alert_id)
    )
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by_id = actor.user_id
        session.flush()
    return _alert_read(alert)


def _alert_read(alert: ExpiryAlert) -> AlertRead:
    return AlertRead(
        id=alert.id,
        contract_code=alert.contract.code,
        tenant_name=alert.contract.tenant.name,
        threshold_days=alert.threshold_days,
        end_date=alert.end_date,
        raised_on=alert.raised_on,
        acknowledged_at=alert.acknowledged_at,
    )

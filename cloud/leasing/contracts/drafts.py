"""Drafts: creating a contract (version 1), editing the open draft (the original, or an
amendment), deleting it; and the checks every draft's terms pass."""

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Invalid
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.leasing import service as leasing_service
from cloud.leasing.contracts.models import (
    Contract,
    ContractStatus,
    ContractVersion,
    VersionStatus,
)
from cloud.leasing.contracts.schemas import (
    ContractCreate,
    ContractSummary,
    ContractUpdate,
    VersionFields,
)
from cloud.leasing.contracts.service import (
    WRITE_ROLES,
    current_version,
    get_contract,
    open_version,
    summary,
)
from cloud.leasing.models import Lease
from cloud.leasing.terms_schemas import ContractTerms
from cloud.properties.models import Unit


def next_code(*, session: Session, actor: Actor, year: int) -> str:
    """`HT-{year}-NNNN`, one more than the highest such contract or lease code of the org."""
    prefix = f"HT-{year}-"
    codes = union_all(
        select(Contract.code).where(
            Contract.org_id == actor.org_id, Contract.code.startswith(prefix)
        ),
        select(Lease.code).where(Lease.org_id == actor.org_id, Lease.code.startswith(prefix)),
    )
    numbers = [int(c[len(prefix) :]) for c in session.scalars(codes) if c[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def create_contract(*, session: Session, actor: Actor, data: ContractCreate) -> Contract:
    """A new draft contract (version 1) for a tenant of the org; staff and admins."""
    require_role(actor, *WRITE_ROLES)
    tenant = leasing_service.get_tenant(session=session, actor=actor, code=data.tenant_code)
    year = identity_service.org_today(session=session, actor=actor).year
    code = data.code or next_code(session=session, actor=actor, year=year)
    _check_code_free(session, actor, code)
    terms = with_code(data.terms, code)
    contract = Contract(
        org_id=actor.org_id,
        code=code,
        tenant_id=tenant.id,
        status=ContractStatus.draft,
        start_date=terms.lease_start,
        end_date=terms.end,
        created_by_id=actor.user_id,
    )
    version = ContractVersion(
        org_id=actor.org_id,
        number=1,
        status=VersionStatus.draft,
        electricity_tariff=data.electricity_tariff,
        deposits=[],
        created_by_id=actor.user_id,
    )
    set_terms(session, actor, version, terms)
    set_fields(version, data)
    contract.versions.append(version)
    session.add(contract)
    session.flush()
    return contract


def update_draft(*, session: Session, actor: Actor, code: str, data: ContractUpdate) -> Contract:
    """Change the open draft: the original before submission, or a draft amendment."""
    require_role(actor, *WRITE_ROLES)
    contract = get_contract(session=session, actor=actor, code=code)
    version = draft_version(contract, "edited")
    amendment = version.number > 1
    if data.tenant_code is not None:
        if amendment:
            raise Invalid("an amendment keeps the contract's tenant", field="tenant_code")
        contract.tenant_id = leasing_service.get_tenant(
            session=session, actor=actor, code=data.tenant_code
        ).id
    if data.effective_from is not None:
        if not amendment:
            raise Invalid("only an amendment has an effective date", field="effective_from")
        version.effective_from = data.effective_from
    if data.terms is not None:
        set_terms(session, actor, version, with_code(data.terms, contract.code))
    if data.note is not None:
        version.note = data.note
    set_fields(version, data)
    if amendment:
        check_amendment(contract, version)
    else:
        contract.start_date, contract.end_date = version.lease_start, version.end_date
    session.flush()
    return contract


def delete_draft(*, session: Session, actor: Actor, code: str) -> ContractSummary:
    """Delete a draft contract (never signed), or discard a draft amendment; returns what the
    contract was (deleted) or is now (amendment discarded)."""
    require_role(actor, *WRITE_ROLES)
    contract = get_contract(session=session, actor=actor, code=code)
    version = draft_version(contract, "deleted")
    if version.number == 1:
        gone = summary(contract)
        session.delete(contract)
        session.flush()
        return gone
    contract.versions.remove(version)
    session.flush()
    return summary(contract)


def draft_version(contract: Contract, doing: str) -> ContractVersion:
    """The open version if it is a draft; Conflict otherwise (only a draft may change)."""
    version = open_version(contract)
    if version is None or version.status != VersionStatus.draft:
        state = version.status if version else contract.status
        raise Conflict(f"contract {contract.code} is {state}; only a draft may be {doing}")
    return version


def set_terms(
    session: Session, actor: Actor, version: ContractVersion, terms: ContractTerms
) -> None:
    """Store validated terms on a version, with the columns queries need (dates, units)."""
    codes = [unit.code for unit in terms.units]
    if len(set(codes)) != len(codes):
        raise Invalid("a unit is listed twice", field="terms.units")
    units = list(
        session.scalars(select(Unit).where(Unit.org_id == actor.org_id, Unit.code.in_(codes)))
    )
    missing = sorted(set(codes) - {unit.code for unit in units})
    if missing:
        raise Invalid(f"no unit {', '.join(missing)} in this org", field="terms.units")
    version.terms = terms.model_dump(mode="json", by_alias=True)
    version.lease_start, version.rent_start = terms.lease_start, terms.rent_start
    version.end_date = terms.end
    version.units = units


def set_fields(version: ContractVersion, data: VersionFields) -> None:
    """Copy the given tariff, deposits and texts onto a draft version."""
    if data.electricity_tariff is not None:
        version.electricity_tariff = data.electricity_tariff
    if data.deposits is not None:
        version.deposits = [d.model_dump(mode="json") for d in data.deposits]
    if data.usage_restrictions is not None:
        version.usage_restrictions = data.usage_restrictions
    if data.special_clauses is not None:
        version.special_clauses = data.special_clauses


def check_amendment(contract: Contract, version: ContractVersion) -> None:
    """An amendment keeps the lease start and takes effect inside its own term."""
    base = current_version(contract)
    if version.lease_start != base.lease_start:
        raise Invalid(
            f"an amendment keeps the lease start {base.lease_start}; a new start is a new contract",
            field="terms.lease_start",
        )
    effective = version.effective_from
    if effective is None or not version.lease_start <= effective <= version.end_date:
        raise Invalid(
            f"the effective date must lie in {version.lease_start}..{version.end_date}",
            field="effective_from",
        )


def with_code(terms: ContractTerms, code: str) -> ContractTerms:
    """The terms naming contract `code`; Invalid when they name another."""
    if terms.code not in (None, code):
        raise Invalid(f"the terms name contract {terms.code}, not {code}", field="terms.code")
    return terms.model_copy(update={"code": code})


def _check_code_free(session: Session, actor: Actor, code: str) -> None:
    for model in (Contract, Lease):
        if session.scalar(select(model.id).where(model.org_id == actor.org_id, model.code == code)):
            raise Conflict(f"code {code} is taken by a {model.__name__.lower()}")


def validated(terms: dict[str, Any], field: str) -> ContractTerms:
    """Terms a service built itself (renewal), validated; Invalid naming `field` if not."""
    try:
        return ContractTerms.model_validate(terms)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise Invalid(f"{first['msg']}", field=field) from None

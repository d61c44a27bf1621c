"""Amendments (a new version of a contract in force) and renewals (a new contract after it).

An amendment restates the whole contract: its terms are compiled entire, and from its
effective date D on its schedule replaces the unposted stored charges ending on or after D
(`charges.plan`). It keeps the lease start and the tenant; a change of price from D is best
written as a step from D, so the period around D is charged at the old price before D.

A renewal is a draft contract linked to the old one (`renewal_of`), from the day after the old
end for as many whole months as the old term (or to a chosen end), for the same tenant and
units, at each item's price in force on the old contract's last day (to the fen), with its
periodic escalations, deposits, tariff and clauses; step tables and free rent are left out.
Staff edit the draft before submitting it.
"""

from datetime import date, timedelta

from sqlalchemy.orm import Session

from cloud.errors import Conflict, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.leasing.contracts import charges, drafts, service, tenancy
from cloud.leasing.contracts.models import (
    Contract,
    ContractStatus,
    ContractVersion,
    VersionStatus,
)
from cloud.leasing.contracts.schemas import (
    AmendmentCreate,
    ContractCreate,
    Deposit,
    RenewalCreate,
    ScheduleDiff,
)
from cloud.leasing.terms import add_months, compile_schedule, price_on, to_fen
from cloud.leasing.terms_schemas import ContractTerms, PeriodicEscalation

ONE_DAY = timedelta(days=1)


def amend(*, session: Session, actor: Actor, code: str, data: AmendmentCreate) -> Contract:
    """A draft amendment of a contract in force, from the terms in force unless given."""
    require_role(actor, *service.WRITE_ROLES)
    contract = service.get_contract(session=session, actor=actor, code=code)
    if contract.status not in service.IN_FORCE:
        raise Conflict(f"contract {code} is {contract.status}; only one in force is amended")
    opened = service.open_version(contract)
    if opened is not None:
        raise Conflict(f"contract {code} already has amendment {opened.number} ({opened.status})")
    base = service.current_version(contract)
    version = ContractVersion(
        org_id=contract.org_id,
        number=contract.versions[-1].number + 1,
        status=VersionStatus.draft,
        electricity_tariff=base.electricity_tariff,
        deposits=list(base.deposits),
        usage_restrictions=base.usage_restrictions,
        special_clauses=base.special_clauses,
        effective_from=data.effective_from
        or identity_service.org_today(session=session, actor=actor),
        note=data.note,
        created_by_id=actor.user_id,
    )
    terms = drafts.with_code(data.terms or service.terms_of(base), code)
    drafts.set_terms(session, actor, version, terms)
    drafts.set_fields(version, data)
    contract.versions.append(version)
    drafts.check_amendment(contract, version)
    session.flush()
    return contract


def amendment_diff(*, session: Session, actor: Actor, code: str) -> ScheduleDiff:
    """What signing the open amendment would change in the stored charges, from its date on."""
    contract = service.get_contract(session=session, actor=actor, code=code)
    version = _open_amendment(contract)
    return _plan(session, contract, version).diff()


def apply_amendment(session: Session, contract: Contract, version: ContractVersion) -> None:
    """Signing an amendment: leases follow it, unposted charges from its date are regenerated,
    and the version in force until now is superseded."""
    terms = service.terms_of(version)
    assert version.effective_from is not None
    tenancy.sync_leases(session, contract, version, terms, version.effective_from)
    charges.apply(session, contract, version, _plan(session, contract, version))
    service.current_version(contract).status = VersionStatus.superseded
    contract.start_date, contract.end_date = terms.lease_start, terms.end


def _plan(session: Session, contract: Contract, version: ContractVersion) -> charges.Plan:
    assert version.effective_from is not None
    schedule = compile_schedule(service.terms_of(version))
    return charges.plan(charges.stored(session, contract), schedule, version.effective_from)


def _open_amendment(contract: Contract) -> ContractVersion:
    version = service.open_version(contract)
    if version is None or version.number == 1:
        raise NotFound(f"contract {contract.code} has no open amendment")
    return version


def renew(*, session: Session, actor: Actor, code: str, data: RenewalCreate) -> Contract:
    """A draft renewal of a contract in force, starting the day after it ends."""
    require_role(actor, *service.WRITE_ROLES)
    old = service.get_contract(session=session, actor=actor, code=code)
    if old.status not in service.IN_FORCE:
        raise Conflict(f"contract {code} is {old.status}; only one in force is renewed")
    live = [c for c in service.renewals(session, old) if c.status != ContractStatus.terminated]
    if live:
        raise Conflict(f"contract {code} is already renewed by {live[0].code}")
    base = service.current_version(old)
    terms = renewal_terms(service.terms_of(base), end=data.end)
    renewal = drafts.create_contract(
        session=session,
        actor=actor,
        data=ContractCreate(
            code=data.code,
            tenant_code=old.tenant.code,
            terms=terms,
            electricity_tariff=base.electricity_tariff,
            deposits=[Deposit.model_validate(d) for d in base.deposits],
            usage_restrictions=base.usage_restrictions,
            special_clauses=base.special_clauses,
        ),
    )
    renewal.renewal_of_id = old.id
    renewal.versions[0].note = f"renewal of {old.code}"
    session.flush()
    return renewal


def renewal_terms(old: ContractTerms, *, end: date | None = None) -> ContractTerms:
    """The terms a renewal starts from (see the module); Invalid naming `end` if they fail."""
    start = old.end + ONE_DAY
    items = [
        item.model_copy(
            update={
                "price": to_fen(price_on(old, item, old.end)),
                "escalation": item.escalation
                if isinstance(item.escalation, PeriodicEscalation)
                else None,
            }
        )
        for item in old.fee_items
    ]
    renewed = old.model_copy(
        update={
            "code": None,
            "lease_start": start,
            "rent_start": start,
            "end": end or add_months(start, _whole_months(old)) - ONE_DAY,
            "fee_items": items,
            "free_rent": [],
        }
    )
    return drafts.validated(renewed.model_dump(mode="json", by_alias=True), field="end")


def _whole_months(terms: ContractTerms) -> int:
    """Whole months from lease start to the day after the end (at least one)."""
    start, after = terms.lease_start, terms.end + ONE_DAY
    months = (after.year - start.year) * 12 + after.month - start.month
    if after.day < start.day:
        months -= 1
    return max(1, months)

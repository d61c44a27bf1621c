"""Early termination of a contract in force, with its settlement (退租结算).

The contract ends on `last_day` (org-local, before its end). Its terms in force compiled with
that end give the prorated last period, and the stored charges are regenerated from the last
day on (`charges.plan`): unposted ones after it are deleted, the unposted one across it becomes
the prorated one. The settlement then lists, each as a stored line:

1. outstanding: every charge still unposted (up to the last day, the prorated one included);
   the settlement posts them, so billing does not bill them a second time;
2. credit: for a posted charge reaching past the last day, the part not used (prorated minus
   posted; all of it when its period starts after the last day), negative;
3. penalty (违约金), when one is agreed;
4. deposit: each deposit held, negative: offset against the balance.

The total is their sum: positive, the tenant pays it; negative, the tenant is refunded.
Every lease of the contract ends on the last day.
"""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.leasing.contracts import charges, service, tenancy, unit_status
from cloud.leasing.contracts.models import (
    Contract,
    ContractStatus,
    Settlement,
    SettlementLine,
    SettlementLineKind,
)
from cloud.leasing.contracts.schemas import SettlementLineRead, SettlementRead, Termination
from cloud.leasing.terms import Charge, compile_schedule
from cloud.leasing.terms_schemas import ContractTerms

ONE_DAY = timedelta(days=1)


def compile_until(terms: ContractTerms, last_day: date) -> list[Charge]:
    """The schedule of `terms` cut short on `last_day` (which may even precede rent start)."""
    cut = terms.model_copy(update={"end": last_day})  # no re-validation: end < rent_start is fine
    return [row for row in compile_schedule(cut) if row.period_start <= row.period_end]


def terminate(*, session: Session, actor: Actor, code: str, data: Termination) -> SettlementRead:
    """End a contract in force early and store its settlement (see the module)."""
    require_role(actor, *service.WRITE_ROLES)
    contract = service.get_contract(session=session, actor=actor, code=code)
    if contract.status not in service.IN_FORCE:
        raise Conflict(f"contract {code} is {contract.status}; only one in force is terminated")
    opened = service.open_version(contract)
    if opened is not None:
        raise Conflict(f"amendment {opened.number} of {code} is open; sign or delete it first")
    version = service.current_version(contract)
    terms = service.terms_of(version)
    if not terms.lease_start <= data.last_day < terms.end:
        raise Invalid(
            f"an early last day lies in {terms.lease_start}..{terms.end - ONE_DAY} (the lease "
            f"runs to {terms.end})",
            field="last_day",
        )
    change = charges.plan(
        charges.stored(session, contract), compile_until(terms, data.last_day), data.last_day
    )
    charges.apply(session, contract, version, change)
    settlement = Settlement(
        org_id=contract.org_id,
        contract_id=contract.id,
        version_id=version.id,
        last_day=data.last_day,
        reason=data.reason,
        total=Decimal("0.00"),
        created_by_id=actor.user_id,
    )
    session.add(settlement)
    session.flush()
    lines = _outstanding(session, contract, settlement, data.last_day) + _credits(change)
    if data.penalty > 0:
        lines.append(
            SettlementLine(kind=SettlementLineKind.penalty, item="penalty", amount=data.penalty)
        )
    for deposit in version.deposits:
        lines.append(
            SettlementLine(
                kind=SettlementLineKind.deposit,
                item=deposit["item"],
                amount=-Decimal(deposit["amount"]),
            )
        )
    for position, line in enumerate(lines, 1):
        line.position = position
    settlement.lines.extend(lines)
    settlement.total = sum((line.amount for line in lines), Decimal("0.00"))
    tenancy.end_leases(session, contract, data.last_day)
    contract.status, contract.terminated_on = ContractStatus.terminated, data.last_day
    today = identity_service.org_today(session=session, actor=actor)
    unit_status.terminated(session, contract, data.last_day, today)
    session.flush()
    return settlement_read(contract, settlement)


def get_settlement(*, session: Session, actor: Actor, code: str) -> SettlementRead:
    """The settlement of a contract terminated early."""
    contract = service.get_contract(session=session, actor=actor, code=code)
    settlement = session.scalar(
        select(Settlement).where(
            Settlement.org_id == contract.org_id, Settlement.contract_id == contract.id
        )
    )
    if settlement is None:
        raise NotFound(f"contract {code} has no settlement")
    return settlement_read(contract, settlement)


def settlement_read(contract: Contract, settlement: Settlement) -> SettlementRead:
    return SettlementRead(
        contract_code=contract.code,
        last_day=settlement.last_day,
        reason=settlement.reason,
        lines=[
            SettlementLineRead(
                kind=line.kind,
                item=line.item,
                period_start=line.period_start,
                period_end=line.period_end,
                amount=line.amount,
            )
            for line in settlement.lines
        ],
        total=settlement.total,
        created_at=settlement.created_at,
    )


def _outstanding(
    session: Session, contract: Contract, settlement: Settlement, last_day: date
) -> list[SettlementLine]:
    """Lines for the unposted charges up to the last day, which the settlement now posts."""
    lines = []
    for charge in charges.stored(session, contract):
        if charge.posted or charge.period_start > last_day:
            continue
        charge.posted, charge.settlement_id = True, settlement.id
        lines.append(
            SettlementLine(
                kind=SettlementLineKind.outstanding,
                item=charge.item,
                period_start=charge.period_start,
                period_end=charge.period_end,
                amount=charge.amount,
            )
        )
    return lines


def _credits(change: charges.Plan) -> list[SettlementLine]:
    """Lines giving back what posted charges cover past the last day."""
    lines = []
    for line in change.lines:
        if line.applied or line.old is None or not line.old.posted:
            continue
        new_amount = line.new.amount if line.new else Decimal("0.00")
        lines.append(
            SettlementLine(
                kind=SettlementLineKind.credit,
                item=line.old.item,
                period_start=line.old.period_start,
                period_end=line.old.period_end,
                amount=new_amount - line.old.amount,
            )
        )
    return lines

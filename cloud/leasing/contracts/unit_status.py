"""How a contract's steps drive its units' dated statuses (`properties.status.LEASE_STATUSES`):

- signed before the lease starts: reserved from the signing day (unless an earlier tenant still
  lets the unit), leased from the lease start; signed once it has started: leased from its start;
- activated: in operation from that day;
- terminated early: moving out from the termination day, vacant from the day after the last day;
- expired: vacant from the day after the end;
- amended: a unit it drops is vacant from its effective date, a unit it adds is let from then
  (reserved until then, if that is later than the signing day).

A unit another lease already covers on the day it would fall vacant (the next tenant, or a
renewal) is left to that lease's own contract.
"""

from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloud.leasing.contracts import service
from cloud.leasing.contracts.models import Contract, ContractVersion
from cloud.leasing.models import Lease
from cloud.properties.models import Unit
from cloud.properties.status import LEASE_STATUSES, follow_contract

ONE_DAY = timedelta(days=1)


def signed(session: Session, version: ContractVersion, today: date) -> None:
    start = service.terms_of(version).lease_start
    for unit in version.units:
        if start > today:
            status = LEASE_STATUSES.signed_before_start
            follow_contract(session=session, unit=unit, status=status, on=today, when_let=False)
        follow_contract(session=session, unit=unit, status=LEASE_STATUSES.lease_started, on=start)


def amended(
    session: Session,
    contract: Contract,
    before: list[Unit],
    version: ContractVersion,
    today: date,
) -> None:
    assert version.effective_from is not None
    kept = {unit.id for unit in version.units}
    for unit in before:
        if unit.id not in kept:
            _vacate(session, contract, unit, version.effective_from)
    had = {unit.id for unit in before}
    start = max(version.effective_from, service.terms_of(version).lease_start)
    for unit in version.units:
        if unit.id in had:
            continue
        if start > today:
            status = LEASE_STATUSES.signed_before_start
            follow_contract(session=session, unit=unit, status=status, on=today, when_let=False)
        follow_contract(session=session, unit=unit, status=LEASE_STATUSES.lease_started, on=start)


def activated(session: Session, contract: Contract, today: date) -> None:
    for unit in service.current_version(contract).units:
        follow_contract(session=session, unit=unit, status=LEASE_STATUSES.active, on=today)


def terminated(session: Session, contract: Contract, last_day: date, today: date) -> None:
    for unit in service.current_version(contract).units:
        if last_day >= today:
            status = LEASE_STATUSES.terminated
            follow_contract(session=session, unit=unit, status=status, on=today)
        _vacate(session, contract, unit, last_day + ONE_DAY)


def expired(session: Session, contract: Contract) -> None:
    for unit in service.current_version(contract).units:
        _vacate(session, contract, unit, contract.end_date + ONE_DAY)


def _vacate(session: Session, contract: Contract, unit: Unit, on: date) -> None:
    other = session.scalar(
        select(Lease.id).where(
            Lease.org_id == contract.org_id,
            Lease.unit_id == unit.id,
            or_(Lease.contract_id.is_(None), Lease.contract_id != contract.id),
            Lease.start_date <= on,
            Lease.end_date >= on,
        )
    )
    if other is None:
        follow_contract(session=session, unit=unit, status=LEASE_STATUSES.ended, on=on)

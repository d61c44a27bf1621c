"""Where a billing run's lines come from, besides meters: the contracts' scheduled charges,
the monthly rent of leases entered without a contract, and chargeable work orders."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import tariffs
from cloud.billing.schemas import RunLine
from cloud.leasing.contracts.models import ContractCharge
from cloud.leasing.models import Lease, Tenant
from cloud.properties.models import Building, Site, Unit
from cloud.workorders.models import ChargeStatus, WorkOrderCharge

RENT = "租金"
WORK = "维修费"


@dataclass(frozen=True, slots=True)
class Tenancy:
    """What a run needs of a lease."""

    id: int
    code: str
    unit_id: int
    unit_code: str
    tenant_id: int
    tenant_code: str
    start_date: date
    end_date: date
    monthly_rent: Decimal
    electricity_tariff: Decimal
    contract_id: int | None


def months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def tenancies(
    session: Session, org_id: int, site: Site | None, first: date, last: date
) -> list[Tenancy]:
    """The leases running in [first, last] (of one site), as plain rows: a run over thousands
    of leases should not build their ORM graphs."""
    stmt = (
        select(
            Lease.id,
            Lease.code,
            Lease.unit_id,
            Unit.code,
            Lease.tenant_id,
            Tenant.code,
            Lease.start_date,
            Lease.end_date,
            Lease.monthly_rent,
            Lease.electricity_tariff,
            Lease.contract_id,
        )
        .join(Unit, Unit.id == Lease.unit_id)
        .join(Tenant, Tenant.id == Lease.tenant_id)
        .where(Lease.org_id == org_id, Lease.start_date <= last, Lease.end_date >= first)
    )
    if site is not None:
        stmt = stmt.join(Building, Building.id == Unit.building_id)
        stmt = stmt.where(Building.site_id == site.id)
    return [Tenancy(*row) for row in session.execute(stmt.order_by(Lease.id))]


def contract_lines(
    session: Session, org_id: int, leases: Sequence[Tenancy], first: date, last: date
) -> list[RunLine]:
    """The contracts' unposted scheduled charges falling due in the period."""
    by_contract: dict[int, Tenancy] = {}
    for lease in leases:
        if lease.contract_id is not None:
            by_contract.setdefault(lease.contract_id, lease)
    if not by_contract:
        return []
    charges = session.scalars(
        select(ContractCharge).where(
            ContractCharge.org_id == org_id,
            ContractCharge.due_date >= first,
            ContractCharge.due_date <= last,
            ContractCharge.posted.is_(False),
            ContractCharge.contract_id.in_(list(by_contract)),
        )
    )
    return [
        _line(
            by_contract[c.contract_id],
            f"cc:{c.id}",
            c.item,
            c.amount,
            c.due_date,
            (c.period_start, c.period_end),
        )
        for c in charges
    ]


def _line(
    lease: Tenancy, key: str, item: str, amount: Decimal, due: date, span: tuple[date, date]
) -> RunLine:
    return RunLine(
        source_key=key,
        tenant_id=lease.tenant_id,
        tenant_code=lease.tenant_code,
        lease_id=lease.id,
        lease_code=lease.code,
        contract_id=lease.contract_id,
        unit_id=lease.unit_id,
        unit_code=lease.unit_code,
        item=item,
        amount=amount,
        due_date=due,
        period_start=span[0],
        period_end=span[1],
    )


def rent_lines(leases: Sequence[Tenancy], first: date, last: date, due: date) -> list[RunLine]:
    """Leases entered without a contract: their monthly rent, prorated by the days let."""
    days = (last - first).days + 1
    count = Decimal(len(months(first, last)))
    lines = []
    for lease in leases:
        if lease.contract_id is not None:
            continue
        start, end = max(first, lease.start_date), min(last, lease.end_date)
        amount = (lease.monthly_rent * count * ((end - start).days + 1) / days).quantize(
            tariffs.FEN, ROUND_HALF_UP
        )
        if amount > 0:
            lines.append(_line(lease, f"rent:{lease.id}:{first}", RENT, amount, due, (start, end)))
    return lines


def work_lines(
    session: Session, org_id: int, leases: Sequence[Tenancy], last: date, due: date
) -> list[RunLine]:
    """Pending charges of verified chargeable work, onto the tenant's next bill."""
    by_tenant: dict[int, Tenancy] = {}
    for lease in leases:
        by_tenant.setdefault(lease.tenant_id, lease)
    charges = session.scalars(
        select(WorkOrderCharge).where(
            WorkOrderCharge.org_id == org_id, WorkOrderCharge.status == ChargeStatus.pending
        )
    )
    return [
        _line(by_tenant[c.tenant_id], f"wo:{c.id}", WORK, c.amount, due, (last, last)).model_copy(
            update={"detail": {"work": c.description}}
        )
        for c in charges
        if c.tenant_id in by_tenant
    ]

"""How a signed contract maps to `Lease` rows, which electricity billing and tenant visibility read.

- Signing makes one lease per unit of the version, over [lease_start, end], for the contract's
  tenant at the version's electricity tariff. The first lease takes the contract's code, each
  further one `{code}-{n}` (lease codes are unique per org, like contract codes).
- A signed amendment keeps them in step from its effective date D: a unit it keeps gets the new
  end, tariff and rent; a unit it drops ends on D - 1; a unit it adds gets a new lease from D
  (or the lease start, if later).
- Early termination ends every lease on the last day; a lease that had not begun is deleted.
- No lease of a unit may overlap another lease of it in dates (`check_unit_free`).
- `monthly_rent` is for people: the rent items' monthly amount at the prices in force on rent
  start (after an amendment, on its effective date), before free rent, shared among the units
  by area (largest remainder, so the leases' rents add up to the contract's to the fen).
"""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.leasing import service as leasing_service
from cloud.leasing.contracts.models import Contract, ContractVersion
from cloud.leasing.models import Lease
from cloud.leasing.terms import monthly_amount, to_fen
from cloud.leasing.terms_schemas import ContractTerms
from cloud.properties.models import Unit

ONE_DAY = timedelta(days=1)


def unit_rents(terms: ContractTerms, on: date | None = None) -> dict[str, Decimal]:
    """Each unit's share of a month's rent at the prices in force `on` (default: rent start),
    to the fen, the shares adding up to the whole."""
    on = max(on or terms.rent_start, terms.rent_start)
    shares = {unit.code: Fraction(0) for unit in terms.units}
    for item in terms.fee_items:
        if item.kind != "rent":
            continue
        monthly = monthly_amount(terms, item, on)
        areas = {u.code: Fraction(getattr(u, item.area_type)) for u in terms.units}
        whole = sum(areas.values(), Fraction(0))
        for code, area in areas.items():
            shares[code] += monthly * (area / whole if whole else Fraction(1, len(areas)))
    return split_to_fen(shares)


def split_to_fen(shares: dict[str, Fraction]) -> dict[str, Decimal]:
    """Round non-negative exact shares to the fen by largest remainder: they sum to the total
    rounded once (half up), and no share moves by a whole fen or more."""
    total_fen = int(to_fen(sum(shares.values(), Fraction(0))) * 100)
    fen = {key: int(share * 100) for key, share in shares.items()}  # floor, shares are >= 0
    order = sorted(shares, key=lambda key: shares[key] * 100 - fen[key], reverse=True)
    for key in order[: total_fen - sum(fen.values())]:
        fen[key] += 1
    return {key: Decimal(value).scaleb(-2) for key, value in fen.items()}


def leases_of(session: Session, contract: Contract) -> list[Lease]:
    return list(
        session.scalars(
            select(Lease)
            .where(Lease.org_id == contract.org_id, Lease.contract_id == contract.id)
            .order_by(Lease.start_date, Lease.id)
        )
    )


def create_leases(
    session: Session, contract: Contract, version: ContractVersion, terms: ContractTerms
) -> list[Lease]:
    """The leases of a contract being signed (Conflict when a unit is let then)."""
    rents = unit_rents(terms)
    return [
        _new_lease(session, contract, version, unit, terms.lease_start, terms.end, rents)
        for unit in _units_in_terms_order(version, terms)
    ]


def sync_leases(
    session: Session,
    contract: Contract,
    version: ContractVersion,
    terms: ContractTerms,
    effective_from: date,
) -> None:
    """Bring the contract's leases in line with a signed amendment (see the module)."""
    rents = unit_rents(terms, effective_from)
    latest = {lease.unit_id: lease for lease in leases_of(session, contract)}  # by start date
    kept_ids = {unit.id for unit in version.units}
    for unit_id, dropped in latest.items():
        if unit_id not in kept_ids and dropped.end_date >= effective_from:
            _set_end(session, dropped, effective_from - ONE_DAY)
    for unit in _units_in_terms_order(version, terms):
        lease: Lease | None = latest.get(unit.id)
        if lease is None or lease.end_date < effective_from - ONE_DAY:
            start = max(effective_from, terms.lease_start)
            _new_lease(session, contract, version, unit, start, terms.end, rents)
            continue
        if terms.end > lease.end_date:
            leasing_service.check_unit_free(
                session=session,
                unit=unit,
                start=lease.start_date,
                end=terms.end,
                except_contract_id=contract.id,
            )
        lease.monthly_rent = rents[unit.code]
        lease.electricity_tariff = version.electricity_tariff
        _set_end(session, lease, terms.end)
    session.flush()


def end_leases(session: Session, contract: Contract, last_day: date) -> None:
    """Early termination: no lease of the contract runs past `last_day`."""
    for lease in leases_of(session, contract):
        if lease.end_date > last_day:
            _set_end(session, lease, last_day)
    session.flush()


def _set_end(session: Session, lease: Lease, end: date) -> None:
    if end < lease.start_date:
        session.delete(lease)  # it never began
    else:
        lease.end_date = end


def _units_in_terms_order(version: ContractVersion, terms: ContractTerms) -> list[Unit]:
    by_code = {unit.code: unit for unit in version.units}
    return [by_code[unit.code] for unit in terms.units]


def _next_lease_code(session: Session, contract: Contract) -> str:
    """The contract's code for its first lease, then `{code}-2`, `{code}-3`, … (the first free)."""
    taken = set(
        session.scalars(
            select(Lease.code).where(
                Lease.org_id == contract.org_id,
                Lease.code.startswith(contract.code, autoescape=True),
            )
        )
    )
    if contract.code not in taken and not leases_of(session, contract):
        return contract.code
    n = 2
    while f"{contract.code}-{n}" in taken:
        n += 1
    return f"{contract.code}-{n}"


def _new_lease(
    session: Session,
    contract: Contract,
    version: ContractVersion,
    unit: Unit,
    start: date,
    end: date,
    rents: dict[str, Decimal],
) -> Lease:
    leasing_service.check_unit_free(
        session=session, unit=unit, start=start, end=end, except_contract_id=contract.id
    )
    lease = Lease(
        org_id=contract.org_id,
        code=_next_lease_code(session, contract),
        unit_id=unit.id,
        tenant_id=contract.tenant_id,
        start_date=start,
        end_date=end,
        monthly_rent=rents[unit.code],
        electricity_tariff=version.electricity_tariff,
        contract_id=contract.id,
    )
    session.add(lease)
    session.flush()
    return lease

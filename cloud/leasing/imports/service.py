"""Import a workbook of tenants, units and contracts, all or nothing; export the same shape.

Every row goes through the same service function the API and the UI call (`create_tenant`,
`create_unit`, `create_contract`), inside one savepoint, so an import obeys exactly the rules a
person typing the rows in would. A row's problem is recorded with its sheet and row number and
the next row goes on, so one run reports every bad row. A dry run, or any problem, rolls the
savepoint back: nothing of the file stays behind. Contracts come in as drafts (they still go
through approval and signing).
"""

import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Invalid, ParkopsError
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing import service as leasing_service
from cloud.leasing.contracts import drafts
from cloud.leasing.contracts import service as contracts_service
from cloud.leasing.contracts.models import Contract
from cloud.leasing.contracts.schemas import ContractCreate
from cloud.leasing.imports import sheets
from cloud.leasing.imports.schemas import ImportReport, RowProblem
from cloud.leasing.models import Tenant
from cloud.leasing.schemas import TenantCreate
from cloud.leasing.terms_schemas import ContractTerms
from cloud.properties import service as properties_service
from cloud.properties.models import Building, Site, Unit, UnitStatusPeriod
from cloud.properties.schemas import UnitCreate

ROLES = (Role.admin, Role.staff)
Progress = Callable[[int, int], None]
"""Called with (rows done, rows in all) after each row."""


def import_workbook(
    *,
    session: Session,
    actor: Actor,
    content: bytes,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row of the workbook and, unless it is a dry run or a row has a problem,
    store them all."""
    require_role(actor, *ROLES)
    rows = sheets.read_rows(content)
    problems: list[RowProblem] = []
    good = {sheet: 0 for sheet in sheets.COLUMNS}
    with session.begin_nested() as savepoint:
        for done, row in enumerate(rows, start=1):
            try:
                _import_row(session, actor, row)
                good[row.sheet] += 1
            except (ParkopsError, ValidationError) as exc:
                code = row.values.get("code")
                problems.append(
                    RowProblem(sheet=row.sheet, row=row.number, code=code, reason=_reason(exc))
                )
            if progress is not None:
                progress(done, len(rows))
        applied = not dry_run and not problems
        if not applied:
            savepoint.rollback()
    return ImportReport(
        dry_run=dry_run, applied=applied, rows=len(rows), good=good, problems=problems
    )


def _reason(exc: ParkopsError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    field = getattr(exc, "field", None)
    return f"{field}: {exc}" if field else str(exc)


def _import_row(session: Session, actor: Actor, row: sheets.Row) -> None:
    values = row.values
    if row.sheet == "tenants":
        data = TenantCreate.model_validate(values)
        leasing_service.create_tenant(session=session, actor=actor, data=data)
    elif row.sheet == "units":
        unit = UnitCreate.model_validate(values)
        properties_service.create_unit(session=session, actor=actor, data=unit)
    else:
        contract = _contract_create(session, actor, values)
        drafts.create_contract(session=session, actor=actor, data=contract)


def _contract_create(session: Session, actor: Actor, values: dict[str, str]) -> ContractCreate:
    """A contract row as a draft: its `terms_json` when it has one (what an export writes),
    otherwise terms made of its units, dates, rent and property fee per m² per month."""
    if "terms_json" in values:
        terms = ContractTerms.model_validate_json(values["terms_json"])
    else:
        terms = ContractTerms.model_validate(_simple_terms(session, actor, values))
    fields = {
        key: values[key]
        for key in (
            "code",
            "tenant_code",
            "electricity_tariff",
            "usage_restrictions",
            "special_clauses",
        )
        if key in values
    }
    return ContractCreate.model_validate(
        fields | {"terms": terms, "deposits": _deposits(values.get("deposits", ""))}
    )


def _simple_terms(session: Session, actor: Actor, values: dict[str, str]) -> dict[str, Any]:
    codes = [c.strip() for c in values.get("unit_codes", "").split(",") if c.strip()]
    if not codes:
        raise Invalid("a contract needs at least one unit", field="unit_codes")
    units = {
        u.code: u
        for u in session.scalars(
            select(Unit).where(Unit.org_id == actor.org_id, Unit.code.in_(codes))
        )
    }
    unknown = [c for c in codes if c not in units]
    if unknown:
        raise Invalid(f"unknown unit {', '.join(unknown)}", field="unit_codes")
    fee_items = [_fee("rent", "rent", values.get("rent_per_m2_month"))]
    if values.get("property_fee_per_m2_month"):
        fee_items.append(_fee("property fee", "property_fee", values["property_fee_per_m2_month"]))
    return {
        "lease_start": values.get("lease_start"),
        "rent_start": values.get("rent_start") or values.get("lease_start"),
        "end": values.get("end"),
        "units": [_unit_area(units[c]) for c in codes],
        "fee_items": fee_items,
        "payment_cycle": values.get("payment_cycle", "monthly"),
    }


def _fee(name: str, kind: str, price: str | None) -> dict[str, Any]:
    return {"name": name, "kind": kind, "pricing": "per_m2_per_month", "price": price}


def _unit_area(unit: Unit) -> dict[str, str]:
    rentable = unit.rentable_area_m2
    return {
        "code": unit.code,
        "gross": str(unit.gross_area_m2 or rentable),
        "net": str(unit.net_area_m2 or rentable),
        "rentable": str(rentable),
    }


def _deposits(text: str) -> list[dict[str, str]]:
    """`rent=20000; property fee=2000` as deposits."""
    deposits = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        item, sep, amount = part.rpartition("=")
        if not sep or not item.strip():
            raise Invalid(f"deposit {part!r} is not item=amount", field="deposits")
        deposits.append({"item": item.strip(), "amount": amount.strip()})
    return deposits


# --- export ----------------------------------------------------------------------------------


def export_workbook(*, session: Session, actor: Actor) -> bytes:
    """The org's tenants, units (not retired) and contracts, in the shape the import reads."""
    require_role(actor, *ROLES)
    tenants = session.scalars(
        select(Tenant).where(Tenant.org_id == actor.org_id).order_by(Tenant.code)
    )
    units = properties_service.list_units(session=session, actor=actor)
    contracts = contracts_service.list_contracts(session=session, actor=actor)
    return sheets.write_workbook(
        {
            "tenants": [{"code": t.code, "name": t.name} for t in tenants],
            "units": [_unit_row(session, u) for u in units],
            "contracts": [_contract_row(c) for c in contracts],
        }
    )


def _unit_row(session: Session, unit: Unit) -> dict[str, object]:
    building = session.get_one(Building, unit.building_id)
    site = session.get_one(Site, building.site_id)
    first = session.scalar(
        select(UnitStatusPeriod.from_date)
        .where(UnitStatusPeriod.unit_id == unit.id)
        .order_by(UnitStatusPeriod.from_date)
        .limit(1)
    )
    return {
        "code": unit.code,
        "site_code": site.code,
        "building_code": building.code,
        "floor": unit.floor.level,
        "kind": str(unit.kind),
        "rentable_area_m2": unit.rentable_area_m2,
        "gross_area_m2": unit.gross_area_m2,
        "net_area_m2": unit.net_area_m2,
        "active_from": first,
    }


def _contract_row(contract: Contract) -> dict[str, object]:
    version = contracts_service.current_version(contract)
    terms = contracts_service.terms_of(version)
    prices = {
        item.kind: item.price for item in terms.fee_items if item.pricing == "per_m2_per_month"
    }
    return {
        "code": contract.code,
        "tenant_code": contract.tenant.code,
        "status": str(contract.status),
        "unit_codes": ", ".join(u.code for u in terms.units),
        "lease_start": terms.lease_start,
        "rent_start": terms.rent_start,
        "end": terms.end,
        "rent_per_m2_month": prices.get("rent"),
        "property_fee_per_m2_month": prices.get("property_fee"),
        "payment_cycle": terms.payment_cycle,
        "electricity_tariff": version.electricity_tariff,
        "deposits": "; ".join(f"{d['item']}={d['amount']}" for d in version.deposits),
        "usage_restrictions": version.usage_restrictions,
        "special_clauses": version.special_clauses,
        "terms_json": json.dumps(version.terms, ensure_ascii=False),
    }

"""The vacancy board (房态图) of a building: every floor, its units with status, tenant, lease end
and rent per m², and occupancy by area and by count.

The tenant shown is the lease in force on the day, or else the next lease signed on the unit
(a unit leased or fitting out before its lease starts still shows who is coming).
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.leasing.models import Lease
from cloud.properties import service as properties_service
from cloud.properties import status as status_service
from cloud.properties.models import (
    Floor,
    RentStatus,
    RentStatusPeriod,
    Unit,
    UnitStatus,
    UnitStatusPeriod,
)
from cloud.properties.schemas import BoardCell, BoardFloor, VacancyBoardRead

FEN = Decimal("0.01")


def vacancy_board(
    *, session: Session, actor: Actor, site_code: str, building_code: str, on: date | None = None
) -> VacancyBoardRead:
    """The board of one building on `on` (default the org's today), top floor first."""
    require_role(actor, *properties_service.READ_ROLES)
    on = on or identity_service.org_today(session=session, actor=actor)
    building = properties_service.get_building(
        session=session, actor=actor, site_code=site_code, code=building_code
    )
    units = session.execute(
        select(Unit, UnitStatusPeriod)
        .join(UnitStatusPeriod, UnitStatusPeriod.unit_id == Unit.id)
        .where(Unit.org_id == actor.org_id, Unit.building_id == building.id)
        .where(*status_service.covers(on))
        .order_by(Unit.code)
    ).all()
    unit_ids = [unit.id for unit, _ in units]
    rents = _rent_statuses(session, actor, unit_ids, on)
    leases = _leases(session, actor, unit_ids, on)
    cells_by_floor: dict[int, list[BoardCell]] = {}
    for unit, period in units:
        cell = _cell(unit, period.status, rents.get(unit.id), leases.get(unit.id))
        cells_by_floor.setdefault(unit.floor_id, []).append(cell)
    floors = session.scalars(
        select(Floor)
        .where(Floor.org_id == actor.org_id, Floor.building_id == building.id)
        .order_by(Floor.level.desc())
    )
    return VacancyBoardRead(
        site_code=site_code,
        building_code=building.code,
        building_name=building.name,
        on=on,
        floors=[_floor(floor, cells_by_floor.get(floor.id, [])) for floor in floors],
        occupancy=status_service.occupancy_of((u.rentable_area_m2, p.status) for u, p in units),
    )


def rent_per_m2(monthly_rent: Decimal, area_m2: Decimal) -> Decimal:
    """Monthly rent per square metre of rentable area, to the fen."""
    return (monthly_rent / area_m2).quantize(FEN, rounding=ROUND_HALF_UP)


def _cell(
    unit: Unit, status: UnitStatus, rent_status: RentStatus | None, lease: Lease | None
) -> BoardCell:
    return BoardCell(
        unit_code=unit.code,
        kind=unit.kind,
        rentable_area_m2=unit.rentable_area_m2,
        status=status,
        rent_status=rent_status,
        lease_code=lease.code if lease else None,
        tenant_name=lease.tenant.name if lease else None,
        lease_end=lease.end_date if lease else None,
        rent_per_m2=rent_per_m2(lease.monthly_rent, unit.rentable_area_m2) if lease else None,
    )


def _floor(floor: Floor, cells: list[BoardCell]) -> BoardFloor:
    return BoardFloor(
        level=floor.level,
        name=floor.name,
        area_m2=sum((cell.rentable_area_m2 for cell in cells), Decimal("0.00")),
        cells=cells,
        occupancy=status_service.occupancy_of((c.rentable_area_m2, c.status) for c in cells),
    )


def _rent_statuses(
    session: Session, actor: Actor, unit_ids: list[int], on: date
) -> dict[int, RentStatus]:
    periods = session.scalars(
        select(RentStatusPeriod).where(
            RentStatusPeriod.org_id == actor.org_id,
            RentStatusPeriod.unit_id.in_(unit_ids),
            RentStatusPeriod.from_date <= on,
        )
    )
    return {p.unit_id: p.status for p in periods if p.covers(on)}


def _leases(session: Session, actor: Actor, unit_ids: list[int], on: date) -> dict[int, Lease]:
    """Per unit: the lease in force on `on`, else the earliest one starting after it."""
    candidates = session.scalars(
        select(Lease)
        .where(Lease.org_id == actor.org_id, Lease.unit_id.in_(unit_ids), Lease.end_date >= on)
        .order_by(Lease.start_date)
    )
    chosen: dict[int, Lease] = {}
    for lease in candidates:  # one in force on `on` starts before any that start later
        chosen.setdefault(lease.unit_id, lease)
    return chosen

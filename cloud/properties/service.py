"""Sites, buildings, floors and units, scoped to the actor's org; splitting and merging units.

Staff and admins change them; finance and engineers read them; a tenant sees only the units it
leases now. A split or merge retires the old units (never deletes them) and names them as the
origins of the new ones, whose status history starts vacant on the day of the change.
"""

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing import service as leasing_service
from cloud.leasing.models import Lease
from cloud.properties import history
from cloud.properties.models import (
    LET_STATUSES,
    Building,
    Floor,
    RentStatusPeriod,
    ShopDetails,
    Site,
    Unit,
    UnitKind,
    UnitOrigin,
    UnitStatusPeriod,
)
from cloud.properties.schemas import (
    BuildingCreate,
    FloorCreate,
    ShopDetailsData,
    SiteCreate,
    UnitCreate,
    UnitMerge,
    UnitPart,
    UnitSplit,
    UnitUpdate,
)

READ_ROLES = (Role.admin, Role.staff, Role.finance, Role.engineer)
WRITE_ROLES = (Role.admin, Role.staff)
_AREAS = ("rentable_area_m2", "gross_area_m2", "net_area_m2")


def floor_name(level: int) -> str:
    """How people name a storey: 12 is "12F", -1 is "B1", 0 is "G"."""
    if level > 0:
        return f"{level}F"
    return f"B{-level}" if level < 0 else "G"


def list_sites(*, session: Session, actor: Actor) -> list[Site]:
    """The org's sites, by code."""
    require_role(actor, *READ_ROLES)
    stmt = select(Site).where(Site.org_id == actor.org_id).order_by(Site.code)
    return list(session.scalars(stmt))


def get_site(*, session: Session, actor: Actor, code: str) -> Site:
    """A site of the actor's org by code."""
    require_role(actor, *READ_ROLES)
    site = session.scalar(select(Site).where(Site.org_id == actor.org_id, Site.code == code))
    if site is None:
        raise NotFound(f"site {code} not found")
    return site


def create_site(*, session: Session, actor: Actor, data: SiteCreate) -> Site:
    """A new park or street zone."""
    require_role(actor, *WRITE_ROLES)
    taken = select(Site.id).where(Site.org_id == actor.org_id, Site.code == data.code)
    if session.scalar(taken) is not None:
        raise Conflict(f"site code {data.code} is taken")
    site = Site(org_id=actor.org_id, **data.model_dump())
    session.add(site)
    session.flush()
    return site


def list_buildings(*, session: Session, actor: Actor, site_code: str) -> list[Building]:
    """A site's buildings, by code."""
    site = get_site(session=session, actor=actor, code=site_code)
    stmt = select(Building).where(Building.org_id == actor.org_id, Building.site_id == site.id)
    return list(session.scalars(stmt.order_by(Building.code)))


def get_building(*, session: Session, actor: Actor, site_code: str, code: str) -> Building:
    """A building by its site's code and its own."""
    site = get_site(session=session, actor=actor, code=site_code)
    building = session.scalar(
        select(Building).where(
            Building.org_id == actor.org_id, Building.site_id == site.id, Building.code == code
        )
    )
    if building is None:
        raise NotFound(f"building {code} not found in site {site_code}")
    return building


def create_building(
    *, session: Session, actor: Actor, site_code: str, data: BuildingCreate
) -> Building:
    """A new building of a site (for a street zone: a row or block of shops)."""
    require_role(actor, *WRITE_ROLES)
    site = get_site(session=session, actor=actor, code=site_code)
    taken = select(Building.id).where(Building.site_id == site.id, Building.code == data.code)
    if session.scalar(taken) is not None:
        raise Conflict(f"building code {data.code} is taken in site {site_code}")
    building = Building(org_id=actor.org_id, site=site, code=data.code, name=data.name)
    session.add(building)
    session.flush()
    return building


def list_floors(
    *, session: Session, actor: Actor, site_code: str, building_code: str
) -> list[Floor]:
    """A building's floors, lowest first."""
    building = get_building(session=session, actor=actor, site_code=site_code, code=building_code)
    stmt = select(Floor).where(Floor.org_id == actor.org_id, Floor.building_id == building.id)
    return list(session.scalars(stmt.order_by(Floor.level)))


def get_floor(
    *, session: Session, actor: Actor, site_code: str, building_code: str, level: int
) -> Floor:
    building = get_building(session=session, actor=actor, site_code=site_code, code=building_code)
    floor = _floor_of(session, building, level)
    if floor is None:
        raise NotFound(f"floor {level} not found in building {building_code}")
    return floor


def create_floor(
    *, session: Session, actor: Actor, site_code: str, building_code: str, data: FloorCreate
) -> Floor:
    """A new storey of a building; named like "12F" or "B1" unless a name is given."""
    require_role(actor, *WRITE_ROLES)
    building = get_building(session=session, actor=actor, site_code=site_code, code=building_code)
    if _floor_of(session, building, data.level) is not None:
        raise Conflict(f"building {building_code} already has floor {data.level}")
    floor = Floor(
        org_id=actor.org_id,
        building=building,
        level=data.level,
        name=data.name or floor_name(data.level),
    )
    session.add(floor)
    session.flush()
    return floor


def list_units(
    *,
    session: Session,
    actor: Actor,
    today: date | None = None,
    site_code: str | None = None,
    building_code: str | None = None,
    include_retired: bool = False,
) -> list[Unit]:
    """Units visible to the actor (a tenant: those it leases on `today`, by default the org's
    today), by code; retired units only when asked for."""
    today = today or identity_service.org_today(session=session, actor=actor)
    stmt = select(Unit).join(Unit.building).where(Unit.org_id == actor.org_id)
    if actor.is_tenant:
        units = leasing_service.visible_unit_ids(session=session, actor=actor, today=today)
        stmt = stmt.where(Unit.id.in_(units))
    if building_code is not None and site_code is None:
        raise Invalid("a building code needs its site code", field="site_code")
    if site_code is not None:
        site = session.scalar(
            select(Site).where(Site.org_id == actor.org_id, Site.code == site_code)
        )
        stmt = stmt.where(Building.site_id == (site.id if site else None))
        if building_code is not None:
            stmt = stmt.where(Building.code == building_code)
    if not include_retired:
        stmt = stmt.where(or_(Unit.retired_on.is_(None), Unit.retired_on > today))
    details = (selectinload(Unit.shop), selectinload(Unit.origins))
    return list(session.scalars(stmt.options(*details).order_by(Unit.code)))


def get_unit(*, session: Session, actor: Actor, code: str, today: date | None = None) -> Unit:
    """One visible unit by code; NotFound also when it exists but the actor may not see it."""
    stmt = select(Unit).where(Unit.org_id == actor.org_id, Unit.code == code)
    if actor.is_tenant:
        stmt = stmt.where(
            Unit.id.in_(leasing_service.visible_unit_ids(session=session, actor=actor, today=today))
        )
    unit = session.scalar(stmt)
    if unit is None:
        raise NotFound(f"unit {code} not found")
    return unit


def create_unit(*, session: Session, actor: Actor, data: UnitCreate) -> Unit:
    """A new unit on an existing floor, vacant from `active_from` (default the org's today)."""
    require_role(actor, *WRITE_ROLES)
    site = session.scalar(
        select(Site).where(Site.org_id == actor.org_id, Site.code == data.site_code)
    )
    if site is None:
        raise Invalid(f"no site {data.site_code}", field="site_code")
    building = session.scalar(
        select(Building).where(Building.site_id == site.id, Building.code == data.building_code)
    )
    if building is None:
        raise Invalid(
            f"no building {data.building_code} in site {site.code}", field="building_code"
        )
    floor = _floor_of(session, building, data.floor)
    if floor is None:
        raise Invalid(f"building {building.code} has no floor {data.floor}", field="floor")
    if data.shop is not None and data.kind != UnitKind.shop:
        raise Invalid("only a unit of kind shop has shop details", field="shop")
    unit = _add_unit(session, actor, data, floor=floor, kind=data.kind)
    if data.shop is not None:
        unit.shop = ShopDetails(org_id=actor.org_id, **data.shop.model_dump())
    history.start(session, unit, data.active_from or _today(session, actor))
    session.flush()
    return unit


def update_unit(*, session: Session, actor: Actor, code: str, data: UnitUpdate) -> Unit:
    """Change a unit's areas or shop details; only the fields sent change."""
    unit = _changeable_unit(session, actor, code)
    areas = {field: getattr(unit, field) for field in _AREAS}
    areas |= data.model_dump(exclude_unset=True, include=set(_AREAS))
    if areas["rentable_area_m2"] is None:
        raise Invalid("rentable_area_m2 cannot be removed", field="rentable_area_m2")
    gross, net = areas["gross_area_m2"], areas["net_area_m2"]
    if gross is not None and net is not None and net > gross:
        raise Invalid("net_area_m2 cannot exceed gross_area_m2", field="net_area_m2")
    if data.shop is not None and unit.kind != UnitKind.shop:
        raise Invalid("only a unit of kind shop has shop details", field="shop")
    for field, value in areas.items():
        setattr(unit, field, value)
    if "shop" in data.model_fields_set:
        _set_shop(session, unit, data.shop)
    session.flush()
    return unit


def split_unit(*, session: Session, actor: Actor, code: str, data: UnitSplit) -> list[Unit]:
    """Retire a unit on `data.on` and make its parts, vacant from that day, with it as origin."""
    unit = _changeable_unit(session, actor, code)
    _check_distinct([part.code for part in data.parts], field="parts")
    _retire(session, unit, data.on)
    parts = []
    for part in data.parts:
        parts.append(_add_unit(session, actor, part, floor=unit.floor, kind=unit.kind))
        _derive(session, parts[-1], origins=[unit], on=data.on)
    session.flush()
    return parts


def merge_units(*, session: Session, actor: Actor, data: UnitMerge) -> Unit:
    """Retire units of one building on `data.on` and make one unit of them, vacant that day."""
    _check_distinct(data.unit_codes, field="unit_codes")
    origins = [_changeable_unit(session, actor, code) for code in data.unit_codes]
    if len({unit.building_id for unit in origins}) > 1:
        raise Invalid("units to merge must be in one building", field="unit_codes")
    if len({unit.kind for unit in origins}) > 1:
        raise Invalid("offices and shops cannot be merged together", field="unit_codes")
    level = data.floor if data.floor is not None else min(u.floor.level for u in origins)
    floor = _floor_of(session, origins[0].building, level)
    if floor is None:
        raise Invalid(f"building {origins[0].building.code} has no floor {level}", field="floor")
    for unit in origins:
        _retire(session, unit, data.on)
    merged = _add_unit(session, actor, data.into, floor=floor, kind=origins[0].kind)
    _derive(session, merged, origins=origins, on=data.on)
    session.flush()
    return merged


def _today(session: Session, actor: Actor) -> date:
    return identity_service.org_today(session=session, actor=actor)


def _floor_of(session: Session, building: Building, level: int) -> Floor | None:
    return session.scalar(
        select(Floor).where(Floor.building_id == building.id, Floor.level == level)
    )


def _changeable_unit(session: Session, actor: Actor, code: str) -> Unit:
    """A unit the actor may change: staff or admin, of its org, not retired."""
    require_role(actor, *WRITE_ROLES)
    unit = get_unit(session=session, actor=actor, code=code)
    if unit.retired_on is not None:
        raise Conflict(f"unit {code} was retired on {unit.retired_on}")
    return unit


def _add_unit(
    session: Session, actor: Actor, part: UnitPart, *, floor: Floor, kind: UnitKind
) -> Unit:
    taken = select(Unit.id).where(Unit.org_id == actor.org_id, Unit.code == part.code)
    if session.scalar(taken) is not None:
        raise Conflict(f"unit code {part.code} is taken")
    unit = Unit(
        org_id=actor.org_id,
        building_id=floor.building_id,
        floor=floor,
        code=part.code,
        kind=kind,
        rentable_area_m2=part.rentable_area_m2,
        gross_area_m2=part.gross_area_m2,
        net_area_m2=part.net_area_m2,
    )
    session.add(unit)
    session.flush()
    return unit


def _set_shop(session: Session, unit: Unit, shop: ShopDetailsData | None) -> None:
    if shop is None:
        if unit.shop is not None:
            session.delete(unit.shop)
            unit.shop = None
        return
    if unit.shop is None:
        unit.shop = ShopDetails(org_id=unit.org_id)
    for field, value in shop.model_dump().items():
        setattr(unit.shop, field, value)


def _check_distinct(codes: list[str], *, field: str) -> None:
    if len(set(codes)) != len(codes):
        raise Invalid("unit codes must differ from each other", field=field)


def _retire(session: Session, unit: Unit, on: date) -> None:
    """End a unit's existence on `on`: only when nothing is let or leased from that day."""
    lease = session.scalar(
        select(Lease)
        .where(Lease.org_id == unit.org_id, Lease.unit_id == unit.id, Lease.end_date >= on)
        .order_by(Lease.end_date.desc())
        .limit(1)
    )
    if lease is not None:
        raise Conflict(f"unit {unit.code} is leased until {lease.end_date} ({lease.code})")
    status = history.covering(session, UnitStatusPeriod, unit, on)
    if status is not None and status.status in LET_STATUSES:
        raise Conflict(f"unit {unit.code} is {status.status} on {on}")
    history.end(session, UnitStatusPeriod, unit, on)
    history.end(session, RentStatusPeriod, unit, on)
    unit.retired_on = on


def _derive(session: Session, unit: Unit, *, origins: list[Unit], on: date) -> None:
    """Record where a new unit came from and start its history."""
    for origin in origins:
        session.add(UnitOrigin(org_id=unit.org_id, unit_id=unit.id, origin_unit_id=origin.id))
    history.start(session, unit, on)

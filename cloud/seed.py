"""The demo world: one org; the demo park (its agent and billing meters) with building A on three
floors, and a street zone of shops; units in every status with dated histories, their leases and
tenants; logins; and work orders. Idempotent, so `parkops demo` can run it on every start."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.alarms.rules import install_default_rules
from cloud.billing.seed import seed_billing
from cloud.db.base import Base
from cloud.devices import service as devices_service
from cloud.energy.models import Meter
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.identity.models import Org, Role, User
from cloud.ingest.models import EdgeAgent
from cloud.leasing.leads.seed import seed_leads
from cloud.leasing.models import Lease, Tenant
from cloud.maintenance.seed import seed_maintenance
from cloud.parking.models import Direction
from cloud.parking.seed import GATES, seed_parking
from cloud.properties.models import (
    Building,
    Floor,
    RentStatus,
    RentStatusPeriod,
    ShopDetails,
    Site,
    SiteKind,
    Unit,
    UnitKind,
    UnitStatus,
    UnitStatusPeriod,
)
from cloud.properties.service import floor_name
from cloud.tenant_services.seed import seed_tenant_services
from cloud.workorders.seed import seed_workorders
from protocols.site_config import MeterDevice, SiteConfig

ORG_CODE, ORG_NAME = "demo", "演示物业 Demo Property"
TARIFF = Decimal("1.2000")
DLT645_PROFILE = "dlt645"
RENT_PER_M2 = Decimal("150.00")  # CNY per m² per month
SHOP_RENT_PER_M2 = Decimal("260.00")
NET_SHARE = Decimal("0.78")  # 套内 / 建筑 of an office floor
STREET_CODE, STREET_NAME = "demo-street", "滨河商业街 Riverside Street"


@dataclass(frozen=True)
class DemoUnit:
    """A unit of the demo and its story: `history` maps each status it passed through to the
    day that status began, in days from an anchor day.

    The anchor is 1 January for the two billed units (their leases are this calendar year's),
    today for every other unit, so no date of a history lies after today. Other leases start
    the day their unit became `leased` and run three years, or end `ends_in` days from today.
    """

    code: str
    level: int
    area: Decimal
    history: dict[str, int]
    tenant: tuple[str, str] | None = None
    lease: int | None = None
    meter: str | None = None
    ends_in: int | None = None


def _unit(code: str, level: int, area: str, history: dict[str, int], **lease: Any) -> DemoUnit:
    return DemoUnit(code, level, Decimal(area), history, **lease)


FITTED_OUT = {"fitting_out": -30, "awaiting_acceptance": -8, "in_operation": 0}
OFFICES = (
    _unit(
        "A-12-1201",
        12,
        "186.50",
        {"vacant": -150, "reserved": -60, "leased": -45} | FITTED_OUT,
        tenant=("T-0001", "星河科技有限公司"),
        lease=1,
        meter="EM-A-1201",
    ),
    _unit(
        "A-12-1202",
        12,
        "142.00",
        {"vacant": -300, "leased": -40} | FITTED_OUT,
        tenant=("T-0002", "青禾咖啡"),
        lease=2,
        meter="EM-A-1202",
    ),
    _unit("A-12-1203", 12, "98.00", {"vacant": -365}),
    _unit("A-12-1204", 12, "120.00", {"vacant": -400, "reserved": -12}),
    _unit(
        "A-11-1101",
        11,
        "260.00",
        {"vacant": -300, "reserved": -50, "leased": -30, "fitting_out": -20},
        tenant=("T-0003", "远帆律师事务所"),
        lease=3,
    ),
    _unit(
        "A-11-1102",
        11,
        "180.00",
        {"vacant": -200, "leased": -70, "fitting_out": -60, "awaiting_acceptance": -3},
        tenant=("T-0004", "数禾信息技术"),
        lease=4,
    ),
    _unit(
        "A-11-1103",
        11,
        "95.00",
        {"vacant": -90, "reserved": -20, "leased": -4},
        tenant=("T-0008", "云杉设计工作室"),
        lease=8,
    ),
    _unit(
        "A-10-1001",
        10,
        "320.00",
        {"vacant": -700, "leased": -600, "fitting_out": -590, "in_operation": -520},
        tenant=("T-0005", "博远咨询"),
        lease=5,
    ),
    _unit(
        "A-10-1002",
        10,
        "150.00",
        {"leased": -1080, "in_operation": -1000, "moving_out": -10},
        tenant=("T-0006", "启明教育"),
        lease=6,
        ends_in=20,
    ),
    _unit("A-10-1003", 10, "110.00", {"vacant": -30}),
)
SHOPS = (
    _unit(
        "S1-101",
        1,
        "85.00",
        {"vacant": -500, "leased": -420, "fitting_out": -410, "in_operation": -380},
        tenant=("T-0007", "川味小馆"),
        lease=7,
    ),
    _unit("S1-102", 1, "62.00", {"vacant": -120}),
    _unit("S1-103", 1, "70.00", {"vacant": -240, "reserved": -6}),
    _unit("S1-201", 2, "120.00", {"vacant": -365}),
)
STREET_ADDRESS = "上海市浦东新区滨河路 18 号"
# What a prospective shop tenant asks about; every shop also has water and drainage.
SHOP_DETAILS: dict[str, dict[str, Any]] = {
    "S1-101": {
        "door_number": "18-1",
        "latitude": Decimal("31.230412"),
        "longitude": Decimal("121.473701"),
        "frontage_m": Decimal("6.50"),
        "floor_height_m": Decimal("4.50"),
        "power_kw": Decimal("40.00"),
        "gas": True,
        "exhaust": True,
        "catering_allowed": True,
        "loading_access": True,
        "ownership_certificate": "沪(2024)浦东新区不动产权第 0012345 号",
    },
    "S1-102": {
        "door_number": "18-2",
        "latitude": Decimal("31.230455"),
        "longitude": Decimal("121.473790"),
        "frontage_m": Decimal("4.80"),
        "floor_height_m": Decimal("4.50"),
        "power_kw": Decimal("20.00"),
    },
    "S1-103": {
        "door_number": "18-3",
        "latitude": Decimal("31.230497"),
        "longitude": Decimal("121.473876"),
        "frontage_m": Decimal("5.20"),
        "floor_height_m": Decimal("4.50"),
        "power_kw": Decimal("20.00"),
        "exhaust": True,
        "catering_allowed": True,
    },
    "S1-201": {
        "door_number": "18-201",
        "floor_height_m": Decimal("3.60"),
        "power_kw": Decimal("15.00"),
    },
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    display_name: str


LOGINS = (
    DemoLogin("admin", "parkops-admin", Role.admin, "管理员 Admin"),
    DemoLogin("leasing", "parkops-leasing", Role.staff, "招商 Leasing"),
    DemoLogin("finance", "parkops-finance", Role.finance, "财务 Finance"),
    DemoLogin("engineer", "parkops-engineer", Role.engineer, "王工 工程 Engineer"),
    DemoLogin("tenant", "parkops-tenant", Role.tenant, "星河科技 租户 Tenant"),
)
TENANT_LOGIN_TENANT = "T-0001"

T = TypeVar("T", bound=Base)


def seed_demo(
    *,
    session: Session,
    site: SiteConfig,
    today: date | None = None,
    timezone: str = "Asia/Shanghai",
) -> list[DemoLogin]:
    """Create what is missing of the demo world for `site`; flushes, never commits."""
    org = _ensure(session, Org, {"code": ORG_CODE}, name=ORG_NAME, timezone=timezone)
    today = today or datetime.now(UTC).astimezone(ZoneInfo(org.timezone)).date()
    park = _ensure(
        session, Site, {"org_id": org.id, "code": site.site}, name=site.name or site.site
    )
    agent = _ensure(session, EdgeAgent, {"org_id": org.id, "code": site.agent}, site_id=park.id)
    street = _ensure(
        session,
        Site,
        {"org_id": org.id, "code": STREET_CODE},
        name=STREET_NAME,
        kind=SiteKind.street,
        address=STREET_ADDRESS,
    )
    tenants: dict[str, Tenant] = {}
    unit_of_meter: dict[str, int] = {}
    buildings: dict[str, Building] = {}
    for site_row, (code, name), units in (
        (park, ("A", "A 座"), OFFICES),
        (street, ("S1", "滨河路沿街一段"), SHOPS),
    ):
        building = buildings[code] = _ensure(
            session, Building, {"site_id": site_row.id, "code": code}, org_id=org.id, name=name
        )
        for spec in units:
            unit = _demo_unit(session, org, building, spec, today=today, tenants=tenants)
            if spec.meter:
                unit_of_meter[spec.meter] = unit.id
    for _bus, device in site.meters():
        # A DL/T 645 meter has no register map: the protocol itself says what it measures.
        profile = device.profile if isinstance(device, MeterDevice) else DLT645_PROFILE
        meter = _ensure(
            session,
            Meter,
            {"org_id": org.id, "code": device.code},
            site_id=park.id,
            agent_id=agent.id,
            profile=profile,
            unit_id=unit_of_meter.get(device.code),
        )
        # The site config is the source of truth for what a meter is; follow its edits.
        meter.profile, meter.billing = profile, device.billing
        meter.ct_ratio = Decimal(repr(device.ct_ratio))
    for login in LOGINS:
        if session.scalar(select(User.id).where(User.username == login.username)) is None:
            tenant_id = tenants[TENANT_LOGIN_TENANT].id if login.role == Role.tenant else None
            session.add(
                User(
                    org_id=org.id,
                    username=login.username,
                    display_name=login.display_name,
                    role=login.role,
                    tenant_id=tenant_id,
                    password_hash=identity_service.hash_password(login.password),
                )
            )
    session.flush()
    users = {u.username: u for u in session.scalars(select(User).where(User.org_id == org.id))}
    # before the work orders: last month's run would bill the charge they leave pending
    seed_billing(
        session=session,
        admin=Actor.of(users["admin"]),
        building_id=buildings["A"].id,
        today=today,
    )
    seed_workorders(
        session=session,
        org_id=org.id,
        building=buildings["A"],
        admin=users["admin"],
        engineer=users["engineer"],
        tenant=users["tenant"],
        now=datetime.now(UTC),
    )
    install_default_rules(session=session, org_id=org.id)
    devices_service.expect_config(session=session, agent=agent, config_hash=site.config_hash())
    seed_parking(
        session=session,
        site=park,
        now=datetime.now(UTC),
        gates=[(gate.code, Direction(gate.direction)) for gate in site.gates] or GATES,
    )
    seed_leads(session=session, actor=Actor.of(users["admin"]))
    admin = Actor.of(users["admin"])
    seed_maintenance(
        session=session, admin=admin, engineer=Actor.of(users["engineer"]), today=today
    )
    seed_tenant_services(session=session, admin=admin)
    return list(LOGINS)


def _demo_unit(
    session: Session,
    org: Org,
    building: Building,
    spec: DemoUnit,
    *,
    today: date,
    tenants: dict[str, Tenant],
) -> Unit:
    """The unit of `spec` with its floor, shop details, tenant, lease and histories."""
    floor = _ensure(
        session,
        Floor,
        {"building_id": building.id, "level": spec.level},
        org_id=org.id,
        name=floor_name(spec.level),
    )
    shop = spec.code in SHOP_DETAILS
    unit = _ensure(
        session,
        Unit,
        {"org_id": org.id, "code": spec.code},
        building_id=building.id,
        floor_id=floor.id,
        kind=UnitKind.shop if shop else UnitKind.office,
        rentable_area_m2=spec.area,
        gross_area_m2=spec.area,
        net_area_m2=(spec.area * NET_SHARE).quantize(Decimal("0.01")),
    )
    if shop:
        details = {"street_address": STREET_ADDRESS, "water": True, "drainage": True}
        details |= SHOP_DETAILS[spec.code]
        _ensure(session, ShopDetails, {"unit_id": unit.id}, org_id=org.id, **details)
    anchor = date(today.year, 1, 1) if spec.meter else today
    history = [(UnitStatus(s), anchor + timedelta(days=days)) for s, days in spec.history.items()]
    lease = _demo_lease(session, org, unit, spec, history, today=today, tenants=tenants)
    if session.scalar(select(UnitStatusPeriod.id).filter_by(unit_id=unit.id).limit(1)) is None:
        _add_periods(session, UnitStatusPeriod, unit, history)
        if lease is not None:
            _add_periods(session, RentStatusPeriod, unit, _rent_history(lease, history))
    return unit


def _demo_lease(
    session: Session,
    org: Org,
    unit: Unit,
    spec: DemoUnit,
    history: list[tuple[UnitStatus, date]],
    *,
    today: date,
    tenants: dict[str, Tenant],
) -> Lease | None:
    if spec.tenant is None or spec.lease is None:
        return None
    tenant_code, tenant_name = spec.tenant
    tenant = _ensure(session, Tenant, {"org_id": org.id, "code": tenant_code}, name=tenant_name)
    tenants[tenant_code] = tenant
    if spec.meter:  # the billed leases: this calendar year
        start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    else:
        start = next(day for status, day in history if status == UnitStatus.leased)
        end = today + timedelta(days=spec.ends_in) if spec.ends_in else _years_later(start, 3)
    per_m2 = RENT_PER_M2 - 5 * (12 - spec.level)  # higher floors let for more
    if spec.code in SHOP_DETAILS:
        per_m2 = SHOP_RENT_PER_M2
    return _ensure(
        session,
        Lease,
        {"org_id": org.id, "code": f"HT-{today.year}-{spec.lease:04d}"},
        unit_id=unit.id,
        tenant_id=tenant.id,
        start_date=start,
        end_date=end,
        monthly_rent=(spec.area * per_m2).quantize(Decimal("0.01")),
        electricity_tariff=TARIFF,
    )


def _rent_history(
    lease: Lease, history: list[tuple[UnitStatus, date]]
) -> list[tuple[RentStatus, date]]:
    """Free rent from the lease start while fitting out, billing once the unit operates."""
    opened = next((day for status, day in history if status == UnitStatus.in_operation), None)
    if opened is None:
        return [(RentStatus.free_rent, lease.start_date)]
    if opened <= lease.start_date:
        return [(RentStatus.billing, lease.start_date)]
    return [(RentStatus.free_rent, lease.start_date), (RentStatus.billing, opened)]


def _add_periods(
    session: Session,
    model: type[UnitStatusPeriod] | type[RentStatusPeriod],
    unit: Unit,
    changes: list[tuple[Any, date]],
) -> None:
    """Back-to-back periods, one per (status, from) change, the last one open."""
    ends: list[date | None] = [day for _, day in changes[1:]]
    for (status, first), until in zip(changes, [*ends, None], strict=True):
        session.add(
            model(
                org_id=unit.org_id,
                unit_id=unit.id,
                status=status,
                from_date=first,
                until_date=until,
            )
        )


def _years_later(day: date, years: int) -> date:
    """The day before the same date `years` on (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year + years) - timedelta(days=1)
    except ValueError:
        return day.replace(year=day.year + years, day=28) - timedelta(days=1)


def _ensure(session: Session, model: type[T], key: dict[str, Any], **values: Any) -> T:
    """The row matching `key`, or a new one with `key` and `values`."""
    row = session.scalars(select(model).filter_by(**key)).one_or_none()
    if row is not None:
        return row
    row = model(**key, **values)
    session.add(row)
    session.flush()
    return row

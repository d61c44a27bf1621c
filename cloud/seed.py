"""The demo world: one org, the demo site and its agent, two let units with leases and billing
meters, and three logins. Idempotent, so `parkops demo` can run it on every start."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.db.base import Base
from cloud.energy.models import Meter
from cloud.identity import service as identity_service
from cloud.identity.models import Org, Role, User
from cloud.ingest.models import EdgeAgent
from cloud.leasing.models import Lease, Tenant
from cloud.properties.models import Building, Site, Unit
from protocols.site_config import Dlt645Device, SiteConfig

DLT645_PROFILE = "dlt645-2007"
"""The profile recorded for a DL/T 645-2007 meter."""

ORG_CODE, ORG_NAME = "demo", "演示物业 Demo Property"
TARIFF = Decimal("1.2000")
RENT_PER_M2 = Decimal("150.00")  # CNY per m² per month
# unit code, floor, rentable m², tenant code, tenant name, lease number, meter of the unit
UNITS = (
    ("A-12-1201", 12, Decimal("186.50"), "T-0001", "星河科技有限公司", 1, "EM-A-1201"),
    ("A-12-1202", 12, Decimal("142.00"), "T-0002", "青禾咖啡", 2, "EM-A-1202"),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    display_name: str


LOGINS = (
    DemoLogin("admin", "parkops-admin", Role.admin, "管理员 Admin"),
    DemoLogin("finance", "parkops-finance", Role.finance, "财务 Finance"),
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
    year = (today or datetime.now(UTC).astimezone(ZoneInfo(org.timezone)).date()).year
    site_row = _ensure(
        session, Site, {"org_id": org.id, "code": site.site}, name=site.name or site.site
    )
    agent = _ensure(session, EdgeAgent, {"org_id": org.id, "code": site.agent}, site_id=site_row.id)
    building = _ensure(
        session, Building, {"site_id": site_row.id, "code": "A"}, org_id=org.id, name="A 座"
    )
    unit_of_meter: dict[str, int] = {}
    tenants: dict[str, Tenant] = {}
    for unit_code, floor, area, tenant_code, tenant_name, number, meter_code in UNITS:
        unit = _ensure(
            session,
            Unit,
            {"org_id": org.id, "code": unit_code},
            building_id=building.id,
            floor=floor,
            rentable_area_m2=area,
        )
        tenant = _ensure(session, Tenant, {"org_id": org.id, "code": tenant_code}, name=tenant_name)
        tenants[tenant_code] = tenant
        _ensure(
            session,
            Lease,
            {"org_id": org.id, "code": f"HT-{year}-{number:04d}"},
            unit_id=unit.id,
            tenant_id=tenant.id,
            start_date=date(year, 1, 1),
            end_date=date(year, 12, 31),
            monthly_rent=(area * RENT_PER_M2).quantize(Decimal("0.01")),
            electricity_tariff=TARIFF,
        )
        unit_of_meter[meter_code] = unit.id
    for _bus, device in site.meters():
        # A DL/T 645 meter has no register map: its protocol is its profile.
        profile = DLT645_PROFILE if isinstance(device, Dlt645Device) else device.profile
        meter = _ensure(
            session,
            Meter,
            {"org_id": org.id, "code": device.code},
            site_id=site_row.id,
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
    return list(LOGINS)


def _ensure(session: Session, model: type[T], key: dict[str, Any], **values: Any) -> T:
    """The row matching `key`, or a new one with `key` and `values`."""
    row = session.scalars(select(model).filter_by(**key)).one_or_none()
    if row is not None:
        return row
    row = model(**key, **values)
    session.add(row)
    session.flush()
    return row

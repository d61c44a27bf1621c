"""A small org to act in: a site and agent, three units, two tenants, three leases, meters and
one user of every role. Codes repeat across orgs on purpose (they are unique per org only)."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from cloud.energy.models import Meter, Reading
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.identity.models import Org, Role, User
from cloud.ingest.models import EdgeAgent
from cloud.leasing.models import Lease, Tenant
from cloud.properties.models import Building, Site, Unit
from protocols.profiles import ENERGY_IMPORT

PASSWORD = "correct horse battery"


@dataclass
class World:
    org: Org
    site: Site
    agent: EdgeAgent
    units: dict[str, Unit]
    tenants: dict[str, Tenant]
    leases: dict[str, Lease]
    meters: dict[str, Meter]
    actors: dict[str, Actor]
    """By role name, plus `tenant_b`: `tenant` is a user of tenant TA, `tenant_b` of TB."""

    def username(self, key: str) -> str:
        return self.actors[key].username


def make_world(
    session: Session, *, org_code: str, site_code: str = "site1", agent_code: str = "agent1"
) -> World:
    org = Org(code=org_code, name=f"Org {org_code}", timezone="Asia/Shanghai")
    session.add(org)
    session.flush()
    site = Site(org_id=org.id, code=site_code, name="Park")
    session.add(site)
    session.flush()
    agent = EdgeAgent(org_id=org.id, site_id=site.id, code=agent_code)
    building = Building(org_id=org.id, site_id=site.id, code="A", name="A")
    session.add_all([agent, building])
    session.flush()
    units = {
        code: Unit(
            org_id=org.id,
            building_id=building.id,
            code=code,
            floor=1,
            rentable_area_m2=Decimal("100.00"),
        )
        for code in ("U-101", "U-102", "U-103")
    }
    tenants = {code: Tenant(org_id=org.id, code=code, name=f"{code} Ltd") for code in ("TA", "TB")}
    session.add_all([*units.values(), *tenants.values()])
    session.flush()
    leases = {
        code: Lease(
            org_id=org.id,
            code=code,
            unit_id=units[unit].id,
            tenant_id=tenants[tenant].id,
            start_date=date(2026, 1, 1),
            # Open-ended, so a tenant sees its units and meters (leases in force today) on
            # whatever day the tests run.
            end_date=date(2099, 12, 31),
            monthly_rent=Decimal("15000.00"),
            electricity_tariff=Decimal(tariff),
        )
        for code, unit, tenant, tariff in (
            ("HT-2026-0001", "U-101", "TA", "1.3000"),
            ("HT-2026-0002", "U-102", "TB", "1.2000"),
            ("HT-2026-0003", "U-103", "TA", "1.2000"),  # its unit has no billing meter
        )
    }
    meters = {
        code: Meter(
            org_id=org.id,
            site_id=site.id,
            agent_id=agent.id,
            code=code,
            profile="chint-ddsu666",
            unit_id=units[unit].id if unit else None,
            ct_ratio=Decimal(ct),
            billing=unit is not None,
        )
        for code, unit, ct in (
            ("M-101", "U-101", "40"),
            ("M-102", "U-102", "1"),
            ("M-PUB", None, "1"),
        )
    }
    session.add_all([*leases.values(), *meters.values()])
    users = {
        key: User(
            org_id=org.id,
            username=f"{org_code}-{key}",
            display_name=key.title(),
            role=role,
            tenant_id=tenants[tenant].id if tenant else None,
            password_hash=identity_service.hash_password(PASSWORD),
        )
        for key, role, tenant in (
            ("admin", Role.admin, None),
            ("staff", Role.staff, None),
            ("finance", Role.finance, None),
            ("engineer", Role.engineer, None),
            ("tenant", Role.tenant, "TA"),
            ("tenant_b", Role.tenant, "TB"),
        )
    }
    session.add_all(users.values())
    session.flush()
    actors = {key: Actor.of(user) for key, user in users.items()}
    return World(org, site, agent, units, tenants, leases, meters, actors)


def add_readings(
    session: Session,
    meter: Meter,
    points: list[tuple[datetime, float]],
    metric: str = ENERGY_IMPORT,
) -> None:
    session.add_all(
        Reading(device_id=meter.id, metric=metric, ts=ts, value=value) for ts, value in points
    )
    session.flush()

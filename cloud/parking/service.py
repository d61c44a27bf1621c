"""Parking's registry, scoped to the actor: gates, fee rules, vehicles, tenant quotas and
monthly passes. Security staff and admins manage it; a tenant sees and registers only its own
vehicles and sees its own passes. Sessions live in `cloud.parking.sessions`."""

from datetime import date, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing.models import Tenant
from cloud.parking.fees import FeeRules
from cloud.parking.models import (
    AllowListVersion,
    FeeRuleSet,
    Gate,
    MonthlyPass,
    PassQuota,
    Vehicle,
)
from cloud.parking.schemas import (
    FeeRulesWrite,
    GateCreate,
    PassCreate,
    QuotaWrite,
    VehicleCreate,
)
from cloud.properties.models import Site
from protocols.plates import normalise, plate_format

MANAGERS = (Role.admin, Role.staff)
READERS = (Role.admin, Role.staff, Role.finance)
NEW_ENERGY_FORMATS = frozenset({"new_energy_small", "new_energy_large"})


def site_by_code(session: Session, org_id: int, code: str) -> Site:
    site = session.scalar(select(Site).where(Site.org_id == org_id, Site.code == code))
    if site is None:
        raise NotFound(f"site {code} not found")
    return site


def tenant_by_code(session: Session, org_id: int, code: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.org_id == org_id, Tenant.code == code))
    if tenant is None:
        raise Invalid(f"tenant {code} not found", field="tenant_code")
    return tenant


def is_new_energy_plate(plate: str) -> bool:
    found = plate_format(plate)
    return found is not None and found.name in NEW_ENERGY_FORMATS


def valid_plate(text: str, field: str = "plate") -> str:
    """The plate normalised, or Invalid naming `field` when it follows no national format."""
    plate = normalise(text)
    if plate_format(plate) is None:
        raise Invalid(f"{text!r} is not a plate of any national format", field=field)
    return plate


# --- gates and fee rules -----------------------------------------------------------------


def create_gate(*, session: Session, actor: Actor, data: GateCreate) -> Gate:
    require_role(actor, Role.admin)
    site = site_by_code(session, actor.org_id, data.site_code)
    if session.scalar(select(Gate).where(Gate.site_id == site.id, Gate.code == data.code)):
        raise Conflict(f"gate {data.code} already exists at site {site.code}")
    gate = Gate(org_id=actor.org_id, site_id=site.id, **data.model_dump(exclude={"site_code"}))
    session.add(gate)
    session.flush()
    return gate


def list_gates(*, session: Session, actor: Actor, site_code: str) -> list[Gate]:
    require_role(actor, *READERS)
    site = site_by_code(session, actor.org_id, site_code)
    return list(session.scalars(select(Gate).where(Gate.site_id == site.id).order_by(Gate.code)))


def fee_rules_of(session: Session, site_id: int, timezone: str) -> tuple[FeeRules, int]:
    """The site's fee rules and its review threshold in days; the defaults without a row."""
    row = session.scalar(select(FeeRuleSet).where(FeeRuleSet.site_id == site_id))
    if row is None:
        return FeeRules(timezone=timezone), FeeRulesWrite().review_after_days
    fields = FeeRulesWrite.model_validate(row, from_attributes=True).model_dump()
    review_after = fields.pop("review_after_days")
    return FeeRules(timezone=timezone, **fields), review_after


def set_fee_rules(
    *, session: Session, actor: Actor, site_code: str, data: FeeRulesWrite
) -> FeeRuleSet:
    """Replace a site's fee rules (checked by building them first)."""
    require_role(actor, Role.admin)
    site = site_by_code(session, actor.org_id, site_code)
    fields = data.model_dump()
    try:
        FeeRules(**{k: v for k, v in fields.items() if k != "review_after_days"})
    except ValueError as exc:
        raise Invalid(str(exc), field="night_start") from exc
    row = session.scalar(select(FeeRuleSet).where(FeeRuleSet.site_id == site.id))
    if row is None:
        row = FeeRuleSet(org_id=actor.org_id, site_id=site.id)
        session.add(row)
    for key, value in fields.items():
        setattr(row, key, value)
    session.flush()
    return row


def get_fee_rules(*, session: Session, actor: Actor, site_code: str) -> FeeRulesWrite:
    require_role(actor, *READERS)
    site = site_by_code(session, actor.org_id, site_code)
    row = session.scalar(select(FeeRuleSet).where(FeeRuleSet.site_id == site.id))
    if row is None:
        return FeeRulesWrite()
    return FeeRulesWrite.model_validate(row, from_attributes=True)


# --- vehicles ----------------------------------------------------------------------------


def visible_vehicles(actor: Actor) -> Select[Vehicle]:
    stmt = select(Vehicle).where(Vehicle.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(Vehicle.tenant_id == actor.tenant_id)
    return stmt


def register_vehicle(*, session: Session, actor: Actor, data: VehicleCreate) -> Vehicle:
    """A vehicle by plate; a tenant's own when a tenant registers it."""
    require_role(actor, *MANAGERS, Role.tenant)
    plate = valid_plate(data.plate)
    if actor.is_tenant:
        if data.tenant_code is not None:
            raise Forbidden("a tenant registers vehicles for itself only")
        tenant_id = actor.tenant_id
    else:
        tenant_id = (
            tenant_by_code(session, actor.org_id, data.tenant_code).id if data.tenant_code else None
        )
    existing = session.scalar(
        select(Vehicle).where(Vehicle.org_id == actor.org_id, Vehicle.plate == plate)
    )
    if existing is not None:
        raise Conflict(f"vehicle {plate} is already registered")
    new_energy = is_new_energy_plate(plate) if data.new_energy is None else data.new_energy
    vehicle = Vehicle(
        org_id=actor.org_id,
        plate=plate,
        tenant_id=tenant_id,
        new_energy=new_energy,
        owner_name=data.owner_name,
    )
    session.add(vehicle)
    session.flush()
    return vehicle


def list_vehicles(*, session: Session, actor: Actor) -> list[Vehicle]:
    require_role(actor, *READERS, Role.tenant)
    return list(session.scalars(visible_vehicles(actor).order_by(Vehicle.plate)))


def get_vehicle(*, session: Session, actor: Actor, plate: str) -> Vehicle:
    require_role(actor, *READERS, Role.tenant)
    vehicle = session.scalar(visible_vehicles(actor).where(Vehicle.plate == normalise(plate)))
    if vehicle is None:
        raise NotFound(f"vehicle {plate} not found")
    return vehicle


# --- quotas and monthly passes -----------------------------------------------------------


def set_quota(*, session: Session, actor: Actor, data: QuotaWrite) -> PassQuota:
    require_role(actor, *MANAGERS)
    tenant = tenant_by_code(session, actor.org_id, data.tenant_code)
    site = site_by_code(session, actor.org_id, data.site_code)
    quota = session.scalar(
        select(PassQuota).where(PassQuota.tenant_id == tenant.id, PassQuota.site_id == site.id)
    )
    if quota is None:
        quota = PassQuota(org_id=actor.org_id, tenant_id=tenant.id, site_id=site.id)
        session.add(quota)
    quota.max_passes = data.max_passes
    session.flush()
    return quota


def pass_in_force(monthly: MonthlyPass, day: date) -> bool:
    """Valid on org-local `day`, counting the grace days after it ends."""
    last = monthly.valid_to + timedelta(days=monthly.grace_days)
    return not monthly.cancelled and monthly.valid_from <= day <= last


def issue_pass(*, session: Session, actor: Actor, data: PassCreate) -> MonthlyPass:
    """A monthly pass for a registered vehicle. A tenant's passes in force over the new one's
    dates may not exceed its quota at the site (no quota: none allowed)."""
    require_role(actor, *MANAGERS)
    if data.valid_to < data.valid_from:
        raise Invalid("valid_to is before valid_from", field="valid_to")
    site = site_by_code(session, actor.org_id, data.site_code)
    vehicle = get_vehicle(session=session, actor=actor, plate=valid_plate(data.plate))
    tenant_id = vehicle.tenant_id
    if data.tenant_code:
        tenant_id = tenant_by_code(session, actor.org_id, data.tenant_code).id
    if tenant_id is not None:
        _check_quota(session, tenant_id, site.id, data)
    count = session.scalar(select(func.count()).where(MonthlyPass.org_id == actor.org_id)) or 0
    monthly = MonthlyPass(
        org_id=actor.org_id,
        code=f"YK-{data.valid_from.year}-{count + 1:04d}",
        site_id=site.id,
        vehicle_id=vehicle.id,
        tenant_id=tenant_id,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        grace_days=data.grace_days,
    )
    session.add(monthly)
    session.flush()
    return monthly


def _check_quota(session: Session, tenant_id: int, site_id: int, data: PassCreate) -> None:
    quota = session.scalar(
        select(PassQuota.max_passes).where(
            PassQuota.tenant_id == tenant_id, PassQuota.site_id == site_id
        )
    )
    end = data.valid_to + timedelta(days=data.grace_days)
    # Grace days vary per pass, so the overlap test on the end runs here, not in SQL.
    passes = [
        p
        for p in session.scalars(
            select(MonthlyPass).where(
                MonthlyPass.tenant_id == tenant_id,
                MonthlyPass.site_id == site_id,
                ~MonthlyPass.cancelled,
                MonthlyPass.valid_from <= end,
            )
        )
        if p.valid_to + timedelta(days=p.grace_days) >= data.valid_from
    ]
    if len(passes) + 1 > (quota or 0):
        raise Conflict(
            f"the tenant's quota at this site is {quota or 0} passes and "
            f"{len(passes)} are in force over those dates"
        )


def visible_passes(actor: Actor) -> Select[MonthlyPass]:
    stmt = select(MonthlyPass).where(MonthlyPass.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(MonthlyPass.tenant_id == actor.tenant_id)
    return stmt


def list_passes(*, session: Session, actor: Actor) -> list[MonthlyPass]:
    require_role(actor, *READERS, Role.tenant)
    return list(session.scalars(visible_passes(actor).order_by(MonthlyPass.code)))


def cancel_pass(*, session: Session, actor: Actor, code: str) -> MonthlyPass:
    require_role(actor, *MANAGERS)
    monthly = session.scalar(visible_passes(actor).where(MonthlyPass.code == code))
    if monthly is None:
        raise NotFound(f"pass {code} not found")
    monthly.cancelled = True
    session.flush()
    return monthly


def list_allow_list_versions(
    *, session: Session, actor: Actor, site_code: str, limit: int = 50
) -> list[AllowListVersion]:
    """The site's allow-list versions, newest first."""
    require_role(actor, *READERS)
    site = site_by_code(session, actor.org_id, site_code)
    stmt = select(AllowListVersion).where(AllowListVersion.site_id == site.id)
    return list(session.scalars(stmt.order_by(AllowListVersion.version.desc()).limit(limit)))

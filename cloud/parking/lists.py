"""The allow-list of a site (monthly passes, tenants' cars among them with their tenant's code,
visitor plates, and the door credentials of its people and visitors) and its versions: a new
version only when what it holds has changed, so agents never reload an unchanged list.

A tenant's car without a pass in force is not listed: an agent lets any listed plate out
without asking, and such a car pays like any other (its session is of kind `tenant`)."""

import hashlib
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.access import visitors as visitor_service
from cloud.access.models import HASHED, Permission, Person
from cloud.access.models import Credential as CredentialRow
from cloud.identity.models import Org
from cloud.leasing.models import Tenant
from cloud.parking.models import AllowListVersion, MonthlyPass
from cloud.properties.models import Site
from protocols.gate import AllowList, Credential, PlatePass, SecretHash, TimeWindow


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=zone)


def plate_passes(session: Session, site: Site, at: datetime, zone: ZoneInfo) -> list[PlatePass]:
    """One entry per plate: a pass in force wins over a booked visit of the same plate."""
    today = at.astimezone(zone).date()
    rows = session.execute(select(Tenant.id, Tenant.code).where(Tenant.org_id == site.org_id))
    tenants: dict[int | None, str] = {tenant_id: code for tenant_id, code in rows}
    found: dict[str, PlatePass] = {}
    for visitor in visitor_service.current_visitors(session, site.id, at):
        if visitor.plate:
            found[visitor.plate] = PlatePass(
                plate=visitor.plate,
                kind="visitor",
                valid_from=visitor.valid_from,
                valid_until=visitor.valid_until,
                tenant=tenants.get(visitor.tenant_id),
                ref=f"visitor:{visitor.code}",
            )
    for monthly in session.scalars(select(MonthlyPass).where(MonthlyPass.site_id == site.id)):
        last = monthly.valid_to + timedelta(days=monthly.grace_days)
        if monthly.cancelled or last < today:
            continue
        found[monthly.vehicle.plate] = PlatePass(
            plate=monthly.vehicle.plate,
            kind="monthly",
            valid_from=_midnight(monthly.valid_from, zone),
            valid_until=_midnight(last + timedelta(days=1), zone),
            tenant=tenants.get(monthly.tenant_id),
            ref=f"pass:{monthly.code}",
        )
    return [found[plate] for plate in sorted(found)]


def _windows(permission: Permission) -> list[TimeWindow]:
    if permission.start is None or permission.end is None:
        return []
    days = sorted({int(d) for d in permission.days})
    return [TimeWindow(days=days, start=permission.start, end=permission.end)]


def _credential(row: CredentialRow, person: Person, permission: Permission) -> Credential:
    hashed = None
    if row.kind in HASHED:
        assert row.salt and row.digest and row.iterations
        hashed = SecretHash(iterations=row.iterations, salt=row.salt, digest=row.digest)
    return Credential(
        kind=row.kind.value,
        identifier=None if hashed else row.identifier,
        secret_hash=hashed,
        person=f"person:{person.id}",
        person_name=person.name,
        areas=[permission.area],
        windows=_windows(permission),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        ref=f"credential:{row.id}",
    )


def credentials(session: Session, site: Site, at: datetime) -> list[Credential]:
    """Every live credential of the site's people, once per area they may open, and the QR
    code of every visit not over yet."""
    out: list[Credential] = []
    people = select(Person).where(Person.site_id == site.id, Person.active).order_by(Person.id)
    for person in session.scalars(people):
        permissions = list(
            session.scalars(
                select(Permission).where(Permission.person_id == person.id).order_by(Permission.id)
            )
        )
        rows = session.scalars(
            select(CredentialRow)
            .where(CredentialRow.person_id == person.id, ~CredentialRow.revoked)
            .order_by(CredentialRow.id)
        )
        for row in rows:
            if row.valid_until is not None and row.valid_until <= at:
                continue
            out.extend(_credential(row, person, permission) for permission in permissions)
    for visitor in visitor_service.current_visitors(session, site.id, at):
        out.append(
            Credential(
                kind="qr",
                person=f"visitor:{visitor.code}",
                person_name=visitor.name,
                secret_hash=SecretHash(
                    iterations=visitor.iterations, salt=visitor.salt, digest=visitor.digest
                ),
                areas=[visitor.area],
                valid_from=visitor.valid_from,
                valid_until=visitor.valid_until,
                ref=f"visitor:{visitor.code}",
            )
        )
    return out


def _digest(plates: list[PlatePass], creds: list[Credential], timezone: str) -> str:
    content = {
        "timezone": timezone,
        "plates": [p.model_dump(mode="json") for p in plates],
        "credentials": [c.model_dump(mode="json") for c in creds],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def latest_version(session: Session, site_id: int) -> AllowListVersion | None:
    stmt = select(AllowListVersion).where(AllowListVersion.site_id == site_id)
    return session.scalar(stmt.order_by(AllowListVersion.version.desc()).limit(1))


def current_list(
    *, session: Session, site: Site, at: datetime
) -> tuple[AllowList, AllowListVersion]:
    """The site's allow-list as of `at`, under a new version if it differs from the last one
    (flushed, not committed) or else under the last one's."""
    timezone = session.scalar(select(Org.timezone).where(Org.id == site.org_id)) or "Asia/Shanghai"
    zone = ZoneInfo(timezone)
    plates = plate_passes(session, site, at, zone)
    creds = credentials(session, site, at)
    digest = _digest(plates, creds, timezone)
    last = latest_version(session, site.id)
    if last is None or last.digest != digest:
        last = AllowListVersion(
            org_id=site.org_id,
            site_id=site.id,
            version=(last.version + 1) if last else 1,
            digest=digest,
            issued_at=at,
            plates=len(plates),
            credentials=len(creds),
        )
        session.add(last)
        session.flush()
    allow_list = AllowList(
        site=site.code,
        version=last.version,
        issued_at=last.issued_at,
        timezone=timezone,
        plates=plates,
        credentials=creds,
    )
    return allow_list, last

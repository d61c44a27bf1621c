"""Billing runs: gather a period's receivables for an org or one site, preview them, post them
as ledger entries on one bill per tenant, and close months.

A line's `source_key` says where it came from (a contract charge, a lease's rent or kWh for a
period, a shared meter's share, a work order charge); the ledger holds each key once, so posting
again adds only what is new. Bill PDFs and notices hang off `on_bills_posted`; the tenants'
notices are queued there (see `notices`).
"""

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from cloud.billing import ledger, metering, notices, sources
from cloud.billing.models import Account, Bill, BillingRun, ClosedPeriod, EntryKind, LedgerEntry
from cloud.billing.schemas import RunLine, RunPreview, RunRead
from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Org, Role
from cloud.leasing.contracts.models import ContractCharge
from cloud.properties.models import Site
from cloud.workorders.models import ChargeStatus, WorkOrderCharge

READERS = (Role.admin, Role.finance, Role.staff)
CHUNK = 2000


def _check_period(period_start: date, period_end: date) -> None:
    if period_end < period_start:
        raise Invalid("period_end is before period_start", field="period_end")
    if (period_end - period_start).days > 366:
        raise Invalid("a billing period is at most a year", field="period_end")


def _site(session: Session, actor: Actor, site_code: str | None) -> Site | None:
    if site_code is None:
        return None
    site = session.scalar(select(Site).where(Site.org_id == actor.org_id, Site.code == site_code))
    if site is None:
        raise NotFound(f"no site {site_code}")
    return site


def is_closed(session: Session, org_id: int, first: date, last: date) -> bool:
    return (
        session.scalar(
            select(ClosedPeriod.id).where(
                ClosedPeriod.org_id == org_id,
                ClosedPeriod.period_start.in_(sources.months(first, last)),
            )
        )
        is not None
    )


def gather(
    *, session: Session, actor: Actor, period_start: date, period_end: date, site: Site | None
) -> tuple[list[RunLine], list[str]]:
    """Every line of the period for the org (or `site`), marked `posted` when on the ledger."""
    org = identity_service.get_org(session=session, actor=actor)
    zone = ZoneInfo(org.timezone)
    due = period_end + timedelta(days=ledger.settings_of(session, org.id).due_days)
    leases = sources.tenancies(session, org.id, site, period_start, period_end)
    period = (period_start, period_end)
    metered = metering.lease_lines(
        session, org_id=org.id, zone=zone, leases=leases, period=period, due_date=due
    )
    tenancy = {lease.unit_id: lease for lease in leases}
    lines = [
        *sources.contract_lines(session, org.id, leases, period_start, period_end),
        *sources.rent_lines(leases, period_start, period_end, due),
        *metered.lines,
        *metering.shared_lines(
            session,
            org_id=org.id,
            zone=zone,
            period=period,
            tenancy=tenancy,
            kwh_by_unit=metered.kwh_by_unit,
            due_date=due,
            warnings=metered.warnings,
        ),
        *sources.work_lines(session, org.id, leases, period_end, due),
    ]
    posted = _posted_keys(session, org.id, [line.source_key for line in lines])
    for line in lines:
        line.posted = line.source_key in posted
    return lines, metered.warnings


def _posted_keys(session: Session, org_id: int, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for at in range(0, len(keys), CHUNK):
        found.update(
            session.scalars(
                select(LedgerEntry.source_key).where(
                    LedgerEntry.org_id == org_id,
                    LedgerEntry.source_key.in_(keys[at : at + CHUNK]),
                )
            ).all()  # type: ignore[arg-type]
        )
    return found


def preview_run(
    *,
    session: Session,
    actor: Actor,
    period_start: date,
    period_end: date,
    site_code: str | None = None,
) -> RunPreview:
    """What posting the run would add, without writing anything."""
    require_role(actor, *READERS)
    _check_period(period_start, period_end)
    site = _site(session, actor, site_code)
    lines, warnings = gather(
        session=session, actor=actor, period_start=period_start, period_end=period_end, site=site
    )
    zero = Decimal("0.00")
    return RunPreview(
        scope=site.code if site else "org",
        period_start=period_start,
        period_end=period_end,
        lines=lines,
        new_total=sum((ln.amount for ln in lines if ln.tenant_id and not ln.posted), zero),
        landlord_total=sum((ln.amount for ln in lines if ln.tenant_id is None), zero),
        warnings=warnings,
        closed=is_closed(session, actor.org_id, period_start, period_end),
    )


def post_run(
    *,
    session: Session,
    actor: Actor,
    period_start: date,
    period_end: date,
    site_code: str | None = None,
    posted_on: date | None = None,
) -> RunRead:
    """Post the period's new lines as charges on one bill per tenant, dated `posted_on`
    (default today in the org's zone); a re-run adds nothing."""
    require_role(actor, *ledger.WRITERS)
    _check_period(period_start, period_end)
    # One posting per org at a time: a second one waits, then finds the first one's lines.
    session.execute(select(Org.id).where(Org.id == actor.org_id).with_for_update())
    if is_closed(session, actor.org_id, period_start, period_end):
        raise Conflict(f"the period {period_start}..{period_end} is closed")
    site = _site(session, actor, site_code)
    lines, _ = gather(
        session=session, actor=actor, period_start=period_start, period_end=period_end, site=site
    )
    today = posted_on or identity_service.org_today(session=session, actor=actor)
    if is_closed(session, actor.org_id, today, today):
        raise Conflict(f"{today:%Y-%m} is closed: post the run on a later date")
    run = _run(session, actor, site, period_start, period_end, today)
    new = [line for line in lines if line.tenant_id is not None and not line.posted]
    bills = _bills(session, actor, run, new, today)
    _insert(session, actor, new, bills, today)
    _mark_sources(session, actor.org_id, new)
    for tenant_id in _tenants_in_credit(session, actor.org_id, set(bills)):
        ledger.allocate(session=session, org_id=actor.org_id, tenant_id=tenant_id, on=today)
    on_bills_posted(
        session=session, bill_ids=sorted({bills[t] for t in {ln.tenant_id for ln in new} if t})
    )
    return RunRead(
        id=run.id,
        scope=run.scope,
        period_start=run.period_start,
        period_end=run.period_end,
        posted_on=run.posted_on,
        added=len(new),
        added_total=sum((line.amount for line in new), Decimal("0.00")),
        bills=len({line.tenant_id for line in new}),
    )


def _run(
    session: Session, actor: Actor, site: Site | None, first: date, last: date, today: date
) -> BillingRun:
    scope = site.code if site else "org"
    run = session.scalar(
        select(BillingRun).where(
            BillingRun.org_id == actor.org_id,
            BillingRun.scope == scope,
            BillingRun.period_start == first,
        )
    )
    if run is None:
        run = BillingRun(
            org_id=actor.org_id,
            scope=scope,
            site_id=site.id if site else None,
            period_start=first,
            period_end=last,
            posted_on=today,
            created_by_id=actor.user_id,
        )
        session.add(run)
        session.flush()
    elif run.period_end != last:
        raise Invalid(f"the {scope} run from {first} ends {run.period_end}", field="period_end")
    return run


def _bills(
    session: Session, actor: Actor, run: BillingRun, new: Sequence[RunLine], today: date
) -> dict[int, int]:
    """The run's bill id for every tenant with new lines, made (in one statement) when missing."""
    found = session.execute(select(Bill.tenant_id, Bill.id).where(Bill.run_id == run.id))
    bills = {tenant_id: bill_id for tenant_id, bill_id in found}
    due: dict[int, date] = {}
    codes: dict[int, str] = {}
    for line in new:
        assert line.tenant_id is not None
        due[line.tenant_id] = min(due.get(line.tenant_id, line.due_date), line.due_date)
        codes[line.tenant_id] = line.tenant_code
    prefix = f"B{run.period_start:%Y%m}" + ("" if run.scope == "org" else f"-{run.scope}")
    missing = [tenant_id for tenant_id in due if tenant_id not in bills]
    if missing:
        made = session.connection().execute(
            insert(Bill).returning(Bill.tenant_id, Bill.id),
            [
                {
                    "org_id": actor.org_id,
                    "code": f"{prefix}-{codes[tenant_id]}",
                    "run_id": run.id,
                    "tenant_id": tenant_id,
                    "period_start": run.period_start,
                    "period_end": run.period_end,
                    "issued_on": today,
                    "due_date": due[tenant_id],
                }
                for tenant_id in missing
            ],
        )
        bills.update({tenant_id: bill_id for tenant_id, bill_id in made})
    return bills


def _insert(
    session: Session, actor: Actor, new: Sequence[RunLine], bills: dict[int, int], today: date
) -> None:
    if not new:
        return
    # Core, not the ORM's bulk path: the rows need no objects, and psycopg sends them in batches.
    session.connection().execute(
        insert(LedgerEntry),
        [
            {
                "org_id": actor.org_id,
                "tenant_id": line.tenant_id,
                "account": Account.receivable,
                "kind": EntryKind.charge,
                "entry_date": today,
                "amount": line.amount,
                "item": line.item,
                "due_date": line.due_date,
                "period_start": line.period_start,
                "period_end": line.period_end,
                "bill_id": bills[line.tenant_id] if line.tenant_id else None,
                "lease_id": line.lease_id,
                "contract_id": line.contract_id,
                "unit_id": line.unit_id,
                "source_key": line.source_key,
                "method": "",
                "reference": "",
                "memo": "",
                "detail": line.detail or None,
                "created_by_id": actor.user_id,
            }
            for line in new
        ],
    )


def _mark_sources(session: Session, org_id: int, new: Sequence[RunLine]) -> None:
    """Contract charges become posted (amendments leave them alone); work charges billed."""
    contract_ids = [int(ln.source_key[3:]) for ln in new if ln.source_key.startswith("cc:")]
    work_ids = [int(ln.source_key[3:]) for ln in new if ln.source_key.startswith("wo:")]
    for at in range(0, len(contract_ids), CHUNK):
        session.execute(
            update(ContractCharge)
            .where(
                ContractCharge.org_id == org_id,
                ContractCharge.id.in_(contract_ids[at : at + CHUNK]),
            )
            .values(posted=True)
        )
    if work_ids:
        session.execute(
            update(WorkOrderCharge)
            .where(WorkOrderCharge.org_id == org_id, WorkOrderCharge.id.in_(work_ids))
            .values(status=ChargeStatus.billed)
        )
    session.flush()


def _tenants_in_credit(session: Session, org_id: int, tenant_ids: set[int]) -> list[int]:
    """Tenants with credits (prepaid money) that the new charges may take, in one query."""
    stmt = select(LedgerEntry.tenant_id).where(
        LedgerEntry.org_id == org_id,
        LedgerEntry.account == Account.receivable,
        LedgerEntry.amount < 0,
    )
    with_credits = set(session.scalars(stmt.distinct()))
    return sorted(with_credits & tenant_ids)


def on_bills_posted(*, session: Session, bill_ids: Sequence[int]) -> None:
    """Seam for bill PDFs and the notification outbox: called once per posting with the ids
    of the bills that received lines, in the posting's transaction, so a tenant hears of a
    bill only if it commits."""
    notices.tell_tenants(session=session, bill_ids=bill_ids)


def close_period(*, session: Session, actor: Actor, month: date) -> None:
    """Close a month: no billing run may post into it again."""
    require_role(actor, *ledger.WRITERS)
    first = month.replace(day=1)
    if is_closed(session, actor.org_id, first, first):
        raise Conflict(f"{first:%Y-%m} is already closed")
    session.add(ClosedPeriod(org_id=actor.org_id, period_start=first, closed_by_id=actor.user_id))
    session.flush()

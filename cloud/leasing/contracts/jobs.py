"""The daily contract job, for every org on its own today: signed contracts whose lease has
started become active, contracts past their end expire, and expiry alerts are recorded.

Run it from cron or a systemd timer (`parkops lease daily`), as often as liked: every step is
idempotent. It acts for no user, so it takes no actor and scopes every query by org itself.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from cloud.identity.models import Org
from cloud.leasing.contracts import unit_status
from cloud.leasing.contracts.models import Contract, ContractStatus, ExpiryAlert

THRESHOLDS = (30, 60, 90)
"""Days before the end at which leasing staff are alerted."""


@dataclass
class DailyReport:
    activated: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    alerts: list[tuple[str, int]] = field(default_factory=list)  # (contract code, threshold)


def run_daily(*, session: Session, now: datetime | None = None) -> DailyReport:
    """Advance contract states and record expiry alerts in every org; flushes, never commits."""
    now = now or datetime.now(UTC)
    report = DailyReport()
    for org in session.scalars(select(Org).order_by(Org.id)):
        today = now.astimezone(ZoneInfo(org.timezone)).date()
        report.activated += activate_started(session=session, org_id=org.id, today=today, now=now)
        report.expired += expire_ended(session=session, org_id=org.id, today=today)
        recorded = record_expiry_alerts(session=session, org_id=org.id, today=today)
        report.alerts += [(alert.contract.code, alert.threshold_days) for alert in recorded]
    return report


def activate_started(*, session: Session, org_id: int, today: date, now: datetime) -> list[str]:
    """Signed contracts whose lease started on or before `today` become active."""
    contracts = session.scalars(
        select(Contract).where(
            Contract.org_id == org_id,
            Contract.status == ContractStatus.signed,
            Contract.start_date <= today,
            Contract.end_date >= today,
        )
    )
    codes = []
    for contract in contracts:
        contract.status, contract.activated_at = ContractStatus.active, now
        unit_status.activated(session, contract, today)
        codes.append(contract.code)
    session.flush()
    return codes


def expire_ended(*, session: Session, org_id: int, today: date) -> list[str]:
    """Signed or active contracts whose end is before `today` expire."""
    contracts = session.scalars(
        select(Contract).where(
            Contract.org_id == org_id,
            Contract.status.in_((ContractStatus.signed, ContractStatus.active)),
            Contract.end_date < today,
        )
    )
    codes = []
    for contract in contracts:
        contract.status = ContractStatus.expired
        unit_status.expired(session, contract)
        codes.append(contract.code)
    session.flush()
    return codes


def record_expiry_alerts(*, session: Session, org_id: int, today: date) -> list[ExpiryAlert]:
    """An alert for each contract in force ending within 90, 60 or 30 days, not renewed yet.

    Only the tightest threshold reached is recorded (a contract first seen 45 days before its
    end gets the 60-day alert, not also the 90-day one); one row per contract, threshold and end
    date, so running again records nothing new, and an amended end date is alerted afresh.
    """
    renewal = aliased(Contract)
    renewed = exists(
        select(renewal.id).where(
            renewal.renewal_of_id == Contract.id,
            renewal.status.in_((ContractStatus.signed, ContractStatus.active)),
        )
    )
    contracts = session.scalars(
        select(Contract).where(
            Contract.org_id == org_id,
            Contract.status.in_((ContractStatus.signed, ContractStatus.active)),
            Contract.end_date >= today,
            Contract.end_date <= today + timedelta(days=max(THRESHOLDS)),
            ~renewed,
        )
    )
    recorded = []
    for contract in contracts:
        days_left = (contract.end_date - today).days
        threshold = min(t for t in THRESHOLDS if days_left <= t)
        if session.scalar(
            select(ExpiryAlert.id).where(
                ExpiryAlert.contract_id == contract.id,
                ExpiryAlert.threshold_days == threshold,
                ExpiryAlert.end_date == contract.end_date,
            )
        ):
            continue
        alert = ExpiryAlert(
            org_id=org_id,
            contract_id=contract.id,
            threshold_days=threshold,
            end_date=contract.end_date,
            raised_on=today,
        )
        alert.contract = contract
        session.add(alert)
        recorded.append(alert)
    session.flush()
    return recorded

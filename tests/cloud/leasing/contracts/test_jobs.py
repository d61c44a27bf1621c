"""The daily job: activation, expiry, and expiry alerts at 90/60/30 days, idempotent."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cloud.db.migrate import upgrade
from cloud.errors import Forbidden, NotFound
from cloud.identity.actor import Actor
from cloud.identity.models import User
from cloud.leasing import cli as lease_cli
from cloud.leasing.contracts import amendments, jobs, service
from cloud.leasing.contracts.models import ContractStatus, ExpiryAlert
from cloud.leasing.contracts.schemas import RenewalCreate
from tests.cloud.factories import World
from tests.cloud.leasing.contracts.conftest import Signer, terms, walk_to_signed


def shanghai_morning(day: str) -> datetime:
    """08:30 in Shanghai on `day` (00:30 UTC)."""
    return datetime.fromisoformat(f"{day}T00:30:00+00:00")


def alert_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ExpiryAlert)) or 0


def test_signed_contracts_start_and_end_on_their_dates(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()  # 2026-01-01 .. 2026-12-31
    report = jobs.run_daily(session=session, now=shanghai_morning("2025-12-31"))
    assert report.activated == [] and contract.status == ContractStatus.signed
    report = jobs.run_daily(session=session, now=shanghai_morning("2026-01-01"))
    assert report.activated == [contract.code] and contract.status == ContractStatus.active
    assert jobs.run_daily(session=session, now=shanghai_morning("2026-12-31")).expired == []
    report = jobs.run_daily(session=session, now=shanghai_morning("2027-01-01"))
    assert report.expired == [contract.code] and contract.status == ContractStatus.expired


def test_alerts_at_90_60_and_30_days_are_recorded_once_each(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    assert jobs.run_daily(session=session, now=shanghai_morning("2026-10-01")).alerts == []
    # 2026-10-02 is 90 days before 2026-12-31.
    assert jobs.run_daily(session=session, now=shanghai_morning("2026-10-02")).alerts == [
        (contract.code, 90)
    ]
    assert jobs.run_daily(session=session, now=shanghai_morning("2026-10-02")).alerts == []
    assert jobs.run_daily(session=session, now=shanghai_morning("2026-10-20")).alerts == []
    assert jobs.run_daily(session=session, now=shanghai_morning("2026-11-01")).alerts == [
        (contract.code, 60)
    ]
    assert jobs.run_daily(session=session, now=shanghai_morning("2026-12-01")).alerts == [
        (contract.code, 30)
    ]
    for day in ("2026-12-01", "2026-12-15", "2026-12-31"):
        assert jobs.run_daily(session=session, now=shanghai_morning(day)).alerts == []
    assert alert_count(session) == 3


def test_business_dates_are_the_orgs_not_utc(session: Session, acme: World, signed: Signer) -> None:
    contract = signed()
    # 2026-10-01 16:30 UTC is already 2026-10-02 00:30 in Shanghai: 90 days left there.
    late_evening_utc = datetime(2026, 10, 1, 16, 30, tzinfo=UTC)
    assert jobs.run_daily(session=session, now=late_evening_utc).alerts == [(contract.code, 90)]


def test_a_contract_first_seen_late_gets_only_the_tightest_alert(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    assert jobs.run_daily(session=session, now=shanghai_morning("2026-11-16")).alerts == [
        (contract.code, 60)  # 45 days left
    ]


def test_a_renewed_contract_raises_no_alert(session: Session, acme: World, signed: Signer) -> None:
    old = signed()
    staff = acme.actors["staff"]
    renewal = amendments.renew(session=session, actor=staff, code=old.code, data=RenewalCreate())
    # A renewal in the making does not silence the alert; a signed one does.
    assert jobs.run_daily(session=session, now=shanghai_morning("2026-10-02")).alerts == [
        (old.code, 90)
    ]
    walk_to_signed(session, renewal.code, staff=staff, approver=acme.actors["admin"])
    assert jobs.run_daily(session=session, now=shanghai_morning("2026-11-01")).alerts == []


def test_staff_see_and_acknowledge_their_orgs_alerts(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    signed(
        tenant_code="TB",
        terms=terms(
            units=[{"code": "U-202", "gross": "1", "net": "1", "rentable": "1"}], end="2027-12-31"
        ),
    )
    jobs.run_daily(session=session, now=shanghai_morning("2026-12-01"))
    finance, staff = acme.actors["finance"], acme.actors["staff"]
    [alert] = service.list_alerts(session=session, actor=finance)
    assert (alert.contract_code, alert.threshold_days, alert.tenant_name) == (
        contract.code,
        30,
        "TA Ltd",
    )
    with pytest.raises(Forbidden):
        service.acknowledge_alert(session=session, actor=finance, alert_id=alert.id)
    with pytest.raises(Forbidden):
        service.list_alerts(session=session, actor=acme.actors["tenant"])
    other_admin = Actor.of(
        session.scalars(select(User).where(User.username == "other-admin")).one()
    )
    assert service.list_alerts(session=session, actor=other_admin) == []
    with pytest.raises(NotFound):
        service.acknowledge_alert(session=session, actor=other_admin, alert_id=alert.id)
    seen = service.acknowledge_alert(session=session, actor=staff, alert_id=alert.id)
    assert seen.acknowledged_at is not None
    assert service.list_alerts(session=session, actor=staff) == []
    assert service.list_alerts(session=session, actor=staff, include_acknowledged=True) == [seen]


def test_parkops_lease_daily_runs_the_job_and_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/daily.sqlite3"
    upgrade(url)
    monkeypatch.setenv("PARKOPS_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env
    result = CliRunner().invoke(lease_cli.app, ["daily"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["activated: -", "expired: -", "alerts: -"]

"""The daily late-fee job across orgs, the command line, and the billing settings."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cloud.billing import jobs, late_fees, ledger, service
from cloud.billing.cli import app
from cloud.billing.models import EntryKind, LedgerEntry
from cloud.billing.schemas import BillingSettingsRead
from cloud.errors import Forbidden, Invalid
from tests.cloud.billing.conftest import active_contract
from tests.cloud.factories import World

D = Decimal


def test_the_daily_job_posts_late_fees_once_a_day(session: Session, world: World) -> None:
    finance = world.actors["finance"]
    contract = active_contract(session, world, "TA")
    late_fees.set_policy(
        session=session,
        actor=finance,
        contract_code="HT-LF",
        grace_days=0,
        daily_rate=D("0.001"),
        cap_rate=D("0.5"),
    )
    ledger.add_entry(
        session=session,
        actor=finance,
        tenant_id=world.tenants["TA"].id,
        kind=EntryKind.charge,
        amount=D("1000.00"),
        entry_date=date(2026, 3, 1),
        due_date=date(2026, 3, 1),
        item="rent",
        contract_id=contract.id,
    )
    # 2026-03-05 in Shanghai: four days late (03-02..03-05) at 1.00 a day
    now = datetime(2026, 3, 5, 2, tzinfo=UTC)
    assert jobs.run_daily(session=session, now=now) == {"acme": 4}
    assert jobs.run_daily(session=session, now=now) == {"acme": 0}
    fees = session.scalar(select(func.count()).where(LedgerEntry.kind == EntryKind.late_fee))
    assert fees == 4
    made_by = set(
        session.scalars(
            select(LedgerEntry.created_by_id).where(LedgerEntry.kind == EntryKind.late_fee)
        )
    )
    assert made_by == {finance.user_id}


def test_settings_choose_the_allocation_order(session: Session, world: World) -> None:
    finance = world.actors["finance"]
    assert service.get_settings(session=session, actor=finance).allocation_order == "oldest_first"
    with pytest.raises(Invalid):
        service.update_settings(
            session=session,
            actor=finance,
            data=BillingSettingsRead(allocation_order="item_priority"),
        )
    with pytest.raises(Forbidden):
        service.update_settings(
            session=session, actor=world.actors["staff"], data=BillingSettingsRead(due_days=5)
        )
    chosen = BillingSettingsRead(
        allocation_order="item_priority", item_priority=["rent"], due_days=7
    )
    assert service.update_settings(session=session, actor=finance, data=chosen) == chosen
    tenant = world.tenants["TA"].id
    for item, due in (("water", date(2026, 1, 5)), ("rent", date(2026, 2, 5))):
        ledger.record_charge(
            session=session,
            actor=finance,
            tenant_id=tenant,
            item=item,
            amount=D("100.00"),
            entry_date=date(2026, 1, 1),
            due_date=due,
        )
    ledger.receive_payment(
        session=session,
        actor=finance,
        tenant_id=tenant,
        amount=D("100.00"),
        received_on=date(2026, 2, 6),
        method="cash",
        reference="",
        idempotency_key="k",
    )
    # rent first, although water fell due a month earlier
    (left,) = ledger.open_items(session=session, actor=finance, tenant_id=tenant)
    assert left.item == "water"


def test_the_command_line_previews_and_posts(
    session: Session, world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARKOPS_DATABASE_URL", database_url)
    runner = CliRunner()
    args = ["run", "2026-03-01", "2026-03-31", "--user", world.username("finance")]
    preview = runner.invoke(app, args)
    assert preview.exit_code == 0, preview.output
    # three legacy leases of 15000.00, no readings (warned)
    assert "new lines: 3" in preview.output and "new total: 45000.00" in preview.output
    posted = runner.invoke(app, [*args, "--post"])
    assert "posted 3 line(s) on 2 bill(s)" in posted.output
    again = runner.invoke(app, [*args, "--post"])
    assert "posted 0 line(s)" in again.output
    refused = runner.invoke(
        app, ["run", "2026-03-01", "2026-03-31", "--user", world.username("staff"), "--post"]
    )
    assert refused.exit_code == 1
    daily = runner.invoke(app, ["daily"])
    assert daily.exit_code == 0 and "no late-fee policies" in daily.output

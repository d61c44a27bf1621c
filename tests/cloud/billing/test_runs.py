"""Billing runs for March 2026, every figure worked out by hand in the comments."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing import ledger, runs
from cloud.billing.models import Bill, LedgerEntry
from cloud.errors import Conflict, Forbidden
from tests.cloud.billing.conftest import MARCH
from tests.cloud.factories import World

D = Decimal


def test_preview_golden_figures_and_writes_nothing(session: Session, march: World) -> None:
    preview = runs.preview_run(session=session, actor=march.actors["finance"], **MARCH)
    by_key = {(line.item, line.unit_code): line for line in preview.lines}
    # (180.13625 - 100.25) x 40 = 3195.45 kWh x 1.3000 = 4154.085 -> 4154.09
    assert by_key[("电费", "U-101")].amount == D("4154.09")
    assert by_key[("电费", "U-101")].detail["kwh"] == "3195.45"
    # 512.345 - 500 = 12.345 -> 12.35 kWh x 1.2000 = 14.82
    assert by_key[("电费", "U-102")].amount == D("14.82")
    assert ("电费", "U-103") not in by_key  # no billing meter
    # legacy leases: a full month of 15000.00 each
    assert [by_key[("租金", u)].amount for u in ("U-101", "U-102", "U-103")] == [D("15000.00")] * 3
    # shared: 333 kWh x 1.05 = 349.65 kWh x 1.0003 = 349.754895 -> 349.75, by area 100/100/100/50:
    # 99.928571.. x3 and 49.964285.. -> floors 99.92 x3 + 49.96 = 349.72, the 3 fen left go to
    # the three largest remainders (.008571 > .004285): 99.93 x3 + 49.96 = 349.75
    shares = {u: by_key[("公摊电费", u)] for u in ("U-101", "U-102", "U-103", "U-104")}
    assert [shares[u].amount for u in ("U-101", "U-102", "U-103", "U-104")] == [
        D("99.93"),
        D("99.93"),
        D("99.93"),
        D("49.96"),
    ]
    assert sum(s.amount for s in shares.values()) == D("349.75")
    assert shares["U-104"].tenant_id is None  # vacant: the landlord's
    assert preview.landlord_total == D("49.96")
    assert preview.new_total == D("45000.00") + D("4154.09") + D("14.82") + 3 * D("99.93")
    assert preview.warnings == []
    assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_post_makes_one_bill_per_tenant_and_a_rerun_adds_nothing(
    session: Session, march: World
) -> None:
    finance = march.actors["finance"]
    first = runs.post_run(session=session, actor=finance, **MARCH)
    assert (first.added, first.bills) == (8, 2)
    assert first.added_total == D("45000.00") + D("4154.09") + D("14.82") + 3 * D("99.93")
    again = runs.post_run(session=session, actor=finance, **MARCH)
    assert (again.id, again.added, again.added_total) == (first.id, 0, D("0.00"))
    assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 8
    bills = {b.tenant.code: b for b in session.scalars(select(Bill))}
    assert set(bills) == {"TA", "TB"}
    ta = ledger.tenant_balance(session=session, actor=finance, tenant_id=march.tenants["TA"].id)
    # TA: rent of U-101 and U-103, U-101's electricity, two shares
    assert ta.outstanding == D("30000.00") + D("4154.09") + 2 * D("99.93")
    preview = runs.preview_run(session=session, actor=finance, **MARCH)
    assert all(line.posted for line in preview.lines if line.tenant_id is not None)
    assert preview.new_total == D("0.00")


def test_prepaid_money_settles_the_new_bill(session: Session, march: World) -> None:
    finance = march.actors["finance"]
    tb = march.tenants["TB"].id
    ledger.receive_payment(
        session=session,
        actor=finance,
        tenant_id=tb,
        amount=D("20000.00"),
        received_on=date(2026, 2, 20),
        method="cash",
        reference="",
        idempotency_key="adv",
    )
    runs.post_run(session=session, actor=finance, **MARCH)
    balance = ledger.tenant_balance(session=session, actor=finance, tenant_id=tb)
    # 15000 + 14.82 + 99.93 = 15114.75 owed, all taken from the 20000 prepaid
    assert (balance.outstanding, balance.prepaid) == (D("0.00"), D("4885.25"))


def test_a_closed_month_is_locked(session: Session, march: World) -> None:
    finance = march.actors["finance"]
    runs.post_run(session=session, actor=finance, **MARCH)
    runs.close_period(session=session, actor=finance, month=date(2026, 3, 1))
    with pytest.raises(Conflict):
        runs.post_run(session=session, actor=finance, **MARCH)
    with pytest.raises(Conflict):
        runs.close_period(session=session, actor=finance, month=date(2026, 3, 15))
    assert runs.preview_run(session=session, actor=finance, **MARCH).closed
    # April is still open
    april = runs.post_run(
        session=session, actor=finance, period_start=date(2026, 4, 1), period_end=date(2026, 4, 30)
    )
    assert april.added == 3  # rents only: no April readings (warned), shared meter has none


def test_who_may_run(session: Session, march: World) -> None:
    runs.preview_run(session=session, actor=march.actors["staff"], **MARCH)
    for role in ("staff", "engineer", "tenant"):
        with pytest.raises(Forbidden):
            runs.post_run(session=session, actor=march.actors[role], **MARCH)
    with pytest.raises(Forbidden):
        runs.preview_run(session=session, actor=march.actors["tenant"], **MARCH)


def test_a_run_sends_as_many_statements_for_23_leases_as_for_3(
    session: Session, march: World
) -> None:
    from sqlalchemy import event

    from cloud.energy.models import Meter
    from cloud.leasing.models import Lease, Tenant
    from cloud.properties.models import Unit
    from tests.cloud.billing.conftest import utc
    from tests.cloud.factories import add_readings

    statements: list[str] = []
    engine = session.get_bind()

    def listener(*args: object) -> None:
        statements.append(str(args[2]))

    finance = march.actors["finance"]

    def count() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", listener)
        try:
            runs.preview_run(session=session, actor=finance, **MARCH)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    few = count()
    base = march.units["U-101"]
    for i in range(20):
        unit = Unit(
            org_id=march.org.id,
            building_id=base.building_id,
            floor_id=base.floor_id,
            code=f"X-{i}",
            rentable_area_m2=D("10"),
        )
        tenant = Tenant(org_id=march.org.id, code=f"TX{i}", name=f"X {i}")
        session.add_all([unit, tenant])
        session.flush()
        session.add(
            Lease(
                org_id=march.org.id,
                code=f"HX-{i}",
                unit_id=unit.id,
                tenant_id=tenant.id,
                start_date=date(2026, 1, 1),
                end_date=date(2026, 12, 31),
                monthly_rent=D("100"),
                electricity_tariff=D("1"),
            )
        )
        meter = Meter(
            org_id=march.org.id,
            site_id=march.site.id,
            agent_id=march.agent.id,
            code=f"MX-{i}",
            profile="chint-ddsu666",
            unit_id=unit.id,
            billing=True,
        )
        session.add(meter)
        session.flush()
        add_readings(session, meter, [(utc(2026, 2, 28, 16), 1.0), (utc(2026, 3, 31, 16), 2.0)])
    many = count()
    assert len([s for s in statements if "readings" in s]) <= 2
    assert many == few, statements

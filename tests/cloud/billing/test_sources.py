"""What a run takes besides legacy rent and flat electricity: a signed contract's scheduled
charges, chargeable work, a tiered tariff; and that nothing crosses orgs."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import arrears, ledger, runs
from cloud.billing.models import ElectricityTariff, LedgerEntry, MeterTariff
from cloud.errors import Forbidden, NotFound
from cloud.leasing.contracts.models import ContractCharge
from cloud.workorders.models import (
    Category,
    ChargeStatus,
    Priority,
    Source,
    WorkOrder,
    WorkOrderCharge,
)
from tests.cloud.billing.conftest import MARCH
from tests.cloud.factories import World, make_world
from tests.cloud.leasing.contracts.conftest import Signer, acme, signed, today  # noqa: F401

D = Decimal
JANUARY: dict[str, Any] = {"period_start": date(2026, 1, 1), "period_end": date(2026, 1, 31)}


def test_contract_charges_due_in_the_period_are_posted_once(
    session: Session,
    signed: Signer,  # noqa: F811
    acme: World,  # noqa: F811
    today: Callable[[date], None],  # noqa: F811
) -> None:
    contract = signed()  # U-201: quarterly from 2026-01-01, rent 10000 and fee 1000 a month
    finance = acme.actors["finance"]
    preview = runs.preview_run(session=session, actor=finance, **JANUARY)
    ours = [line for line in preview.lines if line.contract_id == contract.id]
    # Q1, due 2026-01-01: three months of rent and of the property fee
    assert sorted((line.item, line.amount) for line in ours) == [
        ("property fee", D("3000.00")),
        ("rent", D("30000.00")),
    ]
    assert all(line.due_date == date(2026, 1, 1) for line in ours)
    runs.post_run(session=session, actor=finance, posted_on=date(2026, 1, 1), **JANUARY)
    charges = session.scalars(
        select(ContractCharge).where(ContractCharge.contract_id == contract.id)
    ).all()
    posted = {(c.item, c.period_start) for c in charges if c.posted}
    assert posted == {("rent", date(2026, 1, 1)), ("property fee", date(2026, 1, 1))}
    again = runs.post_run(session=session, actor=finance, posted_on=date(2026, 1, 1), **JANUARY)
    assert again.added == 0


def _work_charge(session: Session, world: World, amount: str) -> WorkOrderCharge:
    category = Category(
        org_id=world.org.id, code="ELEC", name="Electrical", labour_rate=D("80"), active=True
    )
    session.add(category)
    session.flush()
    now = datetime(2026, 3, 10, tzinfo=UTC)
    order = WorkOrder(
        org_id=world.org.id,
        code="WO-1",
        source=Source.tenant,
        category_id=category.id,
        priority=Priority.normal,
        title="socket",
        tenant_id=world.tenants["TB"].id,
        reported_at=now,
        response_due_at=now,
        resolution_due_at=now,
        chargeable=True,
    )
    session.add(order)
    session.flush()
    charge = WorkOrderCharge(
        org_id=world.org.id,
        work_order_id=order.id,
        tenant_id=world.tenants["TB"].id,
        description="WO-1 socket",
        materials_amount=D(amount),
        labour_amount=D("0"),
        amount=D(amount),
        status=ChargeStatus.pending,
    )
    session.add(charge)
    session.flush()
    return charge


def test_chargeable_work_goes_onto_the_next_bill(session: Session, march: World) -> None:
    charge = _work_charge(session, march, "88.80")
    runs.post_run(session=session, actor=march.actors["finance"], **MARCH)
    session.refresh(charge)
    assert charge.status == ChargeStatus.billed
    (bill,) = arrears.list_bills(session=session, actor=march.actors["tenant_b"])
    # 15114.75 of March (see test_runs) and the work
    assert bill.total == D("15114.75") + D("88.80")
    april = runs.preview_run(
        session=session,
        actor=march.actors["finance"],
        period_start=date(2026, 4, 1),
        period_end=date(2026, 4, 30),
    )
    assert not [line for line in april.lines if line.source_key.startswith("wo:")]


def test_a_tiered_tariff_prices_the_meter(session: Session, march: World) -> None:
    tiers = [{"up_to": "1000", "price": "1.00"}, {"up_to": None, "price": "1.50"}]
    plan = ElectricityTariff(org_id=march.org.id, code="TIER", kind="tiered", tiers=tiers)
    session.add(plan)
    session.flush()
    meter = march.meters["M-101"]
    session.add(MeterTariff(meter_id=meter.id, org_id=march.org.id, tariff_id=plan.id))
    session.flush()
    preview = runs.preview_run(session=session, actor=march.actors["finance"], **MARCH)
    (line,) = [ln for ln in preview.lines if ln.item == "电费" and ln.unit_code == "U-101"]
    # 3195.45 kWh: 1000 x 1.00 + 2195.45 x 1.50 = 1000 + 3293.175 -> 4293.18
    assert (line.amount, line.detail["tariff"]) == (D("4293.18"), "TIER")


def test_nothing_crosses_orgs(session: Session, march: World) -> None:
    other = make_world(session, org_code="third", site_code="site3", agent_code="agent3")
    runs.post_run(session=session, actor=march.actors["finance"], **MARCH)
    assert arrears.list_bills(session=session, actor=other.actors["finance"]) == []
    code = arrears.list_bills(session=session, actor=march.actors["finance"])[0].code
    with pytest.raises(NotFound):
        arrears.get_bill(session=session, actor=other.actors["tenant"], code=code)
    with pytest.raises(NotFound):
        ledger.receive_payment(
            session=session,
            actor=other.actors["finance"],
            tenant_id=march.tenants["TA"].id,
            amount=D("1.00"),
            received_on=date(2026, 4, 1),
            method="cash",
            reference="",
            idempotency_key="x",
        )
    with pytest.raises(Forbidden):
        ledger.tenant_balance(
            session=session, actor=other.actors["tenant"], tenant_id=march.tenants["TA"].id
        )
    theirs = runs.preview_run(session=session, actor=other.actors["finance"], **MARCH)
    own = {tenant.id for tenant in other.tenants.values()}
    assert theirs.lines and {line.tenant_id for line in theirs.lines} <= own
    assert session.scalar(select(LedgerEntry.id).where(LedgerEntry.org_id == other.org.id)) is None


def test_time_of_use_prices_each_band(session: Session, march: World) -> None:
    """M-102 (CT 1) read at 06:00 and 09:00 local on 2026-03-02 besides the boundaries: the
    3.00 kWh between them fall 1 h valley, 1 h flat, 1 h peak."""
    from tests.cloud.factories import add_readings

    meter = march.meters["M-102"]
    add_readings(
        session,
        meter,
        [
            (datetime(2026, 3, 1, 22, tzinfo=UTC), 505.0),
            (datetime(2026, 3, 2, 1, tzinfo=UTC), 508.0),
        ],
    )
    bands = [
        {"start": "08:00", "end": "11:00", "band": "peak"},
        {"start": "23:00", "end": "00:00", "band": "valley"},
        {"start": "00:00", "end": "07:00", "band": "valley"},
    ]
    plan = ElectricityTariff(
        org_id=march.org.id,
        code="TOU",
        kind="tou",
        bands=bands,
        prices={"peak": "2.00", "flat": "1.00", "valley": "0.50"},
    )
    session.add(plan)
    session.flush()
    session.add(MeterTariff(meter_id=meter.id, org_id=march.org.id, tariff_id=plan.id))
    session.flush()
    preview = runs.preview_run(session=session, actor=march.actors["finance"], **MARCH)
    (line,) = [ln for ln in preview.lines if ln.item == "电费" and ln.unit_code == "U-102"]
    kwh = {band: D(line.detail[f"kwh_{band}"]) for band in ("peak", "flat", "valley")}
    # Steps, each spread evenly over its hours (valley 23-07, peak 08-11, flat the rest):
    # 03-01 00:00 -> 03-02 06:00, 5 kWh over 30 h: valley 14 h, peak 3 h, flat 13 h
    # 03-02 06:00 -> 09:00, 3 kWh: 1 h each
    # 03-02 09:00 -> 04-01 00:00, 4.345 kWh over 711 h: peak 89 h, flat 389 h, valley 233 h
    # exact: peak 2.043889, flat 5.543903, valley 4.757208 (12.345); to 12.35 kWh by largest
    # remainder: 2.04 / 5.55 / 4.76
    assert kwh == {"peak": D("2.04"), "flat": D("5.55"), "valley": D("4.76")}
    # 2.04 x 2.00 + 5.55 x 1.00 + 4.76 x 0.50 = 4.08 + 5.55 + 2.38
    assert line.amount == D("12.01")


def test_a_shared_meter_split_by_usage(session: Session, march: World) -> None:
    from cloud.billing.models import SharedMeter

    shared = session.scalars(select(SharedMeter)).one()
    shared.basis = "usage"
    session.flush()
    preview = runs.preview_run(session=session, actor=march.actors["finance"], **MARCH)
    shares = {ln.unit_code: ln.amount for ln in preview.lines if ln.item == "公摊电费"}
    # 349.75 by the units' own kWh 3195.45 : 12.35 (U-103, U-104 have no meter: nothing)
    # 349.75 x 3195.45 / 3207.80 = 348.4034.. -> 348.40; 1.3465.. -> 1.34; the fen left goes to
    # the larger remainder (.0065 > .0034): 1.35
    assert shares == {"U-101": D("348.40"), "U-102": D("1.35")}
    assert preview.landlord_total == D("0.00")

"""The demo's billing: a tiered electricity tariff on one billing meter, the park's public
meter (公摊) split over building A by area, late-fee policies on the org's contracts, and last
month's billing run posted, so the finance pages and the tenant's bills are real at once.
Idempotent like the rest of the demo seed."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import late_fees, runs
from cloud.billing.models import (
    BillingRun,
    ElectricityTariff,
    LateFeePolicy,
    MeterTariff,
    SharedMeter,
    SharedMeterUnit,
)
from cloud.energy.models import Meter
from cloud.identity.actor import Actor
from cloud.leasing.contracts.models import Contract
from cloud.properties.models import Unit

TARIFF_CODE = "DEMO-TIERED"
TIERS = [{"up_to": "1000", "price": "1.1000"}, {"up_to": None, "price": "1.3500"}]
TARIFF_METER = "EM-A-1202"
PUBLIC_METER = "EM-A-PUB"
SHARED_PRICE = Decimal("1.2000")
SHARED_LOSS = Decimal("0.03")  # line loss between the public meter and the floors
GRACE_DAYS, DAILY_RATE, CAP_RATE = 5, Decimal("0.0005"), Decimal("0.2000")  # 万分之五/天, ≤20 %


def seed_billing(*, session: Session, admin: Actor, building_id: int, today: date) -> None:
    """What is missing of the demo's billing set-up, then last month's run unless it is
    posted already: a later run would also bill the work-order charges the demo shows as
    waiting to be billed. Flushes, never commits."""
    org_id = admin.org_id
    meters = {
        m.code: m
        for m in session.scalars(
            select(Meter).where(
                Meter.org_id == org_id, Meter.code.in_([TARIFF_METER, PUBLIC_METER])
            )
        )
    }
    _tariff(session, org_id, meters.get(TARIFF_METER))
    if PUBLIC_METER in meters:
        _shared(session, org_id, meters[PUBLIC_METER], building_id)
    _late_fee_policies(session, admin)
    last = today.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    posted = select(BillingRun.id).where(
        BillingRun.org_id == org_id, BillingRun.scope == "org", BillingRun.period_start == first
    )
    if session.scalar(posted) is None:
        runs.post_run(
            session=session, actor=admin, period_start=first, period_end=last, posted_on=today
        )


def _tariff(session: Session, org_id: int, meter: Meter | None) -> None:
    tariff = session.scalar(
        select(ElectricityTariff).where(
            ElectricityTariff.org_id == org_id, ElectricityTariff.code == TARIFF_CODE
        )
    )
    if tariff is None:
        tariff = ElectricityTariff(org_id=org_id, code=TARIFF_CODE, kind="tiered", tiers=TIERS)
        session.add(tariff)
        session.flush()
    if meter is not None and session.get(MeterTariff, meter.id) is None:
        session.add(MeterTariff(meter_id=meter.id, org_id=org_id, tariff_id=tariff.id))
        session.flush()


def _shared(session: Session, org_id: int, meter: Meter, building_id: int) -> None:
    if session.scalar(select(SharedMeter.id).where(SharedMeter.meter_id == meter.id)):
        return
    shared = SharedMeter(
        org_id=org_id,
        meter_id=meter.id,
        basis="area",
        loss_factor=SHARED_LOSS,
        item="公摊电费",
        price=SHARED_PRICE,
    )
    session.add(shared)
    session.flush()
    units = session.scalars(
        select(Unit.id).where(Unit.org_id == org_id, Unit.building_id == building_id)
    )
    session.add_all(
        SharedMeterUnit(shared_meter_id=shared.id, unit_id=unit_id, org_id=org_id)
        for unit_id in units
    )
    session.flush()


def _late_fee_policies(session: Session, admin: Actor) -> None:
    """Every contract of the org without a policy gets the demo's (a contract's own stays)."""
    bare = session.scalars(
        select(Contract.code)
        .outerjoin(LateFeePolicy, LateFeePolicy.contract_id == Contract.id)
        .where(Contract.org_id == admin.org_id, LateFeePolicy.id.is_(None))
        .order_by(Contract.code)
    )
    for code in list(bare):
        late_fees.set_policy(
            session=session,
            actor=admin,
            contract_code=code,
            grace_days=GRACE_DAYS,
            daily_rate=DAILY_RATE,
            cap_rate=CAP_RATE,
        )

"""Electricity charges from cumulative meter registers — a difference, never a sum of deltas."""

import logging
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import ledger, metering
from cloud.billing.models import AllocationOrder, BillingSettings
from cloud.billing.schemas import BillingSettingsRead, ElectricityCharge, OpeningSource
from cloud.energy import service as energy_service
from cloud.energy.models import Meter, Reading
from cloud.errors import Invalid, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing import service as leasing_service
from cloud.leasing.models import Lease
from protocols.profiles import ENERGY_IMPORT

KWH = Decimal("0.01")
FEN = Decimal("0.01")
STALE_AFTER = timedelta(days=1)
"""A boundary reading further than this from its boundary may carry another period's energy."""

log = logging.getLogger(__name__)


class NoBillingMeter(Invalid):
    """The lease's unit has no meter marked for billing."""


class NoReadings(NotFound):
    """The billing meter has no energy register reading for the period."""


def electricity_charge(
    *, session: Session, actor: Actor, lease_code: str, period_start: date, period_end: date
) -> ElectricityCharge:
    """The electricity charge of a visible lease over org-local dates, both ends included."""
    if period_end < period_start:
        raise Invalid("period_end is before period_start", field="period_end")
    lease = leasing_service.get_lease(session=session, actor=actor, code=lease_code)
    start, end = max(period_start, lease.start_date), min(period_end, lease.end_date)
    if end < start:
        raise Invalid(
            f"lease {lease.code} runs {lease.start_date}..{lease.end_date}, "
            f"outside {period_start}..{period_end}",
            field="period_start",
        )
    meter = _billing_meter(session=session, lease=lease)
    start_at, end_at = identity_service.org_instants(
        session=session, actor=actor, first=start, last=end
    )

    opening, source, closing, later = _boundary_readings(
        session=session,
        meter=meter,
        start_at=start_at,
        end_at=end_at,
        lease_starts=start == lease.start_date,
    )

    opening_kwh, closing_kwh = _decimal(opening.value), _decimal(closing.value)
    rise, between = metering.register_rise(
        metering.Point(opening.ts, opening_kwh),
        metering.Point(closing.ts, closing_kwh),
        metering.breaks(session, [meter.id], end_at).get(meter.id, []),
    )
    if rise < 0:
        raise Invalid(
            f"the register of meter {meter.code} went down from {opening_kwh} to {closing_kwh} "
            f"kWh between {opening.ts.isoformat()} and {closing.ts.isoformat()}: if the meter "
            "was replaced or rolled over, record the exchange (换表) with the old register's "
            "final and the new one's initial value"
        )
    kwh = (rise * meter.ct_ratio).quantize(KWH, ROUND_HALF_UP)
    return ElectricityCharge(
        lease_code=lease.code,
        tenant_name=lease.tenant.name,
        unit_code=lease.unit.code,
        meter_code=meter.code,
        period_start=start,
        period_end=end,
        opening_ts=opening.ts,
        opening_kwh=opening_kwh,
        opening_source=source,
        closing_ts=closing.ts,
        closing_kwh=closing_kwh,
        ct_ratio=meter.ct_ratio,
        exchanges=len(between),
        kwh=kwh,
        tariff=lease.electricity_tariff,
        amount=(kwh * lease.electricity_tariff).quantize(FEN, ROUND_HALF_UP),
        partial=(
            source == "first_in_period"
            or later is None  # the period has not ended, or the meter has not reported since
            or start_at - opening.ts > STALE_AFTER
            or end_at - closing.ts > STALE_AFTER
        ),
    )


def _boundary_readings(
    *, session: Session, meter: Meter, start_at: datetime, end_at: datetime, lease_starts: bool
) -> tuple[Reading, OpeningSource, Reading, Reading | None]:
    """The energy register readings that open and close [start_at, end_at), and the first one
    after it (None while the period has not ended or the meter has not reported since).

    When the period is the lease's first, a stale reading before it is left out: what the meter
    counted before the lease began belongs to the previous occupant, not to this tenant.
    """
    opening = energy_service.last_reading(
        session=session, meter=meter, metric=ENERGY_IMPORT, at=start_at
    )
    source: OpeningSource = "at_or_before_start"
    if opening is not None and lease_starts and start_at - opening.ts > STALE_AFTER:
        opening = None
    if opening is None:
        source = "first_in_period"
        opening = energy_service.first_reading(
            session=session, meter=meter, metric=ENERGY_IMPORT, start=start_at, before=end_at
        )
    if opening is None:
        raise NoReadings(f"meter {meter.code} has no {ENERGY_IMPORT} reading before {end_at}")
    # At or before the end: a reading exactly at the boundary closes this period and opens the
    # next, so consecutive periods telescope to the whole register difference.
    closing = energy_service.last_reading(
        session=session, meter=meter, metric=ENERGY_IMPORT, at=end_at
    )
    assert closing is not None  # opening itself is at or before end_at
    later = energy_service.first_reading(
        session=session, meter=meter, metric=ENERGY_IMPORT, start=end_at
    )
    return opening, source, closing, later


def current_electricity_charges(
    *, session: Session, actor: Actor, today: date | None = None
) -> list[ElectricityCharge]:
    """Month-to-date charges of the visible leases running this month that have readings.

    `today` defaults to today in the org's time zone. A lease whose charge cannot be worked out
    is left out so the others still show: silently when it has no billing meter or no readings
    yet, with a logged warning when its data needs a person (a register that went down, two
    billing meters); its own charge (`electricity_charge`) says why.
    """
    today = today or identity_service.org_today(session=session, actor=actor)
    month_start = today.replace(day=1)
    charges = []
    for lease in leasing_service.list_leases(session=session, actor=actor):
        if lease.end_date < month_start or lease.start_date > today:
            continue
        try:
            charges.append(
                electricity_charge(
                    session=session,
                    actor=actor,
                    lease_code=lease.code,
                    period_start=month_start,
                    period_end=today,
                )
            )
        except (NoBillingMeter, NoReadings):
            continue
        except Invalid as exc:
            log.warning("electricity charge of lease %s left out: %s", lease.code, exc)
    return charges


def _billing_meter(*, session: Session, lease: Lease) -> Meter:
    meters = list(
        session.scalars(
            select(Meter).where(
                Meter.org_id == lease.org_id, Meter.unit_id == lease.unit_id, Meter.billing
            )
        )
    )
    if not meters:
        raise NoBillingMeter(f"unit {lease.unit.code} of lease {lease.code} has no billing meter")
    if len(meters) > 1:
        codes = ", ".join(sorted(m.code for m in meters))
        raise Invalid(
            f"unit {lease.unit.code} has {len(meters)} billing meters ({codes}); "
            "one per unit is supported for now"
        )
    return meters[0]


def _decimal(value: float) -> Decimal:
    """The shortest decimal that round-trips the float, i.e. what the meter showed."""
    return Decimal(repr(value))


def get_settings(*, session: Session, actor: Actor) -> BillingSettingsRead:
    """The org's billing settings (the defaults until finance sets them)."""
    require_role(actor, Role.admin, Role.finance, Role.staff)
    found = ledger.settings_of(session, actor.org_id)
    return BillingSettingsRead(
        allocation_order=AllocationOrder(found.allocation_order),
        item_priority=list(found.item_priority or []),
        due_days=found.due_days,
    )


def update_settings(
    *, session: Session, actor: Actor, data: BillingSettingsRead
) -> BillingSettingsRead:
    """Set the allocation order and due days; payments already allocated stay as they are."""
    require_role(actor, Role.admin, Role.finance)
    if data.allocation_order == AllocationOrder.item_priority and not data.item_priority:
        raise Invalid("name the fee items in the order to settle them", field="item_priority")
    found = session.get(BillingSettings, actor.org_id)
    if found is None:
        found = BillingSettings(org_id=actor.org_id)
        session.add(found)
    found.allocation_order = data.allocation_order
    found.item_priority = list(data.item_priority)
    found.due_days = data.due_days
    session.flush()
    return get_settings(session=session, actor=actor)

"""The service calls behind the live blocks, as the signed-in user, and how often they repeat."""

from datetime import UTC, date, datetime, timedelta
from typing import Final

from cloud.billing import service as billing_service
from cloud.billing.schemas import ElectricityCharge
from cloud.energy import service as energy_service
from cloud.energy.models import Reading
from cloud.energy.schemas import MeterSnapshot
from cloud.identity import service as identity_service
from cloud.web.auth import WebContext, as_user

READINGS_EVERY_S: Final = 2.0
# Charges move only as fast as the energy register, and each one costs a few queries per lease.
CHARGES_EVERY_S: Final = 15.0
POWER_WINDOW: Final = timedelta(minutes=15)


async def latest_readings(ctx: WebContext) -> list[MeterSnapshot]:
    """The newest reading of every meter the user may see."""
    return await as_user(ctx, energy_service.latest_readings)


async def org_today(ctx: WebContext) -> date:
    """Today in the time zone of the user's org: the last day of "this month to date"."""
    return await as_user(ctx, identity_service.org_today)


async def charges_this_month(ctx: WebContext) -> list[ElectricityCharge]:
    """The month-to-date charges of the user's leases (the month of the org's today)."""
    return await as_user(ctx, billing_service.current_electricity_charges)


async def power_history(ctx: WebContext, meter_code: str) -> list[Reading]:
    """Active power of one meter over the last `POWER_WINDOW`, oldest first."""
    now = datetime.now(UTC)
    return await as_user(
        ctx,
        energy_service.readings,
        meter_code=meter_code,
        start=now - POWER_WINDOW,
        end=now + timedelta(minutes=1),  # a device clock a little ahead still shows
        metric="active_power",
    )

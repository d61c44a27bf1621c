"""The service calls behind the live blocks, as the signed-in user, and how often they repeat."""

from datetime import UTC, date, datetime, timedelta
from typing import Final

from cloud.billing import service as billing_service
from cloud.billing.schemas import ElectricityCharge
from cloud.energy import service as energy_service
from cloud.energy.models import Reading
from cloud.energy.schemas import MeterSnapshot
from cloud.web.auth import WebContext, as_user

READINGS_EVERY_S: Final = 2.0
# Charges move only as fast as the energy register, and each one costs a few queries per lease.
CHARGES_EVERY_S: Final = 15.0
POWER_WINDOW: Final = timedelta(minutes=15)


async def latest_readings(ctx: WebContext) -> list[MeterSnapshot]:
    """The newest reading of every meter the user may see."""
    return await as_user(ctx, energy_service.latest_readings)


async def charges_this_month(ctx: WebContext) -> tuple[date, list[ElectricityCharge]]:
    """Today in the org's time zone, and the month-to-date charges of the user's leases."""
    today = datetime.now(ctx.zone).date()
    return today, await as_user(ctx, billing_service.current_electricity_charges, today=today)


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

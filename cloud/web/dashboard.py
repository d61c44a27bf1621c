"""`/`: the staff console's first page: live meter readings, power chart, month-to-date charges."""

from datetime import datetime

from fastapi.responses import RedirectResponse
from nicegui import ui

from cloud.web import live
from cloud.web.auth import WebContext, signed_in
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.web.notices import guarded
from cloud.web.widgets import ChargeTable, MeterTable, PowerChart


def register(ctx: WebContext) -> None:
    """Add the staff console."""

    @ui.page("/")
    def dashboard_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        with frame(t("dashboard.title"), user_name=user.display_name, current="/"):
            _live_blocks(ctx)
        return None


def _live_blocks(ctx: WebContext) -> None:
    with section(t("dashboard.meters")):
        updated = ui.label().classes("text-xs text-grey-7")
        meters = MeterTable(ctx.zone)
    with section(t("dashboard.power_chart")):
        chart = PowerChart(ctx.zone)
    with section(t("dashboard.charges")):
        period = ui.label().classes("text-xs text-grey-7")
        charges = ChargeTable()

    async def refresh_readings() -> None:
        snapshots = await live.latest_readings(ctx)
        meters.show(snapshots)
        for code in chart.missing(snapshots):
            chart.load(code, await live.power_history(ctx, code))
        chart.add(snapshots)
        updated.set_text(t("dashboard.updated", time=datetime.now(ctx.zone).strftime("%H:%M:%S")))

    async def refresh_charges() -> None:
        charges.show(await live.charges_this_month(ctx))
        today = await live.org_today(ctx)
        period.set_text(t("dashboard.charges_period", start=today.replace(day=1), end=today))

    # Timers live as long as this browser tab: each open console polls on its own.
    ui.timer(live.READINGS_EVERY_S, guarded(refresh_readings))
    ui.timer(live.CHARGES_EVERY_S, guarded(refresh_charges))

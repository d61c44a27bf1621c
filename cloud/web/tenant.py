"""`/m`: a tenant's phone view of its own meters and this month's electricity charge, and the
way to its repair requests."""

from collections.abc import Callable, Iterable
from typing import Final, Generic, TypeVar
from zoneinfo import ZoneInfo

from fastapi.responses import RedirectResponse
from nicegui import ui

from cloud.billing.schemas import ElectricityCharge
from cloud.energy.schemas import MeterSnapshot
from cloud.web import live
from cloud.web.auth import WebContext, signed_in
from cloud.web.formatting import METER_METRICS, cny, kwh, local_time, tariff
from cloud.web.i18n import t
from cloud.web.layout import frame
from cloud.web.notices import guarded

Item = TypeVar("Item")


# The tenant's own pages, as tiles on /m: (path, translation key, icon).
TENANT_PAGES: Final = (
    ("/m/bills", "mobile.bills", "receipt_long"),
    ("/m/pay", "mobile.pay", "payments"),
    ("/m/repairs", "mobile.repairs", "build"),
    ("/m/visitors", "mobile.visitors", "qr_code"),
    ("/m/notices", "mobile.notices", "campaign"),
    ("/m/services", "mobile.services", "room_service"),
)


def register(ctx: WebContext) -> None:
    """Add the tenant's phone view."""

    @ui.page("/m")
    def tenant_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        with frame(t("mobile.title"), user_name=user.display_name, narrow=True):
            with ui.grid(columns=3).classes("w-full gap-2"):
                for path, key, icon in TENANT_PAGES:
                    ui.button(
                        t(key), icon=icon, on_click=lambda path=path: ui.navigate.to(path)
                    ).props("stack outline no-caps").classes("w-full")
            _live_cards(ctx)
        return None


class CardList(Generic[Item]):
    """Cards keyed by code, updated in place; a card appears when its code first shows up."""

    def __init__(
        self,
        draw: Callable[[Item], Callable[[Item], None]],
        key: Callable[[Item], str],
        empty_text: str,
    ) -> None:
        self._draw, self._key = draw, key
        self._updaters: dict[str, Callable[[Item], None]] = {}
        self._column = ui.column().classes("w-full gap-3")
        with self._column:
            self._empty = ui.label(empty_text).classes("text-grey-7")

    def show(self, items: Iterable[Item]) -> None:
        for item in items:
            code = self._key(item)
            if code not in self._updaters:
                with self._column:
                    self._updaters[code] = self._draw(item)
            self._updaters[code](item)
        self._empty.set_visibility(not self._updaters)


def _meter_card(zone: ZoneInfo) -> Callable[[MeterSnapshot], Callable[[MeterSnapshot], None]]:
    def draw(snapshot: MeterSnapshot) -> Callable[[MeterSnapshot], None]:
        with ui.card().classes("w-full"):
            ui.label(t("mobile.meter", code=snapshot.meter_code)).classes("text-base font-medium")
            ui.label(snapshot.unit_code or "").classes("text-xs text-grey-7")
            values: dict[str, ui.label] = {}
            with ui.grid(columns=2).classes("w-full gap-x-4 gap-y-1 tabular"):
                for display in METER_METRICS:
                    ui.label(t(display.label_key)).classes("text-grey-7")
                    values[display.metric] = ui.label().classes("text-right")
            when = ui.label().classes("text-xs text-grey-7")

        def update(latest: MeterSnapshot) -> None:
            for display in METER_METRICS:
                values[display.metric].set_text(display.format(latest.values.get(display.metric)))
            stamp = local_time(latest.last_ts, zone) if latest.last_ts else "—"
            when.set_text(t("meter.read_at", time=stamp))

        return update

    return draw


def _charge_card(charge: ElectricityCharge) -> Callable[[ElectricityCharge], None]:
    with ui.card().classes("w-full bg-blue-1"):
        ui.label(t("mobile.charge")).classes("text-base font-medium")
        amount = ui.label().classes("text-3xl font-bold text-primary tabular")
        usage = ui.label().classes("tabular")
        lease = ui.label().classes("text-xs text-grey-7")

    def update(latest: ElectricityCharge) -> None:
        amount.set_text(cny(latest.amount))
        usage.set_text(t("mobile.usage", kwh=kwh(latest.kwh), tariff=tariff(latest.tariff)))
        period = t("dashboard.charges_period", start=latest.period_start, end=latest.period_end)
        lease.set_text(f"{latest.lease_code} · {latest.unit_code} · {period}")

    return update


def _live_cards(ctx: WebContext) -> None:
    charges = CardList(_charge_card, key=lambda c: c.lease_code, empty_text=t("charge.none"))
    meters = CardList(_meter_card(ctx.zone), key=lambda s: s.meter_code, empty_text=t("meter.none"))

    async def refresh_readings() -> None:
        meters.show(await live.latest_readings(ctx))

    async def refresh_charges() -> None:
        charges.show(await live.charges_this_month(ctx))

    ui.timer(live.READINGS_EVERY_S, guarded(refresh_readings))
    ui.timer(live.CHARGES_EVERY_S, guarded(refresh_charges))

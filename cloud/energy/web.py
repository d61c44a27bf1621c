"""`/energy`: a building's consumption per day over a month and a meter's hourly series over a
week, from the rollups (ECharts), and a meter's exchanges (换表) with the form to record one,
for the park's staff."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import RedirectResponse
from nicegui import ui
from sqlalchemy.orm import Session

from cloud.energy import consumption
from cloud.energy import service as energy_service
from cloud.energy.consumption import Scope, Width
from cloud.energy.models import MeterExchange
from cloud.energy.partitions import next_month
from cloud.energy.schemas import EnergySeries, ExchangeCreate, ExchangeKind
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.web.auth import WebContext, as_user, signed_in
from cloud.web.calls import call
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.web.notices import guarded

EXCHANGE_KINDS = {
    ExchangeKind.replaced: "energy.kind.replaced",
    ExchangeKind.rolled_over: "energy.kind.rolled_over",
}

EXCHANGE_COLUMNS = (
    ("at", "energy.exchanged_at"),
    ("kind", "energy.kind"),
    ("final", "energy.final_value"),
    ("initial", "energy.initial_value"),
    ("note", "energy.note"),
)


def register(ctx: WebContext) -> None:
    """Add the console's energy page."""

    @ui.page("/energy")
    async def energy_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        with frame(t("energy.title"), user_name=user.display_name, current="/energy"):
            await _blocks(ctx)
        return None


def _chart(kind: str) -> ui.echart:
    return ui.echart(
        {
            "animation": False,
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 56, "right": 16, "top": 24, "bottom": 28},
            "xAxis": {"type": "category", "data": []},
            "yAxis": {"type": "value", "name": "kWh"},
            "series": [{"type": kind, "data": [], "name": "kWh"}],
        }
    ).classes("w-full h-72")


def _draw(chart: ui.echart, found: EnergySeries, zone: ZoneInfo, label: str) -> None:
    chart.options["xAxis"]["data"] = [
        p.bucket.astimezone(zone).strftime(label) for p in found.points
    ]
    chart.options["series"][0]["data"] = [p.kwh for p in found.points]
    chart.update()


async def _blocks(ctx: WebContext) -> None:
    zone = ZoneInfo((await as_user(ctx, identity_service.get_org)).timezone)
    today = await as_user(ctx, identity_service.org_today)
    buildings = await as_user(ctx, consumption.building_codes)
    meters = [m.code for m in await as_user(ctx, energy_service.list_meters)]

    with section(t("energy.building_days")):
        with ui.row().classes("items-end gap-4"):
            building = ui.select(
                buildings, value=buildings[0] if buildings else None, label=t("energy.building")
            ).classes("min-w-[8rem]")
            month = ui.input(t("energy.month"), value=f"{today:%Y-%m}").props("mask='####-##'")
        days_total = ui.label().classes("text-sm text-grey-7")
        days_chart = _chart("bar")
    with section(t("energy.meter_hours")):
        with ui.row().classes("items-end gap-4"):
            meter = ui.select(meters, value=meters[0] if meters else None, label=t("energy.meter"))
            week = ui.input(t("energy.week_from"), value=f"{today - timedelta(days=6):%Y-%m-%d}")
            week.props("mask='####-##-##'")
        hours_chart = _chart("line")

    async def show_days() -> None:
        if not building.value:
            return
        first = date.fromisoformat(f"{month.value}-01")
        found = await as_user(
            ctx,
            consumption.series,
            scope=Scope.building,
            code=building.value,
            width=Width.day,
            start=_at(first, zone),
            end=_at(next_month(first), zone),
        )
        _draw(days_chart, found, zone, "%m-%d")
        days_total.set_text(t("energy.total", kwh=f"{sum(p.kwh for p in found.points):,.1f}"))

    async def show_hours() -> None:
        if not meter.value:
            return
        first = date.fromisoformat(week.value)
        found = await as_user(
            ctx,
            consumption.series,
            scope=Scope.meter,
            code=meter.value,
            width=Width.hour,
            start=_at(first, zone),
            end=_at(first + timedelta(days=7), zone),
        )
        _draw(hours_chart, found, zone, "%m-%d %H:00")

    for control, show in (
        (building, show_days),
        (month, show_days),
        (meter, show_hours),
        (week, show_hours),
    ):
        control.on_value_change(guarded(show))
    await guarded(show_days)()
    await guarded(show_hours)()
    await _exchanges(ctx, meters, zone)


async def _exchanges(ctx: WebContext, meters: list[str], zone: ZoneInfo) -> None:
    """A meter's exchanges (or rollovers) and the form that records one (engineers, admins)."""
    with section(t("energy.exchanges")):
        ui.label(t("energy.exchanges_hint")).classes("text-sm text-grey-7")
        with ui.row().classes("items-end gap-4"):
            meter = ui.select(meters, value=meters[0] if meters else None, label=t("energy.meter"))
            at = ui.input(t("energy.exchanged_at"), placeholder="2026-03-10 09:00")
            kind = ui.select(
                {kind.value: t(key) for kind, key in EXCHANGE_KINDS.items()},
                value=ExchangeKind.replaced.value,
                label=t("energy.kind"),
            )
            final = ui.number(t("energy.final_value"), min=0, format="%.3f")
            initial = ui.number(t("energy.initial_value"), min=0, value=0, format="%.3f")
            note = ui.input(t("energy.note"))
            save = ui.button(t("energy.record_exchange"), icon="swap_horiz")
        table = (
            ui.table(
                columns=[
                    {"name": field, "label": t(key), "field": field, "align": "left"}
                    for field, key in EXCHANGE_COLUMNS
                ],
                rows=[],
                row_key="at",
            )
            .classes("w-full")
            .props(f'flat dense no-data-label="{t("energy.no_exchanges")}"')
        )

    async def show() -> None:
        found = await call(ctx, energy_service.list_exchanges, meter_code=meter.value)
        table.rows = [
            {
                "at": f"{e.at.astimezone(zone):%Y-%m-%d %H:%M}",
                "kind": t(EXCHANGE_KINDS[ExchangeKind(e.kind)]),
                "final": f"{e.final_value:f}",
                "initial": f"{e.initial_value:f}",
                "note": e.note,
            }
            for e in found or []
        ]
        table.update()

    async def record() -> None:
        try:
            when = datetime.strptime(at.value.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        except ValueError:
            ui.notify(t("energy.bad_time"), type="negative", position="top")
            return
        if final.value is None or initial.value is None:
            ui.notify(t("energy.need_values"), type="negative", position="top")
            return
        data = {"at": when, "kind": kind.value, "note": note.value or ""}
        data |= {"final_value": _decimal(final.value), "initial_value": _decimal(initial.value)}
        exchange = await call(ctx, _record_exchange, meter_code=meter.value, data=data)
        if exchange is not None:
            ui.notify(t("energy.exchange_recorded"), type="positive", position="top")
            await show()

    save.on_click(record)
    meter.on_value_change(guarded(show))
    if meters:
        await show()


def _record_exchange(
    *, session: Session, actor: Actor, meter_code: str, data: dict[str, Any]
) -> MeterExchange:
    """The form's values checked as the REST API checks them, then recorded."""
    return energy_service.record_exchange(
        session=session, actor=actor, meter_code=meter_code, data=ExchangeCreate(**data)
    )


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


def _at(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

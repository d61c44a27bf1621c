"""`/devices`: edge agents online or offline with last seen and config drift; meters with their
last values."""

from datetime import datetime

from fastapi.responses import RedirectResponse
from nicegui import ui

from cloud.devices import service
from cloud.devices.service import AgentView, MeterView
from cloud.web.auth import WebContext, as_user, signed_in
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.web.notices import guarded

REFRESH_S = 10.0


def register(ctx: WebContext) -> None:
    @ui.page("/devices")
    def devices_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        with frame(t("devices.title"), user_name=user.display_name, current="/devices"):
            _blocks(ctx)
        return None


def _when(ctx: WebContext, value: datetime | None) -> str:
    return (
        value.astimezone(ctx.zone).strftime("%m-%d %H:%M:%S")
        if isinstance(value, datetime)
        else "—"
    )


def _agent_row(ctx: WebContext, view: AgentView) -> dict[str, object]:
    return {
        "code": view.agent.code,
        "site": view.site_code,
        "state": t("devices.online") if view.agent.online else t("devices.offline"),
        "last_seen": _when(ctx, view.agent.last_seen_at),
        "versions": ", ".join(
            f"{k} {v}" for k, v in sorted((view.state.versions if view.state else {}).items())
        ),
        "config": view.agent.config_hash or "—",
        "drift": t("devices.drift") if view.drift else "",
    }


def _meter_row(ctx: WebContext, view: MeterView) -> dict[str, object]:
    values = "  ".join(
        f"{metric} {value:g}" for metric, (_, value) in sorted(view.last_values.items())
    )
    newest = max((ts for ts, _ in view.last_values.values()), default=None)
    return {
        "code": view.meter.code,
        "agent": view.agent_code,
        "unit": view.meter.unit.code if view.meter.unit else "—",
        "values": values or "—",
        "at": _when(ctx, newest),
    }


def _columns(*names: str) -> list[dict[str, str]]:
    labels = {
        "code": t("devices.col.code"),
        "site": t("devices.col.site"),
        "state": t("devices.col.state"),
        "last_seen": t("devices.col.last_seen"),
        "versions": t("devices.col.versions"),
        "config": t("devices.col.config"),
        "drift": t("devices.col.drift"),
        "agent": t("devices.col.agent"),
        "unit": t("devices.col.unit"),
        "values": t("devices.col.values"),
        "at": t("devices.col.at"),
    }
    return [{"name": n, "label": labels[n], "field": n, "align": "left"} for n in names]


def _blocks(ctx: WebContext) -> None:
    with section(t("devices.agents")):
        agents = ui.table(
            columns=_columns("code", "site", "state", "last_seen", "versions", "config", "drift"),
            rows=[],
            row_key="code",
        ).classes("w-full")
    with section(t("devices.meters")):
        meters = ui.table(
            columns=_columns("code", "agent", "unit", "values", "at"), rows=[], row_key="code"
        ).classes("w-full")

    async def refresh() -> None:
        agents.rows = [_agent_row(ctx, v) for v in await as_user(ctx, service.list_agents)]
        meters.rows = [_meter_row(ctx, v) for v in await as_user(ctx, service.list_meters)]
        agents.update()
        meters.update()

    ui.timer(0.1, guarded(refresh), once=True)
    ui.timer(REFRESH_S, guarded(refresh))

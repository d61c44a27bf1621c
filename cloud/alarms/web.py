"""`/alarms`: open alarms, acknowledged or cleared with a note."""

from collections.abc import Awaitable, Callable

from fastapi.responses import RedirectResponse
from nicegui import ui

from cloud.alarms import service
from cloud.alarms.models import Alarm, AlarmState
from cloud.web.auth import WebContext, as_user, signed_in
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.web.notices import guarded

REFRESH_S = 10.0


def register(ctx: WebContext) -> None:
    @ui.page("/alarms")
    def alarms_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        with frame(t("alarms.title"), user_name=user.display_name, current="/alarms"):
            _blocks(ctx)
        return None


def _blocks(ctx: WebContext) -> None:
    with section(t("alarms.open")):
        empty = ui.label(t("alarms.none")).classes("text-grey-7")
        listing = ui.column().classes("w-full gap-2")

    shown: list[tuple[int, str, int]] = []

    async def refresh() -> None:
        alarms = await as_user(ctx, service.list_alarms)
        now = [(a.id, a.state.value, a.count) for a in alarms]
        if now == shown:
            return  # redrawing would wipe a note someone is typing
        shown[:] = now
        empty.set_visibility(not alarms)
        listing.clear()
        with listing:
            for alarm in alarms:
                _card(ctx, alarm, refresh)

    ui.timer(0.1, guarded(refresh), once=True)
    ui.timer(REFRESH_S, guarded(refresh))


def _card(ctx: WebContext, alarm: Alarm, refresh: Callable[[], Awaitable[None]]) -> None:
    colour = {"critical": "red", "major": "orange", "minor": "amber"}[alarm.rule.severity]
    with (
        ui.card().classes(f"w-full border-l-4 border-{colour}-6").props(f'data-alarm="{alarm.id}"')
    ):
        with ui.row().classes("items-center gap-3 w-full"):
            ui.badge(_severity(alarm.rule.severity), color=colour)
            ui.label(alarm.rule.name).classes("font-medium")
            ui.label(alarm.subject).classes("tabular")
            ui.space()
            ui.label(_state(alarm.state)).classes("text-sm")
        ui.label(alarm.message).classes("text-sm")
        raised = alarm.raised_at.astimezone(ctx.zone).strftime("%m-%d %H:%M")
        last = alarm.last_at.astimezone(ctx.zone).strftime("%m-%d %H:%M")
        ui.label(t("alarms.times", raised=raised, last=last, count=alarm.count)).classes(
            "text-xs text-grey-7"
        )
        note = ui.input(t("alarms.note")).classes("w-full")

        async def act(action: Callable[..., Alarm]) -> None:
            await as_user(ctx, action, alarm_id=alarm.id, note=note.value or "")
            await refresh()

        with ui.row():
            if alarm.state == AlarmState.raised:
                ui.button(
                    t("alarms.acknowledge"), on_click=guarded(lambda: act(service.acknowledge))
                )
            ui.button(t("alarms.clear"), on_click=guarded(lambda: act(service.clear))).props(
                "outline"
            )


def _severity(severity: str) -> str:
    return {
        "critical": t("alarms.severity.critical"),
        "major": t("alarms.severity.major"),
        "minor": t("alarms.severity.minor"),
    }[severity]


def _state(state: AlarmState) -> str:
    return {
        AlarmState.raised: t("alarms.state.raised"),
        AlarmState.acknowledged: t("alarms.state.acknowledged"),
        AlarmState.cleared: t("alarms.state.cleared"),
    }[state]

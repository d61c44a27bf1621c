"""`/parking`: the live lot, the review queue (settle or waive, with a reason), and revenue
per day and gate for the last two weeks. Every rule is the service's."""

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui
from sqlalchemy.orm import Session

from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.parking import reports, sessions
from cloud.parking.api import session_read
from cloud.parking.models import SessionState
from cloud.parking.schemas import RevenueRow, ReviewSettlement, SessionRead
from cloud.web.auth import WebContext, signed_in
from cloud.web.calls import call as _call
from cloud.web.formatting import cny, local_minute
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.web.widgets import column

LIVE_EVERY_S = 5.0
REVENUE_DAYS = 14


def _lot(*, session: Session, actor: Actor) -> tuple[list[SessionRead], list[SessionRead]]:
    """The cars parked now and the sessions waiting for review."""
    live = sessions.list_sessions(session=session, actor=actor, states=(SessionState.open,))
    queue = sessions.list_sessions(session=session, actor=actor, states=(SessionState.review,))
    return [session_read(s) for s in live], [session_read(s) for s in queue]


def _revenue(*, session: Session, actor: Actor) -> tuple[list[str], list[RevenueRow]]:
    """Every org-local day of the last two weeks, and the revenue rows of those days."""
    today = identity_service.org_today(session=session, actor=actor)
    first = today - timedelta(days=REVENUE_DAYS - 1)
    days = [(first + timedelta(days=n)).isoformat() for n in range(REVENUE_DAYS)]
    return days, reports.revenue(session=session, actor=actor, first=first, last=today)


def _kind_label(kind: str) -> str:
    return {
        "temporary": t("pk.kind.temporary"),
        "monthly": t("pk.kind.monthly"),
        "tenant": t("pk.kind.tenant"),
        "visitor": t("pk.kind.visitor"),
    }[kind]


_TOO_LONG = re.compile(r"^stayed more than (\d+) days")


def _reason(text: str) -> str:
    """The service's review reason in the page's language (a settlement note stays as is)."""
    text = text.replace(sessions.NO_ENTRY, t("pk.why.no_entry"))
    text = text.replace(sessions.ENTERED_TWICE, t("pk.why.entered_twice"))
    return _TOO_LONG.sub(lambda m: t("pk.why.too_long", days=m.group(1)), text)


def register(ctx: WebContext) -> None:
    """Add the console's parking page."""

    @ui.page("/parking")
    async def parking_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        with frame(t("pk.title"), user_name=user.display_name, current="/parking"):
            await _page(ctx)
        return None


async def _page(ctx: WebContext) -> None:
    with section(t("pk.live")):
        live = ui.table(
            columns=[
                column("plate", t("pk.col.plate")),
                column("kind", t("pk.col.kind")),
                column("gate", t("pk.col.gate")),
                column("entered", t("pk.col.entered")),
                column("paid", t("pk.col.paid"), align="right"),
            ],
            rows=[],
            row_key="id",
            pagination=15,
        ).classes("w-full")
        live.props(f'flat dense no-data-label="{t("pk.none")}"')
        live.on("rowClick", lambda e: _waive_dialog(ctx, e.args[1], refresh))
        ui.label(t("pk.click_to_waive")).classes("text-xs text-grey-7")
    with section(t("pk.review")):
        queue = ui.table(
            columns=[
                column("id", "#"),
                column("plate", t("pk.col.plate")),
                column("reason", t("pk.col.reason")),
                column("entered", t("pk.col.entered")),
                column("exited", t("pk.col.exited")),
            ],
            rows=[],
            row_key="id",
        ).classes("w-full")
        queue.props(f'flat dense no-data-label="{t("pk.none")}"')
        queue.on("rowClick", lambda e: _settle_dialog(ctx, e.args[1], refresh))

    async def refresh() -> None:
        found = await _call(ctx, _lot)
        if found is None:
            return
        parked, waiting = found
        live.rows = [
            {
                "id": s.id,
                "plate": s.plate,
                "kind": _kind_label(s.kind),
                "gate": s.entry_gate or "—",
                "entered": local_minute(s.entered_at, ctx.zone),
                "paid": cny(s.paid) + (f" · {t('pk.waived')}" if s.waived_reason else ""),
            }
            for s in parked
        ]
        queue.rows = [
            {
                "id": s.id,
                "plate": s.plate,
                "reason": _reason(s.review_reason or ""),
                "entered": local_minute(s.entered_at, ctx.zone),
                "exited": local_minute(s.exited_at, ctx.zone),
            }
            for s in waiting
        ]
        live.update()
        queue.update()

    revenue = section(t("pk.revenue"))
    ui.timer(LIVE_EVERY_S, refresh)
    await refresh()
    days, rows = await _call(ctx, _revenue) or ([], [])
    with revenue:
        _revenue_chart(days, rows)


def _revenue_chart(days: list[str], rows: list[RevenueRow]) -> None:
    gates = sorted({r.gate or t("pk.no_gate") for r in rows})
    amounts = {(r.day.isoformat(), r.gate or t("pk.no_gate")): float(r.amount) for r in rows}
    series = [
        {
            "name": gate,
            "type": "bar",
            "stack": "revenue",
            "data": [amounts.get((day, gate), 0) for day in days],
        }
        for gate in gates
    ]
    ui.echart(
        {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": gates},
            "xAxis": {"type": "category", "data": days},
            "yAxis": {"type": "value", "name": "¥"},
            "series": series,
        }
    ).classes("w-full h-72")
    if not rows:
        ui.label(t("pk.no_revenue")).classes("text-grey-7")


def _settle_dialog(ctx: WebContext, row: dict[str, Any], refresh: Any) -> None:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        ui.label(t("pk.settle", plate=row["plate"])).classes("text-lg font-medium")
        ui.label(row.get("reason", "")).classes("text-grey-7")
        fee = ui.input(t("pk.fee"), value="0").classes("w-full")
        reason = ui.textarea(t("pk.reason")).classes("w-full")

        async def submit() -> None:
            try:
                amount = Decimal(str(fee.value).strip())
                data = ReviewSettlement(fee=amount, reason=(reason.value or "").strip())
            except (InvalidOperation, ValueError):
                ui.notify(t("pk.bad_input"), type="negative", position="top")
                return
            done = await _call(ctx, sessions.settle_review, session_id=int(row["id"]), data=data)
            if done is not None:
                dialog.close()
                ui.notify(t("pk.settled"), type="positive", position="top")
                await refresh()

        with ui.row().classes("w-full justify-end"):
            ui.button(t("pk.cancel"), on_click=dialog.close).props("flat")
            ui.button(t("pk.confirm"), on_click=submit)
    dialog.open()


def _waive_dialog(ctx: WebContext, row: dict[str, Any], refresh: Any) -> None:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        ui.label(t("pk.waive", plate=row["plate"])).classes("text-lg font-medium")
        reason = ui.textarea(t("pk.reason")).classes("w-full")

        async def submit() -> None:
            done = await _call(
                ctx, sessions.waive, session_id=int(row["id"]), reason=reason.value or ""
            )
            if done is not None:
                dialog.close()
                ui.notify(t("pk.settled"), type="positive", position="top")
                await refresh()

        with ui.row().classes("w-full justify-end"):
            ui.button(t("pk.cancel"), on_click=dialog.close).props("flat")
            ui.button(t("pk.confirm"), on_click=submit)
    dialog.open()

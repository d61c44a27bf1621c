"""`/leads` (funnel and channel charts, the list, a new lead) and `/leads/{code}` (drawn by
`web_lead.py`).

Thin: every form builds the same schema the REST API reads and calls the same service as the
signed-in user; a lead's own page shows its steps only to staff and admins, and only while it
is open.
"""

from collections.abc import Callable
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloud.errors import ParkopsError, Unauthenticated
from cloud.identity.actor import Actor
from cloud.leasing.leads import reports, service, web_lead
from cloud.leasing.leads.models import LeadSource
from cloud.leasing.leads.schemas import (
    LeadCreate,
    LeadReport,
    LeadSummary,
)
from cloud.leasing.leads.web_forms import PATH, submit, table
from cloud.leasing.leads.web_labels import (
    funnel_chart,
    source_chart,
    source_label,
    stage_label,
)
from cloud.properties import service as properties_service
from cloud.web.auth import WebContext, as_user, sign_out, signed_in
from cloud.web.i18n import t
from cloud.web.layout import frame, section


class ListData(BaseModel):
    leads: list[LeadSummary]
    report: LeadReport
    unit_codes: list[str]
    may_write: bool


def _list_data(*, session: Session, actor: Actor) -> "ListData | ParkopsError":
    try:
        return ListData(
            leads=service.list_leads(session=session, actor=actor),
            report=reports.lead_report(session=session, actor=actor),
            unit_codes=[
                u.code for u in properties_service.list_units(session=session, actor=actor)
            ],
            may_write=actor.role in service.WRITE_ROLES,
        )
    except Unauthenticated:
        raise
    except ParkopsError as error:
        return error


def register(ctx: WebContext) -> None:
    """Add the lead pages to the staff console."""

    @ui.page(PATH)
    async def leads_page() -> RedirectResponse | None:
        return await _page(ctx, t("leads.title"), _list_data, _list_page, current=PATH)

    @ui.page(PATH + "/{code}")
    async def lead_page(code: str) -> RedirectResponse | None:
        return await _page(
            ctx, t("lead.title", code=code), web_lead.lead_data, web_lead.lead_page, code=code
        )


async def _page(
    ctx: WebContext,
    title: str,
    load: Callable[..., Any],
    draw: Callable[[WebContext, Any], None],
    current: str | None = None,
    **kw: Any,
) -> RedirectResponse | None:
    user = signed_in()
    if user is None:
        return RedirectResponse("/login")
    if user.is_tenant:
        return RedirectResponse("/m")
    try:
        data = await as_user(ctx, load, **kw)
    except Unauthenticated:
        sign_out()
        return RedirectResponse("/login")
    with frame(title, user_name=user.display_name, current=current):
        if isinstance(data, ParkopsError):
            ui.label(str(data)).classes("text-negative")
        else:
            draw(ctx, data)
    return None


def _list_page(ctx: WebContext, data: ListData) -> None:
    with section(t("leads.report")), ui.row().classes("w-full gap-4 no-wrap"):
        ui.echart(funnel_chart(data.report)).classes("w-1/2 h-72").props('data-testid="funnel"')
        ui.echart(source_chart(data.report)).classes("w-1/2 h-72").props('data-testid="sources"')
    with section(t("leads.by_source")):
        rows = [
            {
                "key": f.source,
                "source": source_label(f.source),
                "leads": f.leads,
                "won": f.won,
                "lost": f.lost,
                "open": f.open,
                "conversion": "-" if f.conversion is None else f"{f.conversion * 100:.1f}%",
            }
            for f in data.report.by_source
        ]
        columns = [
            ("source", t("lead.source")),
            ("leads", t("lead.report.leads")),
            ("won", t("lead.report.won")),
            ("lost", t("lead.report.lost")),
            ("open", t("lead.report.open")),
            ("conversion", t("lead.report.conversion")),
        ]
        table(columns, rows)
    with section(t("leads.list")):
        if data.may_write:
            dialog = _new_lead_dialog(ctx, data.unit_codes)
            ui.button(t("leads.new"), icon="add", on_click=dialog.open).props("unelevated")
        rows = [
            {
                "key": lead.code,
                "code": lead.code,
                "company": lead.company,
                "source": source_label(lead.source),
                "stage": stage_label(lead.stage),
                "units": ", ".join(lead.unit_codes),
                "created": lead.created_on.isoformat(),
            }
            for lead in data.leads
        ]
        columns = [
            ("code", t("lead.code")),
            ("company", t("lead.company")),
            ("source", t("lead.source")),
            ("stage", t("lead.stage")),
            ("units", t("lead.units")),
            ("created", t("lead.created")),
        ]
        shown = table(columns, rows)
        shown.on("rowClick", lambda e: ui.navigate.to(f"{PATH}/{e.args[1]['code']}"))
        shown.classes("cursor-pointer")


def _new_lead_dialog(ctx: WebContext, unit_codes: list[str]) -> ui.dialog:
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        ui.label(t("leads.new")).classes("text-lg")
        company = ui.input(t("lead.company")).classes("w-full")
        source = ui.select(
            {s.value: source_label(s) for s in LeadSource}, label=t("lead.source"), value="walk_in"
        ).classes("w-full")
        detail = ui.input(t("lead.source_detail")).classes("w-full")
        units = ui.select(unit_codes, label=t("lead.units"), multiple=True, value=[]).classes(
            "w-full"
        )
        contact = ui.input(t("lead.contact")).classes("w-full")
        phone = ui.input(t("lead.phone")).classes("w-full")

        def build() -> dict[str, Any]:
            contacts = (
                [{"name": contact.value, "phone": phone.value or ""}] if contact.value else []
            )
            data = {
                "company": company.value or "",
                "source": source.value,
                "source_detail": detail.value or "",
                "unit_codes": units.value or [],
                "contacts": contacts,
            }
            return {"data": LeadCreate.model_validate(data)}

        ui.button(t("leads.create"), on_click=submit(ctx, service.create_lead, build)).props(
            "unelevated"
        )
    return dialog

"""`/leads` (funnel and channel charts, the list, a new lead) and `/leads/{code}` (contacts,
follow-ups, stage history, deposit, and the steps the user may take).

Thin: every form builds the same schema the REST API reads and calls the same service as the
signed-in user; a lead's own page shows its steps only to staff and admins, and only while it
is open.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from cloud.errors import ParkopsError, Unauthenticated
from cloud.identity.actor import Actor
from cloud.leasing.leads import conversion, reports, service
from cloud.leasing.leads.models import DepositStatus, FollowUpKind, LeadSource, LostReason
from cloud.leasing.leads.schemas import (
    Conversion,
    DepositMove,
    FollowUpCreate,
    LeadCreate,
    LeadRead,
    LeadReport,
    LeadSummary,
    LetterOfIntent,
    LostMark,
)
from cloud.leasing.leads.web_labels import (
    deposit_label,
    funnel_chart,
    kind_label,
    reason_label,
    source_chart,
    source_label,
    stage_label,
)
from cloud.properties import service as properties_service
from cloud.web.auth import WebContext, as_user, sign_out, signed_in
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.web.notices import guarded

PATH = "/leads"


class ListData(BaseModel):
    leads: list[LeadSummary]
    report: LeadReport
    unit_codes: list[str]
    may_write: bool


class LeadData(BaseModel):
    lead: LeadRead
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


def _lead_data(*, session: Session, actor: Actor, code: str) -> "LeadData | ParkopsError":
    try:
        lead = service.read_lead(session=session, actor=actor, code=code)
        return LeadData(lead=lead, may_write=actor.role in service.WRITE_ROLES)
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
        return await _page(ctx, t("lead.title", code=code), _lead_data, _lead_page, code=code)


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
        _table(columns, rows)
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
        shown = _table(columns, rows)
        shown.on("rowClick", lambda e: ui.navigate.to(f"{PATH}/{e.args[1]['code']}"))
        shown.classes("cursor-pointer")


def _table(columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> ui.table:
    shown = ui.table(
        columns=[{"name": n, "label": label, "field": n, "align": "left"} for n, label in columns],
        rows=rows,
        row_key="key",
        pagination={"rowsPerPage": 0},
    )
    return shown.classes("w-full tabular").props(
        f'flat dense hide-pagination no-data-label="{t("leads.none")}"'
    )


def _submit(
    ctx: WebContext, work: Callable[..., Any], build: Callable[[], dict[str, Any]], **kw: Any
) -> Callable[[], Awaitable[None]]:
    """A button's handler: build the input, call `work` as the user, then reload the page."""

    async def run() -> None:
        try:
            arguments = build()
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            message = t("dialog.bad_input", message=f"{where}: {first['msg']}".lstrip(": "))
            ui.notify(message, type="warning", position="top", multi_line=True)
            return
        where = await as_user(ctx, _dropping(work), **kw, **arguments)
        if not where:
            ui.navigate.reload()
        else:
            ui.navigate.to(where)

    return guarded(run)


def _dropping(work: Callable[..., Any]) -> Callable[..., str]:
    """`work`, its ORM result dropped, or turned into where to go (a new lead or contract)."""

    def call(**kw: Any) -> str:
        made = work(**kw)
        if work is service.create_lead:
            return f"{PATH}/{made.code}"
        if work is conversion.convert:
            return f"/contracts/{made.code}"
        return ""  # stay, and show the page again

    return call


def _value(field: Any) -> Any:
    value = field.value
    return None if value in ("", None) else value


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

        ui.button(t("leads.create"), on_click=_submit(ctx, service.create_lead, build)).props(
            "unelevated"
        )
    return dialog


def _lead_page(ctx: WebContext, data: LeadData) -> None:
    lead = data.lead
    with ui.card().classes("w-full"):
        ui.label(f"{lead.company} · {stage_label(lead.stage)}").classes(
            "text-lg font-medium"
        ).props('data-testid="lead-stage"')
        facts = [
            (t("lead.source"), f"{source_label(lead.source)} {lead.source_detail}".strip()),
            (t("lead.units"), ", ".join(lead.unit_codes) or "-"),
            (
                t("lead.contacts"),
                "; ".join(f"{c.name} {c.title} {c.phone}".strip() for c in lead.contacts) or "-",
            ),
        ]
        if lead.lost_reason:
            facts.append(
                (t("lead.lost_reason"), f"{reason_label(lead.lost_reason)} {lead.lost_note}")
            )
        if lead.deposit_status and lead.deposit_amount is not None:
            facts.append(
                (
                    t("lead.deposit"),
                    f"¥{lead.deposit_amount:,.2f} {deposit_label(lead.deposit_status)}",
                )
            )
        if lead.contract_code:
            facts.append((t("lead.contract"), lead.contract_code))
        for label, value in facts:
            with ui.row().classes("gap-2"):
                ui.label(label).classes("text-grey-7 w-24")
                ui.label(value)
        if lead.contract_code:
            ui.link(lead.contract_code, f"/contracts/{lead.contract_code}")
    if data.may_write:
        _steps(ctx, lead)
    _history(lead)


def _steps(ctx: WebContext, lead: LeadRead) -> None:
    code = lead.code
    if lead.stage not in ("signed", "lost"):
        with section(t("lead.follow_up")), ui.row().classes("w-full gap-2 items-end"):
            kind = ui.select(
                {k.value: kind_label(k) for k in FollowUpKind}, label=t("lead.kind"), value="visit"
            ).classes("w-36")
            note = ui.input(t("lead.note")).classes("w-64")
            rent = ui.input(t("lead.rent")).classes("w-28")
            fee = ui.input(t("lead.property_fee")).classes("w-28")
            start = ui.input(t("lead.lease_start"), placeholder="2026-05-01").classes("w-32")
            months = ui.input(t("lead.term_months")).classes("w-24")
            free = ui.input(t("lead.free_months")).classes("w-24")

            def follow_up() -> dict[str, Any]:
                data = {
                    "kind": kind.value,
                    "note": note.value or "",
                    "rent_per_m2_month": _value(rent),
                    "property_fee_per_m2_month": _value(fee),
                    "lease_start": _value(start),
                    "term_months": _value(months),
                    "free_months": _value(free),
                }
                return {"data": FollowUpCreate.model_validate(data)}

            ui.button(
                t("lead.add"), on_click=_submit(ctx, service.add_follow_up, follow_up, code=code)
            )
        with section(t("lead.close")), ui.row().classes("w-full gap-2 items-end"):
            reason = ui.select(
                {r.value: reason_label(r) for r in LostReason},
                label=t("lead.lost_reason"),
                value="price",
            ).classes("w-40")
            why = ui.input(t("lead.note")).classes("w-64")

            def lost() -> dict[str, Any]:
                return {"data": LostMark(reason=reason.value, note=why.value or "")}

            ui.button(
                t("lead.mark_lost"), on_click=_submit(ctx, service.mark_lost, lost, code=code)
            ).props("color=negative outline")
        if lead.stage != "loi":
            with section(t("lead.loi")), ui.row().classes("w-full gap-2 items-end"):
                signed_on = ui.input(t("lead.signed_on"), placeholder="2026-03-05").classes("w-32")
                deposit = ui.input(t("lead.deposit")).classes("w-32")

                def loi() -> dict[str, Any]:
                    values = {"signed_on": _value(signed_on), "deposit": _value(deposit)}
                    return {"data": LetterOfIntent.model_validate(values)}

                ui.button(
                    t("lead.sign_loi"), on_click=_submit(ctx, conversion.sign_loi, loi, code=code)
                )
        with section(t("lead.convert")), ui.row().classes("w-full gap-2 items-end"):
            tenant = ui.input(t("lead.tenant_code"), value=lead.tenant_code or "").classes("w-32")
            tariff = ui.input(t("lead.tariff"), value="1.2").classes("w-28")

            def convert() -> dict[str, Any]:
                values = {"tenant_code": _value(tenant), "electricity_tariff": _value(tariff)}
                return {"data": Conversion.model_validate(values)}

            ui.button(
                t("lead.to_contract"), on_click=_submit(ctx, conversion.convert, convert, code=code)
            ).props("unelevated")
    _deposit_buttons(ctx, lead)


def _deposit_buttons(ctx: WebContext, lead: LeadRead) -> None:
    status = lead.deposit_status
    steps = conversion.DEPOSIT_STEPS.get(DepositStatus(status), ()) if status else ()
    steps = tuple(s for s in steps if s != DepositStatus.applied)  # conversion applies it
    if not steps:
        return
    with ui.row().classes("gap-2"):
        for step in steps:
            ui.button(
                t("lead.deposit_to", status=deposit_label(step)),
                on_click=_submit(ctx, conversion.move_deposit, _deposit_move(step), code=lead.code),
            ).props("outline")


def _deposit_move(step: DepositStatus) -> Callable[[], dict[str, Any]]:
    return lambda: {"data": DepositMove(status=step)}


def _history(lead: LeadRead) -> None:
    with section(t("lead.history")), ui.timeline(side="right").classes("w-full"):
        entries: list[tuple[tuple[str, str], str, str]] = []
        for f in lead.follow_ups:
            terms = f" ¥{f.rent_per_m2_month}/m²" if f.rent_per_m2_month is not None else ""
            when = (f.happened_on.isoformat(), f.created_at.isoformat())
            entries.append((when, kind_label(f.kind), f"{f.note}{terms}".strip()))
        for s in lead.stage_changes:
            when = (s.changed_on.isoformat(), s.changed_at.isoformat())
            moved = t("lead.moved", stage=stage_label(s.to_stage))
            entries.append((when, moved, s.note))
        for (date_text, _at), title, body in sorted(entries, key=lambda e: e[0]):
            ui.timeline_entry(body, title=title, subtitle=date_text)

"""`/leads/{code}`: a lead's particulars, units and contacts, the steps staff may take while it
is open (follow-up, lost, letter of intent, conversion), its deposit and its history."""

from collections.abc import Callable
from typing import Any

from nicegui import ui
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloud.errors import ParkopsError, Unauthenticated
from cloud.identity.actor import Actor
from cloud.leasing.leads import conversion, service
from cloud.leasing.leads.models import DepositStatus, FollowUpKind, LostReason
from cloud.leasing.leads.schemas import (
    ContactData,
    Conversion,
    DepositMove,
    FollowUpCreate,
    LeadRead,
    LeadUpdate,
    LetterOfIntent,
    LostMark,
)
from cloud.leasing.leads.web_forms import submit, value
from cloud.leasing.leads.web_labels import (
    deposit_label,
    kind_label,
    reason_label,
    source_label,
    stage_label,
)
from cloud.properties import service as properties_service
from cloud.web.auth import WebContext
from cloud.web.i18n import t
from cloud.web.layout import section


class LeadData(BaseModel):
    lead: LeadRead
    may_write: bool
    unit_codes: list[str]


def lead_data(*, session: Session, actor: Actor, code: str) -> "LeadData | ParkopsError":
    try:
        lead = service.read_lead(session=session, actor=actor, code=code)
        units = properties_service.list_units(session=session, actor=actor)
        return LeadData(
            lead=lead,
            may_write=actor.role in service.WRITE_ROLES,
            unit_codes=[u.code for u in units],
        )
    except Unauthenticated:
        raise
    except ParkopsError as error:
        return error


def lead_page(ctx: WebContext, data: LeadData) -> None:
    lead = data.lead
    with ui.card().classes("w-full").props('data-testid="lead-facts"'):
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
        for label, text in facts:
            with ui.row().classes("gap-2"):
                ui.label(label).classes("text-grey-7 w-24")
                ui.label(text)
        if lead.contract_code:
            ui.link(lead.contract_code, f"/contracts/{lead.contract_code}")
    if data.may_write and lead.stage not in ("signed", "lost"):
        _particulars(ctx, lead, data.unit_codes)
    if data.may_write:
        _steps(ctx, lead)
    _history(lead)


def _particulars(ctx: WebContext, lead: LeadRead, unit_codes: list[str]) -> None:
    """The units the lead wants, and another contact."""
    with section(t("lead.particulars")), ui.row().classes("w-full gap-2 items-end"):
        units = ui.select(
            unit_codes, label=t("lead.units"), multiple=True, value=list(lead.unit_codes)
        ).classes("w-72")

        def set_units() -> dict[str, Any]:
            return {"data": LeadUpdate(unit_codes=list(units.value or []))}

        ui.button(
            t("lead.save"), on_click=submit(ctx, service.update_lead, set_units, code=lead.code)
        )
        name = ui.input(t("lead.contact")).classes("w-32")
        phone = ui.input(t("lead.phone")).classes("w-32")

        def contact() -> dict[str, Any]:
            values = {"name": name.value or "", "phone": phone.value or ""}
            return {"data": ContactData.model_validate(values)}

        ui.button(
            t("lead.add_contact"),
            on_click=submit(ctx, service.add_contact, contact, code=lead.code),
        )


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
                    "rent_per_m2_month": value(rent),
                    "property_fee_per_m2_month": value(fee),
                    "lease_start": value(start),
                    "term_months": value(months),
                    "free_months": value(free),
                }
                return {"data": FollowUpCreate.model_validate(data)}

            ui.button(
                t("lead.add"), on_click=submit(ctx, service.add_follow_up, follow_up, code=code)
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
                t("lead.mark_lost"), on_click=submit(ctx, service.mark_lost, lost, code=code)
            ).props("color=negative outline")
        if lead.stage != "loi":
            with section(t("lead.loi")), ui.row().classes("w-full gap-2 items-end"):
                signed_on = ui.input(t("lead.signed_on"), placeholder="2026-03-05").classes("w-32")
                deposit = ui.input(t("lead.deposit")).classes("w-32")

                def loi() -> dict[str, Any]:
                    values = {"signed_on": value(signed_on), "deposit": value(deposit)}
                    return {"data": LetterOfIntent.model_validate(values)}

                ui.button(
                    t("lead.sign_loi"), on_click=submit(ctx, conversion.sign_loi, loi, code=code)
                )
        with section(t("lead.convert")), ui.row().classes("w-full gap-2 items-end"):
            tenant = ui.input(t("lead.tenant_code"), value=lead.tenant_code or "").classes("w-32")
            tariff = ui.input(t("lead.tariff"), value="1.2").classes("w-28")

            def convert() -> dict[str, Any]:
                values = {"tenant_code": value(tenant), "electricity_tariff": value(tariff)}
                return {"data": Conversion.model_validate(values)}

            ui.button(
                t("lead.to_contract"), on_click=submit(ctx, conversion.convert, convert, code=code)
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
                on_click=submit(ctx, conversion.move_deposit, _deposit_move(step), code=lead.code),
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

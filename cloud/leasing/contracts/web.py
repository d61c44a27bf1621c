"""`/contracts` (list, expiry alerts, new draft) and `/contracts/{code}` (terms, schedule,
approvals, amendment difference, settlement, and the lifecycle buttons the user may press).

Thin: every button calls the same service function as the REST API, as the signed-in user, and
the buttons shown are the ones `service.allowed_actions` allows.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloud.errors import ParkopsError, Unauthenticated
from cloud.identity.actor import Actor
from cloud.identity.models import Role
from cloud.leasing import service as leasing_service
from cloud.leasing.contracts import amendments, document, lifecycle, service, termination
from cloud.leasing.contracts.schemas import (
    AlertRead,
    ContractRead,
    ContractSummary,
    Schedule,
    ScheduleDiff,
    SettlementRead,
)
from cloud.leasing.contracts.web_blocks import (
    action_label,
    approvals_block,
    diff_block,
    header,
    schedule_block,
    settlement_block,
    shown_version,
    summary_columns,
    summary_rows,
    table,
    terms_block,
)
from cloud.leasing.contracts.web_dialogs import apply, dialog_for, guard_input, new_contract_dialog
from cloud.web.auth import WebContext, as_user, sign_out, signed_in
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.web.notices import guarded

WRITERS = (Role.admin, Role.staff)


def register(ctx: WebContext) -> None:
    """Add the contract pages to the staff console."""

    @ui.page("/contracts")
    async def contracts_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        try:
            data = await as_user(ctx, _list_data)
        except Unauthenticated:
            sign_out()
            return RedirectResponse("/login")
        with frame(t("contracts.title"), user_name=user.display_name, current="/contracts"):
            if isinstance(data, ParkopsError):
                ui.label(str(data)).classes("text-negative")
            else:
                _list_page(ctx, data)
        return None

    @ui.page("/contracts/{code}")
    async def contract_page(code: str) -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        try:
            data = await as_user(ctx, _contract_data, code=code)
        except Unauthenticated:
            sign_out()
            return RedirectResponse("/login")
        with frame(t("contract.title", code=code), user_name=user.display_name):
            if isinstance(data, ParkopsError):
                ui.label(str(data)).classes("text-negative")
            else:
                _contract_page(ctx, data)
        return None


# --- the list ----------------------------------------------------------------------------------


class ListData(BaseModel):
    contracts: list[ContractSummary]
    alerts: list[AlertRead]
    tenants: dict[str, str]
    may_write: bool


def _list_data(*, session: Session, actor: Actor) -> "ListData | ParkopsError":
    try:
        return ListData(
            contracts=service.list_summaries(session=session, actor=actor),
            alerts=service.list_alerts(session=session, actor=actor),
            tenants={
                tenant.code: f"{tenant.code} {tenant.name}"
                for tenant in leasing_service.list_tenants(session=session, actor=actor)
            },
            may_write=actor.role in WRITERS,
        )
    except Unauthenticated:
        raise
    except ParkopsError as error:  # e.g. an engineer, who does not read contracts
        return error


def _list_page(ctx: WebContext, data: ListData) -> None:
    if data.alerts:
        with section(t("contracts.alerts")):
            for alert in data.alerts:
                with ui.row().classes("items-center gap-3"):
                    ui.link(alert.contract_code, f"/contracts/{alert.contract_code}")
                    ui.label(alert.tenant_name)
                    ui.label(t("contracts.alert_days", days=alert.threshold_days))
                    ui.label(alert.end_date.isoformat()).classes("tabular")
                    if data.may_write:
                        ui.button(
                            t("contracts.acknowledge"),
                            on_click=_acknowledge(ctx, alert.id),
                        ).props("flat dense")
    with section(t("contracts.list")):
        if data.may_write:
            dialog = new_contract_dialog(ctx, data.tenants)
            ui.button(t("contracts.new"), icon="add", on_click=dialog.open).props("unelevated")
        search = ui.input(t("contracts.search")).props("dense clearable").classes("w-64")
        shown = table(summary_columns(), summary_rows(data.contracts), t("contracts.none"))
        shown.bind_filter_from(search, "value")
        shown.on("rowClick", lambda e: ui.navigate.to(f"/contracts/{e.args[1]['code']}"))
        shown.classes("cursor-pointer")


def _acknowledge(ctx: WebContext, alert_id: int) -> Callable[[], Awaitable[None]]:
    async def acknowledge() -> None:
        await as_user(ctx, service.acknowledge_alert, alert_id=alert_id)
        ui.navigate.reload()

    return guarded(acknowledge)


# --- one contract ------------------------------------------------------------------------------


class ContractData(BaseModel):
    contract: ContractRead
    schedule: Schedule
    stored: bool
    diff: ScheduleDiff | None
    settlement: SettlementRead | None


def _contract_data(*, session: Session, actor: Actor, code: str) -> "ContractData | ParkopsError":
    try:
        contract = service.read_contract(session=session, actor=actor, code=code)
        stored = contract.status in service.SIGNED
        if stored:
            schedule = service.stored_charges(session=session, actor=actor, code=code)
        else:
            schedule = service.version_schedule(
                session=session, actor=actor, code=code, number=shown_version(contract).number
            )
        diff = None
        if contract.open_version and contract.open_version > 1:
            diff = amendments.amendment_diff(session=session, actor=actor, code=code)
        settlement = None
        if contract.status == "terminated" and contract.terminated_on:
            settlement = termination.get_settlement(session=session, actor=actor, code=code)
        return ContractData(
            contract=contract, schedule=schedule, stored=stored, diff=diff, settlement=settlement
        )
    except Unauthenticated:
        raise
    except ParkopsError as error:
        return error


def _contract_page(ctx: WebContext, data: ContractData) -> None:
    contract = data.contract
    with ui.card().classes("w-full"):
        header(contract)
        with ui.row().classes("gap-2"):
            for action in contract.actions:
                _action_button(ctx, contract, action)
            _document_button(ctx, contract.code)
    if data.diff is not None:
        diff_block(data.diff)
    shown = shown_version(contract)
    terms_block(shown)
    approvals_block(shown, ctx.zone)
    if data.settlement is not None:
        settlement_block(data.settlement)
    schedule_block(data.schedule, stored=data.stored)


def _action_button(ctx: WebContext, contract: ContractRead, action: str) -> None:
    code = contract.code
    moves: dict[str, Callable[..., Any]] = {
        "submit": lifecycle.submit,
        "approve": lifecycle.approve,
        "sign": lifecycle.sign,
        "activate": lifecycle.activate,
    }
    if action in moves:
        move = moves[action]

        async def handler() -> None:
            await apply(ctx, action, move, code=code)

        on_click = guard_input(handler)
    else:
        on_click = dialog_for(action)(ctx, contract).open
    colour = "negative" if action in ("reject", "delete", "terminate") else "primary"
    ui.button(action_label(action), on_click=on_click).props(f"unelevated color={colour}")


def _document_button(ctx: WebContext, code: str) -> None:
    """Download the contract text: PDF, or printable HTML when the server has no Chinese font."""

    async def download() -> None:
        rendered = await as_user(ctx, document.contract_document, code=code)
        ui.download.content(rendered.content, f"{code}.{rendered.extension}", rendered.media_type)
        if rendered.note:
            ui.notify(t("contract.document_html"), type="warning", position="top")

    ui.button(t("contract.document"), icon="description", on_click=guarded(download)).props(
        "outline"
    )

"""The dialogs of the contract pages: a new draft, editing, rejecting, deleting, amending,
renewing and ending early. What people type is parsed here; a bad entry is a notice saying
where, and the rules stay in the services."""

import json
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from nicegui import ui
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.leasing.contracts import amendments, drafts, lifecycle, service, termination
from cloud.leasing.contracts.schemas import (
    AmendmentCreate,
    ContractCreate,
    ContractRead,
    ContractUpdate,
    RenewalCreate,
    Termination,
)
from cloud.leasing.contracts.web_blocks import action_label, schedule_block, shown_version
from cloud.leasing.terms_schemas import ContractTerms
from cloud.web.auth import WebContext, as_user
from cloud.web.i18n import t
from cloud.web.notices import guarded

Model = TypeVar("Model", bound=BaseModel)
EXAMPLE = Path(__file__).parents[1] / "examples" / "contract.json"


def new_contract_dialog(ctx: WebContext, tenants: dict[str, str]) -> ui.dialog:
    template = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    template.pop("code", None)
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-4xl"):
        ui.label(t("contracts.new")).classes("text-lg font-medium")
        with ui.row().classes("w-full gap-3"):
            code = ui.input(t("dialog.code")).classes("grow")
            tenant = ui.select(tenants, label=t("contract.tenant")).classes("grow")
            tariff = ui.input(t("dialog.tariff"), value="1.2000")
        terms = _json_area(t("dialog.terms"), template)
        deposits = _json_area(t("dialog.deposits"), [{"item": "rent", "amount": "0.01"}])
        usage = ui.input(t("terms.usage")).classes("w-full")
        clauses = ui.textarea(t("terms.clauses")).classes("w-full")
        preview = ui.column().classes("w-full")

        def fields() -> ContractCreate:
            values = {
                "code": code.value or None,
                "tenant_code": tenant.value,
                "electricity_tariff": tariff.value,
                "terms": _json(terms.value),
                "deposits": _json(deposits.value),
                "usage_restrictions": usage.value,
                "special_clauses": clauses.value,
            }
            return _parse(ContractCreate, values)

        async def show_preview() -> None:
            parsed = _parse(ContractTerms, _json(terms.value))
            schedule = await as_user(ctx, service.preview_schedule, terms=parsed)
            preview.clear()
            with preview:
                schedule_block(schedule, stored=False)

        async def create() -> None:
            data = fields()
            made = await as_user(ctx, _create, data=data)
            ui.navigate.to(f"/contracts/{made}")

        with ui.row():
            ui.button(t("dialog.preview"), on_click=guard_input(show_preview)).props("outline")
            ui.button(t("dialog.create"), on_click=guard_input(create)).props("unelevated")
            ui.button(t("dialog.cancel"), on_click=dialog.close).props("flat")
    return dialog


def _create(*, session: Session, actor: Actor, data: ContractCreate) -> str:
    return drafts.create_contract(session=session, actor=actor, data=data).code


async def apply(
    ctx: WebContext, action: str, move: Callable[..., Any], *, after: str | None = None, **kw: Any
) -> None:
    """Call `move` as the user, say so, then show the page again (or go to `after`)."""
    await as_user(ctx, _quietly(move), **kw)
    ui.notify(t("action.done", action=action_label(action)), type="positive")
    if after:
        ui.navigate.to(after)
    else:
        ui.navigate.reload()


def _quietly(move: Callable[..., Any]) -> Callable[..., None]:
    """`move`, its result dropped (ORM objects must not leave their session)."""

    def call(**kw: Any) -> None:
        move(**kw)

    return call


def _reject_dialog(ctx: WebContext, contract: ContractRead) -> ui.dialog:
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        reason = ui.textarea(t("dialog.reason")).classes("w-full")

        async def reject() -> None:
            await apply(ctx, "reject", lifecycle.reject, code=contract.code, reason=reason.value)

        _buttons(dialog, t("action.reject"), reject)
    return dialog


def _edit_dialog(ctx: WebContext, contract: ContractRead) -> ui.dialog:
    version = shown_version(contract)
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-4xl"):
        ui.label(f"{t('action.edit')} · {contract.code}").classes("text-lg font-medium")
        amendment: dict[str, ui.input] = {}
        if version.number > 1:
            amendment["effective_from"] = _date_input(
                t("dialog.effective_from"), version.effective_from
            )
            amendment["note"] = ui.input(t("dialog.note"), value=version.note).classes("w-full")
        tariff = ui.input(t("dialog.tariff"), value=str(version.electricity_tariff))
        terms = _json_area(
            t("dialog.terms"),
            version.terms.model_dump(mode="json", by_alias=True, exclude_none=True),
        )
        deposits = _json_area(
            t("dialog.deposits"), [d.model_dump(mode="json") for d in version.deposits]
        )
        usage = ui.input(t("terms.usage"), value=version.usage_restrictions).classes("w-full")
        clauses = ui.textarea(t("terms.clauses"), value=version.special_clauses)
        clauses.classes("w-full")

        async def save() -> None:
            values = {
                "electricity_tariff": tariff.value,
                "terms": _json(terms.value),
                "deposits": _json(deposits.value),
                "usage_restrictions": usage.value,
                "special_clauses": clauses.value,
            }
            values |= {name: field.value or None for name, field in amendment.items()}
            data = _parse(ContractUpdate, values)
            await apply(ctx, "edit", drafts.update_draft, code=contract.code, data=data)

        _buttons(dialog, t("dialog.save"), save)
    return dialog


def _delete_dialog(ctx: WebContext, contract: ContractRead) -> ui.dialog:
    gone = shown_version(contract).number == 1
    with ui.dialog() as dialog, ui.card():
        ui.label(t("dialog.delete_draft", code=contract.code))
        after = "/contracts" if gone else None

        async def delete() -> None:
            await apply(ctx, "delete", drafts.delete_draft, after=after, code=contract.code)

        _buttons(dialog, t("action.delete"), delete)
    return dialog


def _amend_dialog(ctx: WebContext, contract: ContractRead) -> ui.dialog:
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        effective = _date_input(t("dialog.effective_from"), None)
        note = ui.input(t("dialog.note")).classes("w-full")

        async def amend() -> None:
            values = {"effective_from": effective.value or None, "note": note.value}
            data = _parse(AmendmentCreate, values)
            await apply(ctx, "amend", amendments.amend, code=contract.code, data=data)

        _buttons(dialog, t("action.amend"), amend)
    return dialog


def _renew_dialog(ctx: WebContext, contract: ContractRead) -> ui.dialog:
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        end = _date_input(t("dialog.renew_end"), None)

        async def renew() -> None:
            data = _parse(RenewalCreate, {"end": end.value or None})
            made = await as_user(ctx, _renewal, code=contract.code, data=data)
            ui.navigate.to(f"/contracts/{made}")

        _buttons(dialog, t("action.renew"), renew)
    return dialog


def _renewal(*, session: Session, actor: Actor, code: str, data: RenewalCreate) -> str:
    return amendments.renew(session=session, actor=actor, code=code, data=data).code


def _terminate_dialog(ctx: WebContext, contract: ContractRead) -> ui.dialog:
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        last_day = _date_input(t("dialog.last_day"), None)
        reason = ui.textarea(t("dialog.reason")).classes("w-full")
        penalty = ui.input(t("dialog.penalty"), value="0")

        async def end_early() -> None:
            values = {"last_day": last_day.value, "reason": reason.value, "penalty": penalty.value}
            data = _parse(Termination, values)
            await apply(ctx, "terminate", termination.terminate, code=contract.code, data=data)

        _buttons(dialog, t("action.terminate"), end_early)
    return dialog


def dialog_for(action: str) -> Callable[[WebContext, ContractRead], ui.dialog]:
    """The dialog a lifecycle action asks its details in."""
    return {
        "reject": _reject_dialog,
        "edit": _edit_dialog,
        "delete": _delete_dialog,
        "amend": _amend_dialog,
        "renew": _renew_dialog,
        "terminate": _terminate_dialog,
    }[action]


# --- small pieces ------------------------------------------------------------------------------


def _buttons(dialog: ui.dialog, label: str, confirm: Callable[[], Awaitable[None]]) -> None:
    with ui.row().classes("w-full justify-end"):
        ui.button(t("dialog.cancel"), on_click=dialog.close).props("flat")
        ui.button(label, on_click=guard_input(confirm)).props("unelevated")


def _json_area(label: str, value: object) -> ui.textarea:
    area = ui.textarea(label, value=json.dumps(value, ensure_ascii=False, indent=2))
    area.props("outlined autogrow").classes("w-full font-mono text-xs")
    return area


def _date_input(label: str, value: date | None) -> ui.input:
    return ui.input(label, value=value.isoformat() if value else "").props("type=date stack-label")


class BadInput(ValueError):
    """What a person typed does not parse; the message says where."""


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"JSON line {exc.lineno}: {exc.msg}") from None


def _parse(model: type[Model], values: Any) -> Model:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or model.__name__}: {error['msg']}"
            for error in exc.errors(include_url=False)
        ]
        raise BadInput("; ".join(problems)) from None


def guard_input(work: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """`guarded`, and input that does not parse is a notice too."""

    async def run() -> None:
        try:
            await work()
        except BadInput as problem:
            message = t("dialog.bad_input", message=str(problem))
            ui.notify(message, type="warning", position="top", multi_line=True)

    return guarded(run)

"""What the lead pages' forms share: a table, and a button handler that validates its input,
calls a service as the signed-in user and then shows where the user should be."""

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui
from pydantic import ValidationError

from cloud.leasing.leads import conversion, service
from cloud.web.auth import WebContext, as_user
from cloud.web.i18n import t
from cloud.web.notices import guarded

PATH = "/leads"


def table(columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> ui.table:
    shown = ui.table(
        columns=[{"name": n, "label": label, "field": n, "align": "left"} for n, label in columns],
        rows=rows,
        row_key="key",
        pagination={"rowsPerPage": 0},
    )
    return shown.classes("w-full tabular").props(
        f'flat dense hide-pagination no-data-label="{t("leads.none")}"'
    )


def submit(
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
        where = await as_user(ctx, dropping(work), **kw, **arguments)
        if not where:
            ui.navigate.reload()
        else:
            ui.navigate.to(where)

    return guarded(run)


def dropping(work: Callable[..., Any]) -> Callable[..., str]:
    """`work`, its ORM result dropped, or turned into where to go (a new lead or contract)."""

    def call(**kw: Any) -> str:
        made = work(**kw)
        if work is service.create_lead:
            return f"{PATH}/{made.code}"
        if work is conversion.convert:
            return f"/contracts/{made.code}"
        return ""  # stay, and show the page again

    return call


def value(field: Any) -> Any:
    value = field.value
    return None if value in ("", None) else value

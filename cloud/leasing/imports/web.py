"""`/imports`: upload a workbook of tenants, units and contracts (a dry run first, if liked),
see every bad row with its sheet and row number, and download the org's workbook."""

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import events, ui

from cloud.leasing.imports import service
from cloud.leasing.imports.schemas import ImportReport
from cloud.web.auth import WebContext, as_user, signed_in
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.web.notices import guarded

PATH = "/imports"


def register(ctx: WebContext) -> None:
    """Add the import page to the staff console."""

    @ui.page(PATH)
    def imports_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m")
        with frame(t("imports.title"), user_name=user.display_name, current=PATH):
            _page(ctx)
        return None


def _page(ctx: WebContext) -> None:
    with section(t("imports.upload")):
        ui.label(t("imports.help")).classes("text-sm text-grey-7")
        dry_run = ui.checkbox(t("imports.dry_run"), value=True)
        report_box = ui.column().classes("w-full")

        async def received(event: events.UploadEventArguments) -> None:
            content = await event.file.read()

            async def run() -> None:
                report = await as_user(
                    ctx, service.import_workbook, content=content, dry_run=bool(dry_run.value)
                )
                _show(report_box, report)

            await guarded(run)()
            upload.reset()

        upload = ui.upload(label=t("imports.choose"), auto_upload=True, on_upload=received)
        upload.props('accept=".xlsx" flat bordered').classes("w-full max-w-md")
    with section(t("imports.export")):

        async def download() -> None:
            content = await as_user(ctx, service.export_workbook)
            ui.download.content(content, "parkops-leasing.xlsx")

        ui.button(t("imports.download"), icon="download", on_click=guarded(download)).props(
            "unelevated"
        )


def _show(box: ui.column, report: ImportReport) -> None:
    box.clear()
    with box:
        counts = ", ".join(f"{sheet} {count}" for sheet, count in report.good.items())
        if report.applied:
            message, colour = t("imports.applied", counts=counts), "text-positive"
        elif not report.problems:
            message, colour = t("imports.dry_ok", rows=report.rows), "text-positive"
        else:
            message = t("imports.problems", bad=len(report.problems), rows=report.rows)
            colour = "text-negative"
        ui.label(message).classes(f"font-medium {colour}").props('data-testid="import-result"')
        if report.problems:
            ui.table(columns=_columns(), rows=_rows(report), row_key="key").classes("w-full").props(
                "flat dense"
            )


def _columns() -> list[dict[str, Any]]:
    return [
        {"name": name, "label": label, "field": name, "align": "left"}
        for name, label in (
            ("sheet", t("imports.sheet")),
            ("row", t("imports.row")),
            ("code", t("imports.code")),
            ("reason", t("imports.reason")),
        )
    ]


def _rows(report: ImportReport) -> list[dict[str, Any]]:
    return [
        {"key": i, "sheet": p.sheet, "row": p.row, "code": p.code or "", "reason": p.reason}
        for i, p in enumerate(report.problems)
    ]

"""Billing pages: finance's `/billing` (a run previewed then posted, bills, offline payments,
the arrears ageing chart) and the tenant's `/m/bills` (its own bills and their lines); each bill
downloads as its PDF (缴费通知单)."""

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from fastapi.responses import RedirectResponse
from nicegui import ui
from sqlalchemy.orm import Session

from cloud.billing import arrears, documents, exports, ledger, reports, runs
from cloud.billing.labels import BUCKETS, DIMENSIONS, REPORT_COLUMNS, REPORTS
from cloud.billing.schemas import Ageing, BillDetail, BillRead, RunPreview, TenantBalance
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.leasing import service as leasing_service
from cloud.web.auth import WebContext, signed_in
from cloud.web.calls import call as _call
from cloud.web.formatting import cny
from cloud.web.i18n import t
from cloud.web.layout import frame, section

T = TypeVar("T")
# Keys spelled out, so the translation table's check finds each one used.
COLOURS = ("#91cc75", "#fac858", "#fc8452", "#ee6666", "#9a60b4")
METHODS = {
    "bank_transfer": "billing.method_bank_transfer",
    "pos": "billing.method_pos",
    "cash": "billing.method_cash",
}
COLUMNS = {
    "tenant": "billing.col_tenant",
    "lease": "billing.col_lease",
    "unit": "billing.col_unit",
    "item": "billing.col_item",
    "amount": "billing.col_amount",
    "due": "billing.col_due",
    "posted": "billing.col_posted",
    "bill": "billing.col_bill",
    "period": "billing.col_period",
    "total": "billing.col_total",
    "outstanding": "billing.col_outstanding",
    "stage": "billing.col_stage",
}
# The console's bill table: a download button in each row's document cell.
PDF_CELL = (
    '<q-td :props="props"><q-btn flat dense no-caps size="sm" icon="picture_as_pdf" '
    ':label="props.col.label" @click="() => $parent.$emit(\'pdf\', props.row)" /></q-td>'
)


def ageing_chart(ageing: Ageing, top: int = 10) -> dict[str, Any]:
    """ECharts options: the `top` tenants owing most, one stacked bar each by age bucket."""
    rows = ageing.rows[:top][::-1]  # largest at the top of a horizontal chart
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"data": [t(key) for key in BUCKETS.values()]},
        "grid": {"left": 8, "right": 24, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value"},
        "yAxis": {"type": "category", "data": [r.tenant_name for r in rows]},
        "series": [
            {
                "name": t(BUCKETS[bucket]),
                "type": "bar",
                "stack": "owed",
                "itemStyle": {"color": colour},
                "data": [float(getattr(r, bucket)) for r in rows],
            }
            for bucket, colour in zip(BUCKETS, COLOURS, strict=True)
        ],
    }


# --- what the pages load or do, each in one transaction ------------------------------------


def _ageing_today(*, session: Session, actor: Actor) -> Ageing:
    today = identity_service.org_today(session=session, actor=actor)
    return arrears.ageing(session=session, actor=actor, as_of=today)


def _pay(
    *, session: Session, actor: Actor, tenant_code: str, amount: Decimal, **rest: Any
) -> TenantBalance:
    tenant = leasing_service.get_tenant(session=session, actor=actor, code=tenant_code)
    ledger.receive_payment(session=session, actor=actor, tenant_id=tenant.id, amount=amount, **rest)
    return ledger.tenant_balance(session=session, actor=actor, tenant_id=tenant.id)


async def _download_ageing(ctx: WebContext) -> None:
    """The ageing as of the org's today, as the workbook /billing/ageing.xlsx answers."""
    content = await _call(ctx, exports.ageing_workbook)
    if content is not None:
        ui.download.content(content, "ageing.xlsx", exports.XLSX)


async def _download_bill(ctx: WebContext, code: str) -> None:
    """The bill's PDF to the browser; printable HTML, saying so, when the server has no font."""
    rendered = await _call(ctx, documents.bill_document, code=code)
    if rendered is None:
        return
    ui.download.content(rendered.content, f"{code}.{rendered.extension}", rendered.media_type)
    if rendered.note:
        ui.notify(t("bills.pdf_html"), type="warning", position="top")


def _columns(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "label": t(f"billing.col_{n}"), "field": n, "align": "left"} for n in names]


def _bill_rows(bills: list[BillRead]) -> list[dict[str, Any]]:
    return [
        {
            "bill": b.code,
            "tenant": b.tenant_name,
            "period": f"{b.period_start} – {b.period_end}",
            "due": str(b.due_date),
            "total": cny(b.total),
            "outstanding": cny(b.outstanding),
            "stage": b.reminder_stage or "",
        }
        for b in bills
    ]


def _preview_rows(preview: RunPreview) -> list[dict[str, Any]]:
    return [
        {
            "tenant": line.tenant_code or "—",
            "lease": line.lease_code,
            "unit": line.unit_code,
            "item": line.item,
            "amount": cny(line.amount),
            "due": str(line.due_date),
            "posted": "✓" if line.posted else "",
        }
        for line in preview.lines
    ]


# --- the console page ----------------------------------------------------------------------


def _run_block(ctx: WebContext, on_posted: Callable[[], Any]) -> None:
    last = date.today().replace(day=1) - timedelta(days=1)
    with section(t("billing.run")), ui.row().classes("items-end gap-3"):
        start = ui.input(t("billing.period_start"), value=str(last.replace(day=1)))
        end = ui.input(t("billing.period_end"), value=str(last))
        site = ui.input(t("billing.site"))
        preview_button = ui.button(t("billing.preview"))
        post_button = ui.button(t("billing.post"), color="positive")
        close_button = ui.button(t("billing.close"), color="grey")
    summary = ui.label()
    warnings = ui.column().classes("text-orange-9 text-sm")
    table = ui.table(columns=_columns(*_PREVIEW), rows=[], row_key="id").classes("w-full")
    table.props("dense flat")

    def period() -> dict[str, Any] | None:
        try:
            first, last_day = date.fromisoformat(start.value), date.fromisoformat(end.value)
        except ValueError:
            ui.notify(t("app.error", message="yyyy-mm-dd"), type="negative")
            return None
        return {"period_start": first, "period_end": last_day, "site_code": site.value or None}

    async def preview() -> None:
        chosen = period()
        result = await _call(ctx, runs.preview_run, **chosen) if chosen else None
        if result is None:
            return
        table.rows = [{"id": i, **row} for i, row in enumerate(_preview_rows(result))]
        text = t("billing.new_total", total=cny(result.new_total))
        text += " · " + t("billing.landlord", total=cny(result.landlord_total))
        summary.set_text(t("billing.closed") if result.closed else text)
        warnings.clear()
        with warnings:
            for warning in result.warnings:
                ui.label(warning)

    async def post() -> None:
        chosen = period()
        result = await _call(ctx, runs.post_run, **chosen) if chosen else None
        if result is not None:
            ui.notify(
                t(
                    "billing.posted",
                    added=result.added,
                    total=cny(result.added_total),
                    bills=result.bills,
                ),
                type="positive",
            )
            await preview()
            await on_posted()

    async def close() -> None:
        chosen = period()
        if chosen and await _call(ctx, _close, month=chosen["period_start"]) is not None:
            ui.notify(t("billing.closed_done", month=f"{chosen['period_start']:%Y-%m}"))

    preview_button.on_click(preview)
    post_button.on_click(post)
    close_button.on_click(close)


_PREVIEW = ("tenant", "lease", "unit", "item", "amount", "due", "posted")


def _close(*, session: Session, actor: Actor, month: date) -> bool:
    runs.close_period(session=session, actor=actor, month=month)
    return True


def _payment_block(ctx: WebContext, on_paid: Callable[[], Any]) -> None:
    with section(t("billing.payment")), ui.row().classes("items-end gap-3"):
        tenant = ui.input(t("billing.tenant_code"))
        amount = ui.input(t("billing.amount"))
        received = ui.input(t("billing.received_on"), value=str(date.today()))
        options = {m: t(key) for m, key in METHODS.items()}
        method = ui.select(options, value="bank_transfer", label=t("billing.method"))
        reference = ui.input(t("billing.reference"))
        button = ui.button(t("billing.record"), color="positive")
    key = {"value": str(uuid.uuid4())}  # one key per filled-in form: a double click pays once

    async def record() -> None:
        try:
            money, on = Decimal(amount.value), date.fromisoformat(received.value)
        except (InvalidOperation, ValueError):
            ui.notify(t("app.error", message=t("billing.amount")), type="negative")
            return
        balance = await _call(
            ctx,
            _pay,
            tenant_code=tenant.value,
            amount=money,
            received_on=on,
            method=method.value,
            reference=reference.value,
            idempotency_key=key["value"],
        )
        if balance is not None:
            key["value"] = str(uuid.uuid4())
            ui.notify(
                t(
                    "billing.recorded",
                    tenant=tenant.value,
                    outstanding=cny(balance.outstanding),
                    prepaid=cny(balance.prepaid),
                ),
                type="positive",
            )
            await on_paid()

    button.on_click(record)


def _report_block(ctx: WebContext) -> None:
    year = date.today().year
    with section(t("billing.reports")), ui.row().classes("items-end gap-3"):
        name = ui.select({k: t(v) for k, v in REPORTS.items()}, value="revenue")
        by = ui.select({k: t(v) for k, v in DIMENSIONS.items()}, value="month")
        start = ui.input(t("billing.from"), value=f"{year}-01-01")
        end = ui.input(t("billing.to"), value=f"{year}-12-31")
        button = ui.button(t("billing.show"))
        excel = ui.button(t("exports.excel"), icon="download").props("outline no-caps")
    table = ui.table(columns=[], rows=[], row_key="key").classes("w-full").props("dense flat")

    def chosen() -> dict[str, Any] | None:
        try:
            first, last = date.fromisoformat(start.value), date.fromisoformat(end.value)
        except ValueError:
            ui.notify(t("app.error", message="yyyy-mm-dd"), type="negative")
            return None
        return {"name": name.value, "start": first, "end": last, "by": by.value}

    async def download() -> None:
        if (query := chosen()) is None:
            return
        content = await _call(ctx, exports.report_workbook, **query)
        if content is not None:
            filename = f"{query['name']}-{query['start']}-{query['end']}.xlsx"
            ui.download.content(content, filename, exports.XLSX)

    async def show() -> None:
        if (query := chosen()) is None:
            return
        found = await _call(ctx, reports.report, **query)
        if found is None:
            return
        table.columns = [{"name": "key", "label": "", "field": "key", "align": "left"}] + [
            {"name": c, "label": t(REPORT_COLUMNS[c]), "field": c, "align": "right"}
            for c in found.columns
        ]
        rows = [{"key": r.key, **{c: str(v) for c, v in r.values.items()}} for r in found.rows]
        rows.append({"key": "Σ", **{c: str(v) for c, v in found.totals.items()}})
        table.rows = rows

    button.on_click(show)
    excel.on_click(download)


def register(ctx: WebContext) -> None:
    """Add `/billing` and `/m/bills`."""

    @ui.page("/billing")
    async def billing_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        with frame(t("billing.title"), user_name=user.display_name, current="/billing"):
            bills_table: ui.table
            chart: ui.echart

            async def refresh() -> None:
                bills = await _call(ctx, arrears.list_bills)
                if bills is not None:
                    bills_table.rows = _bill_rows(bills)
                ageing = await _call(ctx, _ageing_today)
                if ageing is not None:
                    chart.options.clear()
                    chart.options.update(ageing_chart(ageing))
                    chart.update()
                    ageing_note.set_text(
                        t("billing.as_of", date=ageing.as_of) + " · " + cny(ageing.totals.total)
                    )

            _run_block(ctx, refresh)
            _payment_block(ctx, refresh)
            with section(t("billing.ageing")):
                with ui.row().classes("items-center gap-3"):
                    ageing_note = ui.label().classes("text-grey-7")
                    ui.button(
                        t("exports.excel"), icon="download", on_click=lambda: _download_ageing(ctx)
                    ).props("outline dense no-caps")
                chart = ui.echart({"series": []}).classes("w-full h-80")
            _report_block(ctx)
            with section(t("billing.bills")):
                bills_table = ui.table(
                    columns=_columns(
                        "bill", "tenant", "period", "due", "total", "outstanding", "stage"
                    )
                    + [{"name": "document", "label": t("bills.pdf"), "field": "bill"}],
                    rows=[],
                    row_key="bill",
                    pagination=20,
                ).classes("w-full")
                bills_table.add_slot("body-cell-document", PDF_CELL)
                bills_table.on("pdf", lambda e: _download_bill(ctx, e.args["bill"]))
            await refresh()
        return None

    @ui.page("/m/bills")
    async def tenant_bills_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        with frame(t("bills.title"), user_name=user.display_name, narrow=True):
            ui.link(t("pay.back"), "/m")
            bills = await _call(ctx, arrears.list_bills) or []
            if not bills:
                ui.label(t("bills.none")).classes("text-grey-7")
            for bill in bills:
                detail = await _call(ctx, arrears.get_bill, code=bill.code)
                if detail is not None:
                    _bill_card(ctx, detail)
        return None


def _bill_card(ctx: WebContext, bill: BillDetail) -> None:
    with ui.card().classes("w-full"):
        ui.label(f"{bill.code} · {bill.period_start} – {bill.period_end}").classes("font-medium")
        owed = t("bills.outstanding", amount=cny(bill.outstanding))
        ui.label(owed if bill.outstanding > 0 else t("bills.paid")).classes(
            "text-2xl font-bold tabular " + ("text-negative" if bill.outstanding > 0 else "")
        )
        ui.label(t("bills.due", date=bill.due_date)).classes("text-xs text-grey-7")
        with ui.grid(columns=2).classes("w-full gap-x-4 tabular text-sm"):
            for line in bill.lines:
                ui.label(line.item)
                ui.label(cny(line.amount)).classes("text-right")
        ui.button(
            t("bills.pdf"), icon="picture_as_pdf", on_click=lambda: _download_bill(ctx, bill.code)
        ).props("outline no-caps")

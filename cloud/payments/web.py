"""Payment pages: the tenant's `/m/pay` (open bills, pay online through the provider, see the
result) and finance's `/payments` (online payments, the reconciliation queue, invoices)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from fastapi import Response
from fastapi.responses import HTMLResponse, RedirectResponse
from nicegui import events, ui
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.billing.schemas import OpenItem
from cloud.documents.http import document_response
from cloud.errors import ParkopsError
from cloud.identity.actor import Actor
from cloud.payments import invoices, reconciliation, service
from cloud.payments.models import LineStatus, NotificationOutcome, OrderStatus
from cloud.payments.schemas import (
    ColumnMapping,
    InvoiceRead,
    InvoiceRequestCreate,
    LineDecision,
    LineRead,
    NotificationRead,
    OrderCreate,
    OrderRead,
)
from cloud.payments.web_seller import seller_form
from cloud.web.auth import WebContext, as_user, signed_in
from cloud.web.calls import call as _call
from cloud.web.formatting import cny, local_minute, local_time
from cloud.web.i18n import t
from cloud.web.layout import frame, section
from cloud.web.widgets import column

T = TypeVar("T")
WATCH_EVERY_S = 2.0


@dataclass(frozen=True)
class BillDue:
    """What the tenant sees to pay: a bill, or a charge outside any bill (bill_code None)."""

    label: str
    bill_code: str | None
    due_date: str
    outstanding: Decimal


# --- what the pages load, in one transaction each --------------------------------------


def _my_bills(*, session: Session, actor: Actor) -> list[BillDue]:
    """The tenant's open items, grouped by bill."""
    assert actor.tenant_id is not None
    items = ledger.open_items(session=session, actor=actor, tenant_id=actor.tenant_id)
    groups: dict[str, list[OpenItem]] = {}
    for item in items:
        groups.setdefault(item.bill_code or f"{item.item} #{item.entry_id}", []).append(item)
    return [
        BillDue(
            label=label,
            bill_code=group[0].bill_code,
            due_date=min(i.due_date for i in group).isoformat(),
            outstanding=sum((i.outstanding for i in group), Decimal("0.00")),
        )
        for label, group in groups.items()
    ]


def _orders(*, session: Session, actor: Actor) -> list[OrderRead]:
    return [OrderRead.of(o) for o in service.list_orders(session=session, actor=actor)]


def _order(*, session: Session, actor: Actor, out_trade_no: str, ask: bool) -> OrderRead:
    call = service.refresh_order if ask else service.get_order
    return OrderRead.of(call(session=session, actor=actor, out_trade_no=out_trade_no))


def _pay(*, session: Session, actor: Actor, bill_codes: list[str]) -> OrderRead:
    data = OrderCreate(bill_codes=bill_codes)
    return OrderRead.of(service.create_order(session=session, actor=actor, data=data))


def _notifications(*, session: Session, actor: Actor) -> list[NotificationRead]:
    records = service.list_notifications(session=session, actor=actor)
    return [NotificationRead.of(r) for r in records]


# --- helpers -----------------------------------------------------------------------------


def _status(status: OrderStatus) -> str:
    return {
        OrderStatus.pending: t("pay.status_pending"),
        OrderStatus.paid: t("pay.status_paid"),
        OrderStatus.closed: t("pay.status_closed"),
    }[status]


def _outcome(outcome: NotificationOutcome) -> str:
    return {
        NotificationOutcome.applied: t("pay.outcome_applied"),
        NotificationOutcome.duplicate: t("pay.outcome_duplicate"),
        NotificationOutcome.ignored: t("pay.outcome_ignored"),
        NotificationOutcome.rejected: t("pay.outcome_rejected"),
    }[outcome]


def _line_status(status: LineStatus) -> str:
    return {
        LineStatus.matched: t("recon.status_matched"),
        LineStatus.queued: t("recon.status_queued"),
        LineStatus.confirmed: t("recon.status_confirmed"),
        LineStatus.dismissed: t("recon.status_dismissed"),
    }[status]


def register(ctx: WebContext) -> None:
    """Add the tenant's pay page, finance's payments console and printable invoices."""

    @ui.page("/m/pay")
    async def pay_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if not user.is_tenant:
            return RedirectResponse("/payments")
        with frame(t("pay.title"), user_name=user.display_name, narrow=True):
            ui.link(t("pay.back"), "/m").classes("text-sm")
            await _tenant_pay(ctx)
        return None

    @ui.page("/payments")
    async def payments_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m/pay")
        with frame(t("payments.title"), user_name=user.display_name, current="/payments"):
            await _console(ctx)
        return None

    @ui.page("/invoices/{number}")
    async def invoice_page(number: str) -> HTMLResponse | RedirectResponse:
        if signed_in() is None:
            return RedirectResponse("/login")
        try:
            _type, html = await as_user(ctx, invoices.document, number=number)
        except ParkopsError as error:
            return HTMLResponse(str(error), status_code=error.status_code)
        return HTMLResponse(html)

    @ui.page("/invoices/{number}/pdf")
    async def invoice_pdf(number: str) -> Response:
        """The invoice as PDF (printable HTML when the server has no Chinese font)."""
        if signed_in() is None:
            return RedirectResponse("/login")
        try:
            rendered = await as_user(ctx, invoices.document_as, number=number)
        except ParkopsError as error:
            return HTMLResponse(str(error), status_code=error.status_code)
        return document_response(rendered, number)


# --- the tenant's phone page ---------------------------------------------------------------


async def _tenant_pay(ctx: WebContext) -> None:
    result = ui.column().classes("w-full")

    @ui.refreshable
    async def open_bills() -> None:
        await _bills(ctx, result, on_paid=paid)

    async def paid() -> None:
        open_bills.refresh()
        history.refresh()

    await open_bills()
    ui.label(t("pay.history")).classes("text-lg font-medium")

    @ui.refreshable
    async def history() -> None:
        for order in await _call(ctx, _orders) or []:
            with ui.row().classes("w-full text-sm tabular"):
                ui.label(order.out_trade_no)
                ui.space()
                ui.label(cny(order.amount))
                ui.label(_status(order.status)).classes("font-medium")

    await history()

    @ui.refreshable
    async def my_invoices() -> None:
        for request in await _call(ctx, invoices.list_requests) or []:
            with ui.row().classes("w-full text-sm tabular items-center"):
                ui.label(cny(request.amount))
                ui.space()
                if request.number:
                    ui.link(request.number, f"/invoices/{request.number}", new_tab=True)
                    ui.link(t("invoice.pdf"), f"/invoices/{request.number}/pdf", new_tab=True)
                else:
                    ui.label(t("invoice.waiting")).classes("text-grey-7")

    _invoice_form(ctx, on_requested=my_invoices.refresh)
    await my_invoices()


async def _bills(
    ctx: WebContext, result: ui.column, *, on_paid: Callable[[], Awaitable[None]]
) -> None:
    """What is due, bill by bill, to tick and pay; the order appears in `result`."""
    bills = await _call(ctx, _my_bills) or []
    chosen = dict.fromkeys((bill.label for bill in bills), True)
    with ui.card().classes("w-full bg-blue-1"):
        ui.label(t("pay.due")).classes("text-base font-medium")
        total = ui.label(cny(Decimal("0.00"))).classes("text-3xl font-bold text-primary tabular")
    if not bills:
        ui.label(t("pay.nothing_due")).classes("text-grey-7")

    def choose(label: str, value: bool) -> None:
        chosen[label] = value
        due = sum((b.outstanding for b in bills if chosen[b.label]), Decimal("0.00"))
        total.set_text(cny(due))
        pay.set_enabled(due > 0)

    for bill in bills:
        with ui.card().classes("w-full"), ui.row().classes("w-full items-center no-wrap"):
            ui.checkbox(value=True, on_change=lambda e, b=bill.label: choose(b, bool(e.value)))
            with ui.column().classes("gap-0 grow"):
                ui.label(bill.label).classes("font-medium")
                ui.label(t("pay.due_on", date=bill.due_date)).classes("text-xs text-grey-7")
            ui.label(cny(bill.outstanding)).classes("tabular font-medium")

    async def start() -> None:
        # Everything chosen: pay all open items (charges outside bills too); else those bills.
        everything = all(chosen.values())
        codes = (
            [] if everything else [b.bill_code for b in bills if chosen[b.label] and b.bill_code]
        )
        order = await _call(ctx, _pay, bill_codes=codes)
        if order is not None:
            result.clear()
            with result:
                _order_card(ctx, order, on_paid)

    pay = ui.button(t("pay.online"), icon="qr_code_2", on_click=start).props("unelevated")
    pay.classes("w-full")
    pay.set_enabled(False)
    if bills:
        choose(bills[0].label, True)


def _invoice_form(ctx: WebContext, *, on_requested: Callable[[], Any]) -> None:
    with ui.expansion(t("invoice.request"), icon="receipt_long").classes("w-full rounded"):
        amount = ui.input(t("invoice.amount")).classes("w-full")
        buyer = ui.input(t("invoice.buyer")).classes("w-full")
        tax_id = ui.input(t("invoice.tax_id")).classes("w-full")
        address = ui.input(t("invoice.address")).classes("w-full")
        bank = ui.input(t("invoice.bank")).classes("w-full")

        async def submit() -> None:
            try:
                data = InvoiceRequestCreate(
                    amount=Decimal(amount.value or "0"),
                    buyer_name=buyer.value,
                    tax_id=tax_id.value,
                    address=address.value,
                    bank=bank.value,
                )
            except (ValidationError, ArithmeticError) as error:
                ui.notify(t("app.error", message=str(error)), type="negative", position="top")
                return
            if await _call(ctx, invoices.request_invoice, data=data) is not None:
                ui.notify(t("invoice.requested"), type="positive", position="top")
                on_requested()

        ui.button(t("invoice.submit"), on_click=submit).props("unelevated").classes("w-full")


def _order_card(ctx: WebContext, order: OrderRead, on_paid: Callable[[], Awaitable[None]]) -> None:
    with ui.card().classes("w-full"):
        ui.label(t("pay.order", code=order.out_trade_no)).classes("font-medium")
        ui.label(cny(order.amount)).classes("text-2xl font-bold tabular")
        state = ui.label(_status(order.status)).classes("text-lg")
        ui.button(
            t("pay.open_gateway"),
            icon="open_in_new",
            on_click=lambda: ui.navigate.to(order.pay_url, new_tab=True),
        ).props("unelevated color=green").classes("w-full")
        ui.label(t("pay.qr", payload=order.qr_payload)).classes("text-xs text-grey-7 break-all")

        async def check(ask: bool) -> None:
            seen = await _call(ctx, _order, out_trade_no=order.out_trade_no, ask=ask)
            if seen is None:
                return
            state.set_text(_status(seen.status))
            if seen.status != OrderStatus.pending:
                watch.deactivate()
                if seen.status == OrderStatus.paid:
                    ui.notify(t("pay.done"), type="positive", position="top")
                    await on_paid()

        ui.button(t("pay.check"), on_click=lambda: check(True)).props("flat").classes("w-full")
        # The provider's notification settles the order; the page only watches for it.
        watch = ui.timer(WATCH_EVERY_S, lambda: check(False))


# --- the finance console -------------------------------------------------------------------


async def _console(ctx: WebContext) -> None:
    with ui.tabs().classes("w-full") as tabs:
        online = ui.tab(t("payments.online"))
        queue = ui.tab(t("recon.title"))
        bills = ui.tab(t("invoice.title"))
    with ui.tab_panels(tabs, value=online).classes("w-full"):
        with ui.tab_panel(online):
            await _online(ctx)
        with ui.tab_panel(queue):
            await _reconciliation(ctx)
        with ui.tab_panel(bills):
            await _invoices(ctx)


async def _online(ctx: WebContext) -> None:
    orders = await _call(ctx, _orders) or []
    with section(t("payments.orders")):
        ui.table(
            columns=[
                column("no", t("pay.col_no")),
                column("tenant", t("pay.col_tenant")),
                column("amount", t("pay.col_amount"), align="right"),
                column("status", t("pay.col_status")),
                column("paid_at", t("pay.col_paid_at")),
            ],
            rows=[
                {
                    "no": o.out_trade_no,
                    "tenant": o.tenant_name,
                    "amount": cny(o.amount),
                    "status": _status(o.status),
                    "paid_at": local_minute(o.paid_at, ctx.zone),
                }
                for o in orders
            ],
            row_key="no",
        ).classes("w-full")
    records = await _call(ctx, _notifications) or []
    with section(t("payments.notifications")):
        ui.table(
            columns=[
                column("received", t("pay.col_received")),
                column("txn", t("pay.col_txn")),
                column("state", t("pay.col_trade_state")),
                column("outcome", t("pay.col_outcome")),
                column("reason", t("pay.col_reason")),
            ],
            rows=[
                {
                    "id": i,
                    "received": local_time(r.received_at, ctx.zone)[:19],
                    "txn": r.transaction_id or "—",
                    "state": r.trade_state or "—",
                    "outcome": _outcome(r.outcome),
                    "reason": r.reason,
                }
                for i, r in enumerate(records)
            ],
            row_key="id",
        ).classes("w-full")


async def _reconciliation(ctx: WebContext) -> None:
    report = ui.label().classes("text-sm")

    async def received(event: events.UploadEventArguments) -> None:
        content = await event.file.read()
        done = await _call(
            ctx,
            reconciliation.import_statement,
            filename=event.file.name,
            content=content,
            mapping=ColumnMapping(),
        )
        if done is not None:
            bad = "; ".join(t("recon.bad_row", row=b.row, reason=b.reason) for b in done.bad_rows)
            report.set_text(
                t(
                    "recon.imported",
                    added=done.lines_added,
                    matched=done.matched,
                    queued=done.queued,
                    seen=done.lines_seen_before,
                )
                + (f" {bad}" if bad else "")
            )
            lines.refresh()

    ui.upload(label=t("recon.upload"), auto_upload=True, on_upload=received).props(
        'accept=".csv,.xlsx" flat bordered'
    ).classes("w-full")

    @ui.refreshable
    async def lines() -> None:
        found = await _call(ctx, reconciliation.list_lines) or []
        if not found:
            ui.label(t("recon.none")).classes("text-grey-7")
        for line in found:
            _line_row(ctx, line, lines.refresh)

    await lines()


def _line_row(ctx: WebContext, line: LineRead, refresh: Callable[[], Any]) -> None:
    with ui.card().classes("w-full"), ui.row().classes("w-full items-center gap-4"):
        ui.label(f"{line.booked_on} · {line.payer_name}").classes("font-medium")
        ui.label(line.reference).classes("text-grey-7")
        ui.label(cny(line.amount)).classes("tabular")
        ui.label(_line_status(line.status))
        ui.label(
            t(
                "recon.suggestion",
                tenant=line.tenant_code or line.suggested_tenant_code or "—",
                confidence=f"{line.confidence * 100:.0f}%",
            )
        ).tooltip("; ".join(line.match_reasons))
        if line.status != LineStatus.queued:
            return
        ui.space()
        tenant = ui.input(t("recon.tenant"), value=line.suggested_tenant_code or "").classes("w-28")

        async def decide(dismiss: bool) -> None:
            data = LineDecision(tenant_code=tenant.value or None, dismiss=dismiss)
            if await _call(ctx, reconciliation.decide, line_id=line.id, data=data) is not None:
                refresh()

        ui.button(t("recon.confirm"), on_click=lambda: decide(False)).props("unelevated")
        ui.button(t("recon.dismiss"), on_click=lambda: decide(True)).props("flat")


async def _invoices(ctx: WebContext) -> None:
    await seller_form(ctx, _call)

    @ui.refreshable
    async def requests() -> None:
        found = await _call(ctx, invoices.list_requests) or []
        if not found:
            ui.label(t("invoice.none")).classes("text-grey-7")
        for request in found:
            _invoice_row(ctx, request, requests.refresh)

    await requests()


def _invoice_row(ctx: WebContext, request: InvoiceRead, refresh: Callable[[], Any]) -> None:
    with ui.card().classes("w-full"), ui.row().classes("w-full items-center gap-4"):
        ui.label(f"{request.buyer_name} · {request.tax_id}").classes("font-medium")
        ui.label(cny(request.amount)).classes("tabular")
        ui.space()
        if request.number:
            ui.link(request.number, f"/invoices/{request.number}", new_tab=True)
            ui.link(t("invoice.pdf"), f"/invoices/{request.number}/pdf", new_tab=True)
            return

        async def issue() -> None:
            if await _call(ctx, invoices.issue, request_id=request.request_id) is not None:
                refresh()

        ui.button(t("invoice.issue"), on_click=issue).props("unelevated")

"""The org's own tax details on finance's invoices tab: what the 销售方 block of every invoice
issued from now on prints, and the VAT rate its amounts include."""

from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from nicegui import ui
from pydantic import ValidationError

from cloud.payments import invoices
from cloud.payments.schemas import InvoiceSellerData
from cloud.web.auth import WebContext
from cloud.web.i18n import t

Call = Callable[..., Awaitable[Any]]


async def seller_form(ctx: WebContext, call: Call) -> None:
    """`call` runs a service function as the signed-in user, showing what went wrong."""
    current = await call(ctx, invoices.get_seller)
    if current is None:
        return
    with ui.expansion(t("invoice.seller"), icon="store").classes("w-full rounded"):
        tax_id = ui.input(t("invoice.tax_id"), value=current.tax_id).classes("w-full")
        address = ui.input(t("invoice.address"), value=current.address).classes("w-full")
        bank = ui.input(t("invoice.bank"), value=current.bank).classes("w-full")
        rate = ui.input(t("invoice.tax_rate"), value=f"{current.tax_rate.normalize():f}")

        async def save() -> None:
            try:
                data = InvoiceSellerData(
                    tax_id=tax_id.value.strip(),
                    address=address.value,
                    bank=bank.value,
                    tax_rate=Decimal(rate.value or "0"),
                )
            except (ValidationError, InvalidOperation) as error:
                ui.notify(t("app.error", message=str(error)), type="negative", position="top")
                return
            if await call(ctx, invoices.set_seller, data=data) is not None:
                ui.notify(t("invoice.seller_saved"), type="positive", position="top")

        ui.button(t("invoice.seller_save"), on_click=save).props("unelevated")

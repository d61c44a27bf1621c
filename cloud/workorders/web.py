"""Work-order pages: the console's list and order page (also an engineer's phone page), and the
tenant's `/m/repairs` to report a repair, follow it and rate it. Every rule is the service's.

The pages live in `web_console`, `web_order` and `web_repairs`, sharing `web_parts`."""

from fastapi.responses import RedirectResponse
from nicegui import ui

from cloud.web.auth import WebContext, signed_in
from cloud.web.i18n import t
from cloud.web.layout import frame
from cloud.workorders.web_console import order_list
from cloud.workorders.web_order import order_view
from cloud.workorders.web_parts import ACTION_KEYS, PRIORITY_KEYS, SOURCE_KEYS, STATE_KEYS
from cloud.workorders.web_repairs import tenant_repairs

__all__ = ["ACTION_KEYS", "PRIORITY_KEYS", "SOURCE_KEYS", "STATE_KEYS", "register"]


def register(ctx: WebContext) -> None:
    """Add the console's work-order pages and the tenant's repair page."""

    @ui.page("/work-orders")
    async def work_orders_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m/repairs")
        with frame(t("wo.title"), user_name=user.display_name, current="/work-orders"):
            await order_list(ctx)
        return None

    @ui.page("/work-orders/{code}")
    async def work_order_page(code: str) -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m/repairs")
        with frame(t("wo.order_title", code=code), user_name=user.display_name):
            await order_view(ctx, code)
        return None

    @ui.page("/m/repairs")
    async def repairs_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if not user.is_tenant:
            return RedirectResponse("/work-orders")
        with frame(t("repair.title"), user_name=user.display_name, narrow=True):
            ui.link(t("repair.back"), "/m").classes("text-sm")
            await tenant_repairs(ctx)
        return None

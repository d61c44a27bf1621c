"""The bell in every page's header, and `/inbox`: the signed-in user's in-app notices."""

from fastapi.responses import RedirectResponse
from nicegui import ui
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.notifications import service
from cloud.notifications.schemas import Inbox, InboxItemRead
from cloud.web import layout
from cloud.web.auth import WebContext, signed_in
from cloud.web.calls import call
from cloud.web.formatting import local_time
from cloud.web.i18n import t
from cloud.web.layout import frame

BELL_EVERY_S = 30.0


def _inbox(*, session: Session, actor: Actor) -> Inbox:
    items = service.inbox(session=session, actor=actor)
    unread = service.unread_count(session=session, actor=actor)
    return Inbox(unread=unread, items=[InboxItemRead.model_validate(i) for i in items])


def _unread(*, session: Session, actor: Actor) -> int:
    return service.unread_count(session=session, actor=actor)


def register(ctx: WebContext) -> None:
    """Add `/inbox` and put the bell in the header of every signed-in page."""

    def bell() -> None:
        button = ui.button(icon="notifications", on_click=lambda: ui.navigate.to("/inbox"))
        button.props(f'flat round dense color=white aria-label="{t("inbox.title")}"')
        button.tooltip(t("inbox.title"))
        with button:
            badge = ui.badge("", color="red").props("floating rounded")
        badge.set_visibility(False)

        async def refresh() -> None:
            count = await call(ctx, _unread)
            if count is not None:
                badge.set_text(str(count))
                badge.set_visibility(count > 0)

        ui.timer(0.1, refresh, once=True)
        ui.timer(BELL_EVERY_S, refresh)

    layout.HEADER_ITEMS.append(bell)

    @ui.page("/inbox")
    async def inbox_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        with frame(t("inbox.title"), user_name=user.display_name, narrow=user.is_tenant):
            await _inbox_view(ctx)
        return None


async def _inbox_view(ctx: WebContext) -> None:
    @ui.refreshable
    async def view() -> None:
        inbox = await call(ctx, _inbox)
        if inbox is None:
            return
        with ui.row().classes("items-center gap-2"):
            ui.label(t("inbox.unread", count=inbox.unread)).classes("text-grey-8")
            if inbox.unread:
                ui.button(t("inbox.read_all"), on_click=read_all).props("flat dense no-caps")
        if not inbox.items:
            ui.label(t("inbox.empty")).classes("text-grey-7")
        for item in inbox.items:
            _item_card(item)

    def _item_card(item: InboxItemRead) -> None:
        unread = item.read_at is None
        with ui.card().classes("w-full" + (" bg-blue-1" if unread else "")):
            with ui.row().classes("w-full items-center"):
                ui.label(item.subject).classes("font-medium" if unread else "")
                ui.space()
                ui.label(local_time(item.created_at, ctx.zone)).classes("text-xs text-grey-7")
            ui.label(item.body).classes("whitespace-pre-line text-sm")
            with ui.row().classes("gap-2"):
                if item.link:
                    ui.link(t("inbox.open"), item.link).classes("text-sm")
                if unread:

                    async def read(item_id: int = item.id) -> None:
                        await call(ctx, service.mark_read, item_id=item_id)
                        view.refresh()

                    ui.button(t("inbox.mark_read"), on_click=read).props("flat dense no-caps")

    async def read_all() -> None:
        await call(ctx, service.mark_read)
        view.refresh()

    await view()

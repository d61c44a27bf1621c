"""The bell in every page's header, and `/inbox`: the signed-in user's in-app notices."""

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.notifications import service
from cloud.notifications.schemas import ContactRead, ContactUpdate, Inbox, InboxItemRead
from cloud.web import layout
from cloud.web.auth import WebContext, signed_in
from cloud.web.calls import call
from cloud.web.formatting import local_time
from cloud.web.i18n import t
from cloud.web.layout import frame, section

BELL_EVERY_S = 30.0


def _inbox(*, session: Session, actor: Actor) -> Inbox:
    items = service.inbox(session=session, actor=actor)
    unread = service.unread_count(session=session, actor=actor)
    return Inbox(unread=unread, items=[InboxItemRead.model_validate(i) for i in items])


def _unread(*, session: Session, actor: Actor) -> int:
    return service.unread_count(session=session, actor=actor)


def _contact(*, session: Session, actor: Actor) -> ContactRead:
    return ContactRead.model_validate(service.my_contact(session=session, actor=actor))


def _save_contact(*, session: Session, actor: Actor, form: dict[str, Any]) -> ContactRead:
    data = ContactUpdate.model_validate({k: v or None for k, v in form.items()})
    return ContactRead.model_validate(
        service.update_my_contact(session=session, actor=actor, data=data)
    )


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
            await _contact_form(ctx)
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


async def _contact_form(ctx: WebContext) -> None:
    """How notices reach the user outside the app, and in which language they are written."""
    contact = await call(ctx, _contact)
    if contact is None:
        return
    with section(t("inbox.contact")):
        language = ui.select(
            {"zh": "中文", "en": "English"}, value=contact.language, label=t("inbox.language")
        ).classes("w-40")
        email = ui.input(t("inbox.email"), value=contact.email or "").classes("w-full")
        phone = ui.input(t("inbox.phone"), value=contact.phone or "").classes("w-full")

        async def save() -> None:
            form = {"language": language.value, "email": email.value, "phone": phone.value}
            if await call(ctx, _save_contact, form=form) is not None:
                ui.notify(t("inbox.saved"), type="positive")

        ui.button(t("inbox.save"), on_click=save).props("unelevated")

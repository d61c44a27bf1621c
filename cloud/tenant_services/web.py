"""`/notices`: staff publish notices and see who read them; `/m/notices` and `/m/services`:
a tenant's notices, service requests and open surveys on a phone."""

from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.tenant_services import fitouts, notices, requests, surveys
from cloud.tenant_services.models import Audience, FitOutState, RequestKind, RequestState
from cloud.tenant_services.schemas import (
    FitOutRead,
    NoticeCreate,
    NoticeRead,
    RequestCreate,
    RequestRead,
    SurveyAnswer,
    SurveyRead,
    SurveyResults,
)
from cloud.web.auth import WebContext, signed_in
from cloud.web.calls import call
from cloud.web.formatting import local_time
from cloud.web.i18n import t
from cloud.web.layout import frame, section

AUDIENCE_KEYS = {
    Audience.all: "notice.audience.all",
    Audience.site: "notice.audience.site",
    Audience.building: "notice.audience.building",
}
KIND_KEYS = {
    RequestKind.cleaning: "svc.kind.cleaning",
    RequestKind.plants: "svc.kind.plants",
    RequestKind.parcel: "svc.kind.parcel",
}
STATE_KEYS = {
    RequestState.open: "svc.state.open",
    RequestState.accepted: "svc.state.accepted",
    RequestState.done: "svc.state.done",
    RequestState.cancelled: "svc.state.cancelled",
}

FIT_OUT_KEYS = {
    FitOutState.submitted: "fitout.state.submitted",
    FitOutState.engineering: "fitout.state.engineering",
    FitOutState.approved: "fitout.state.approved",
    FitOutState.rejected: "fitout.state.rejected",
    FitOutState.completed: "fitout.state.completed",
}


def _fit_outs(*, session: Session, actor: Actor) -> list[FitOutRead]:
    return [fitouts.read(session, f) for f in fitouts.list_fit_outs(session=session, actor=actor)]


def _survey_results(*, session: Session, actor: Actor) -> list[tuple[SurveyRead, SurveyResults]]:
    return [
        (survey, surveys.results(session=session, actor=actor, survey_id=survey.id))
        for survey in surveys.list_surveys(session=session, actor=actor)
    ]


def _publish(*, session: Session, actor: Actor, form: dict[str, Any]) -> int:
    data = NoticeCreate.model_validate({k: v for k, v in form.items() if v})
    return notices.publish(session=session, actor=actor, data=data).id


def _with_readers(*, session: Session, actor: Actor) -> list[tuple[NoticeRead, list[str]]]:
    return [
        (n, notices.readers(session=session, actor=actor, notice_id=n.id))
        for n in notices.list_notices(session=session, actor=actor)
    ]


def _request(*, session: Session, actor: Actor, form: dict[str, Any]) -> RequestRead:
    data = RequestCreate.model_validate({k: v for k, v in form.items() if v})
    return requests.read(requests.create(session=session, actor=actor, data=data))


def _requests(*, session: Session, actor: Actor) -> list[RequestRead]:
    return [requests.read(r) for r in requests.list_requests(session=session, actor=actor)]


def _answer(*, session: Session, actor: Actor, survey_id: int, scores: list[int]) -> bool:
    data = SurveyAnswer(scores=scores)
    surveys.answer(session=session, actor=actor, survey_id=survey_id, data=data)
    return True


def register(ctx: WebContext) -> None:
    """Add the notice console and the tenant's notices and services."""

    @ui.page("/notices")
    async def notices_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if user.is_tenant:
            return RedirectResponse("/m/notices")
        with frame(t("notice.title"), user_name=user.display_name, current="/notices"):
            await _console(ctx)
        return None

    @ui.page("/m/notices")
    async def tenant_notices_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        with frame(t("notice.title"), user_name=user.display_name, narrow=True):
            ui.link(t("repair.back"), "/m").classes("text-sm")
            await _tenant_notices(ctx)
        return None

    @ui.page("/m/services")
    async def tenant_services_page() -> RedirectResponse | None:
        user = signed_in()
        if user is None:
            return RedirectResponse("/login")
        if not user.is_tenant:
            return RedirectResponse("/notices")
        with frame(t("svc.title"), user_name=user.display_name, narrow=True):
            ui.link(t("repair.back"), "/m").classes("text-sm")
            await _tenant_services(ctx)
        return None


async def _console(ctx: WebContext) -> None:
    @ui.refreshable
    async def listing() -> None:
        rows = await call(ctx, _with_readers) or []
        if not rows:
            ui.label(t("notice.none")).classes("text-grey-7")
        for notice, readers in rows:
            with ui.card().classes("w-full"):
                where = t(AUDIENCE_KEYS[notice.audience]) + (
                    f" {notice.where}" if notice.where else ""
                )
                ui.label(notice.title).classes("font-medium")
                ui.label(f"{where} · {local_time(notice.published_at, ctx.zone)}").classes(
                    "text-xs text-grey-7"
                )
                ui.label(notice.body).classes("whitespace-pre-line text-sm")
                ui.label(t("notice.read_by", count=len(readers))).classes("text-xs text-grey-7")

    with section(t("notice.new")):
        title = ui.input(t("notice.heading")).classes("w-full")
        body = ui.textarea(t("notice.body")).classes("w-full")
        with ui.row().classes("items-end gap-2"):
            audience = ui.select(
                {a.value: t(key) for a, key in AUDIENCE_KEYS.items()},
                value=Audience.all.value,
                label=t("notice.audience"),
            ).classes("min-w-40")
            place = ui.input(t("notice.place")).classes("w-40")

        async def publish() -> None:
            code = place.value or None
            form = {
                "title": title.value,
                "body": body.value,
                "audience": audience.value,
                "site_code": code if audience.value == Audience.site else None,
                "building_code": code if audience.value == Audience.building else None,
            }
            if await call(ctx, _publish, form=form) is not None:
                title.value, body.value = "", ""
                ui.notify(t("notice.published"), type="positive")
                listing.refresh()

        ui.button(t("notice.publish"), on_click=publish).props("unelevated")
    await listing()
    with section(t("survey.results")):
        for survey, result in await call(ctx, _survey_results) or []:
            ui.label(t("survey.head", title=result.title, count=result.responses)).classes(
                "font-medium"
            )
            for question, average in zip(survey.questions, result.averages, strict=True):
                shown = "—" if average is None else f"{average} / 5"
                ui.label(f"{question}: {shown}").classes("text-sm tabular")


async def _tenant_notices(ctx: WebContext) -> None:
    rows = await call(ctx, notices.list_notices) or []
    if not rows:
        ui.label(t("notice.none")).classes("text-grey-7")
    for notice in rows:
        with ui.expansion(notice.title, icon="campaign").classes("w-full bg-white") as panel:
            ui.label(local_time(notice.published_at, ctx.zone)).classes("text-xs text-grey-7")
            ui.label(notice.body).classes("whitespace-pre-line")
        if not notice.read:
            panel.props("header-class=text-bold")

            async def opened(e: Any, notice_id: int = notice.id) -> None:
                if e.value:
                    await call(ctx, notices.mark_read, notice_id=notice_id)

            panel.on_value_change(opened)


async def _tenant_services(ctx: WebContext) -> None:
    @ui.refreshable
    async def mine() -> None:
        for request in await call(ctx, _requests) or []:
            with ui.card().classes("w-full"):
                ui.label(f"{request.code} · {t(KIND_KEYS[request.kind])}").classes("font-medium")
                ui.label(request.details).classes("text-sm")
                ui.label(t(STATE_KEYS[request.state])).classes("text-sm text-primary")

    with section(t("svc.new")):
        kind = ui.select(
            {k.value: t(key) for k, key in KIND_KEYS.items()},
            value=RequestKind.cleaning.value,
            label=t("svc.kind"),
        ).classes("w-full")
        details = ui.textarea(t("svc.details")).classes("w-full")

        async def send() -> None:
            made = await call(ctx, _request, form={"kind": kind.value, "details": details.value})
            if made is not None:
                details.value = ""
                ui.notify(t("svc.sent", code=made.code), type="positive")
                mine.refresh()

        ui.button(t("svc.send"), on_click=send).props("unelevated").classes("w-full")
    with section(t("svc.mine")):
        await mine()
    with section(t("fitout.mine")):
        mine_fit_outs = await call(ctx, _fit_outs) or []
        if not mine_fit_outs:
            ui.label(t("fitout.none")).classes("text-grey-7")
        for fit_out in mine_fit_outs:
            with ui.card().classes("w-full"):
                ui.label(f"{fit_out.code} · {fit_out.unit_code}").classes("font-medium")
                ui.label(fit_out.description).classes("text-sm")
                ui.label(t(FIT_OUT_KEYS[fit_out.state])).classes("text-sm text-primary")
                for step in fit_out.steps:
                    mark = "✓" if step.approved else "✗"
                    ui.label(f"{mark} {t(FIT_OUT_KEYS[step.step])} {step.note or ''}").classes(
                        "text-xs text-grey-7"
                    )
    for survey in await call(ctx, surveys.list_surveys) or []:
        if not survey.answered:
            _survey_card(ctx, survey)


def _survey_card(ctx: WebContext, survey: SurveyRead) -> None:
    with section(survey.title) as card:
        ratings = [
            (ui.label(question).classes("text-sm"), ui.rating(value=5, max=5))[1]
            for question in survey.questions
        ]

        async def answer() -> None:
            scores = [int(r.value or 0) for r in ratings]
            if await call(ctx, _answer, survey_id=survey.id, scores=scores):
                card.clear()
                with card:
                    ui.label(t("repair.thanks"))

        ui.button(t("svc.answer"), on_click=answer).props("unelevated")

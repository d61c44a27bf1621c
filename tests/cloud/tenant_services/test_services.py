"""Service requests, satisfaction surveys and move-outs, each scoped to its tenant and org."""

from datetime import date
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.tenant_services import moveouts, requests, surveys
from cloud.tenant_services.models import MoveOutState, RequestKind, RequestState
from cloud.tenant_services.schemas import (
    MoveOutCreate,
    MoveOutUpdate,
    RequestCreate,
    Settlement,
    SurveyAnswer,
    SurveyCreate,
)
from tests.cloud.factories import PASSWORD, World


def test_a_service_request_from_asking_to_done(session: Session, world: World) -> None:
    tenant = world.actors["tenant"]
    request = requests.create(
        session=session,
        actor=tenant,
        data=RequestCreate(kind=RequestKind.parcel, details="代收快递两件"),
    )
    assert request.code.startswith("SR-") and request.state == RequestState.open
    with pytest.raises(NotFound):
        requests.get(session=session, actor=world.actors["tenant_b"], code=request.code)
    with pytest.raises(Forbidden):
        requests.move(session=session, actor=tenant, code=request.code, action="done")
    requests.move(session=session, actor=world.actors["engineer"], code=request.code, action="done")
    shown = requests.read(request)
    assert shown.state == RequestState.done and shown.done_at is not None
    with pytest.raises(Conflict):
        requests.move(session=session, actor=tenant, code=request.code, action="cancel")
    assert [r.code for r in requests.list_requests(session=session, actor=tenant)] == [request.code]
    assert requests.list_requests(session=session, actor=world.actors["tenant_b"]) == []


def test_survey_results_average_each_question(session: Session, world: World) -> None:
    survey = surveys.create(
        session=session,
        actor=world.actors["staff"],
        data=SurveyCreate(title="2026 一季度满意度", questions=["保洁", "维修响应"]),
    )
    surveys.answer(
        session=session,
        actor=world.actors["tenant"],
        survey_id=survey.id,
        data=SurveyAnswer(scores=[5, 4], comment="很好"),
    )
    surveys.answer(
        session=session,
        actor=world.actors["tenant_b"],
        survey_id=survey.id,
        data=SurveyAnswer(scores=[4, 2]),
    )
    with pytest.raises(Conflict):
        surveys.answer(
            session=session,
            actor=world.actors["tenant"],
            survey_id=survey.id,
            data=SurveyAnswer(scores=[1, 1]),
        )
    with pytest.raises(Invalid):
        surveys.answer(
            session=session,
            actor=world.actors["tenant"],
            survey_id=survey.id,
            data=SurveyAnswer(scores=[6]),
        )
    result = surveys.results(session=session, actor=world.actors["admin"], survey_id=survey.id)
    assert result.responses == 2
    assert result.averages == [Decimal("4.50"), Decimal("3.00")]
    assert result.comments == ["很好"]
    with pytest.raises(Forbidden):
        surveys.results(session=session, actor=world.actors["tenant"], survey_id=survey.id)


def test_a_move_out_settles_only_when_everything_is_done(session: Session, world: World) -> None:
    staff = world.actors["staff"]
    move_out = moveouts.open_move_out(
        session=session,
        actor=staff,
        data=MoveOutCreate(tenant_code="TA", unit_code="U-101", planned_on=date(2026, 6, 30)),
    )
    settlement = Settlement(deposit_held=Decimal("30000"), deductions=Decimal("1234.56"))
    with pytest.raises(Conflict):
        moveouts.settle(
            session=session, actor=world.actors["finance"], code=move_out.code, data=settlement
        )
    moveouts.update(
        session=session,
        actor=staff,
        code=move_out.code,
        data=MoveOutUpdate(
            checklist=dict.fromkeys(moveouts.CHECKLIST, True),
            final_readings={"M-101": Decimal("1234.50")},
        ),
    )
    moveouts.settle(
        session=session, actor=world.actors["finance"], code=move_out.code, data=settlement
    )
    shown = moveouts.read(move_out)
    assert shown.state == MoveOutState.settled
    assert shown.refund == Decimal("28765.44")
    assert shown.final_readings == {"M-101": "1234.50"}
    assert moveouts.get(session=session, actor=world.actors["tenant"], code=move_out.code)
    with pytest.raises(NotFound):
        moveouts.get(session=session, actor=world.actors["tenant_b"], code=move_out.code)


async def test_tenant_services_over_rest(
    client: httpx.AsyncClient, session: Session, world: World
) -> None:
    async def login(key: str) -> dict[str, str]:
        body = {"username": world.username(key), "password": PASSWORD}
        answer = (await client.post("/api/v1/auth/login", json=body)).json()
        return {"Authorization": f"Bearer {answer['access_token']}"}

    staff, tenant = await login("staff"), await login("tenant")
    posted = await client.post(
        "/api/v1/notices", headers=staff, json={"title": "消防演练", "body": "周五下午"}
    )
    assert posted.status_code == 201, posted.text
    notice_id = posted.json()["id"]
    assert (
        await client.post("/api/v1/notices", headers=tenant, json={"title": "x", "body": "y"})
    ).status_code == 403  # noqa: E501
    mine = (await client.get("/api/v1/notices", headers=tenant)).json()
    assert [n["id"] for n in mine] == [notice_id] and mine[0]["read"] is False
    assert (await client.post(f"/api/v1/notices/{notice_id}/read", headers=tenant)).json()
    request = await client.post(
        "/api/v1/service-requests", headers=tenant, json={"kind": "plants", "details": "绿植养护"}
    )
    assert request.status_code == 201
    code = request.json()["code"]
    done = await client.post(f"/api/v1/service-requests/{code}/done", headers=staff)
    assert done.json()["state"] == "done"
    fit_out = await client.post(
        "/api/v1/fit-outs",
        headers=tenant,
        data={
            "unit_code": "U-101",
            "description": "隔墙",
            "contractor": "华安装饰",
            "planned_start": "2026-04-01",
            "planned_end": "2026-04-30",
        },
        files=[("drawings", ("plan.pdf", b"%PDF-1.7\n" + b"0" * 64, "application/pdf"))],
    )
    assert fit_out.status_code == 201, fit_out.text
    assert fit_out.json()["state"] == "submitted"

"""Tenant services over REST: notices, service requests, surveys, fit-outs, move-outs."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, UploadFile, status

from cloud.deps import CurrentActor, SessionDep
from cloud.tenant_services import fitouts, moveouts, notices, requests, surveys
from cloud.tenant_services.models import RequestState
from cloud.tenant_services.schemas import (
    DepositRecord,
    FitOutCreate,
    FitOutDecision,
    FitOutRead,
    MoveOutCreate,
    MoveOutRead,
    MoveOutUpdate,
    NoticeCreate,
    NoticeRead,
    RequestCreate,
    RequestRead,
    Settlement,
    SurveyAnswer,
    SurveyCreate,
    SurveyRead,
    SurveyResults,
)
from cloud.workorders.attachments import Upload

router = APIRouter(tags=["tenant services"])
CREATED = status.HTTP_201_CREATED


@router.get("/notices", response_model=list[NoticeRead])
def list_notices(session: SessionDep, actor: CurrentActor) -> list[NoticeRead]:
    return notices.list_notices(session=session, actor=actor)


@router.post("/notices", response_model=NoticeRead, status_code=CREATED)
def publish_notice(data: NoticeCreate, session: SessionDep, actor: CurrentActor) -> NoticeRead:
    notice = notices.publish(session=session, actor=actor, data=data)
    return next(n for n in notices.list_notices(session=session, actor=actor) if n.id == notice.id)


@router.post("/notices/{notice_id}/read", response_model=bool)
def read_notice(notice_id: int, session: SessionDep, actor: CurrentActor) -> bool:
    notices.mark_read(session=session, actor=actor, notice_id=notice_id)
    return True


@router.get("/notices/{notice_id}/readers", response_model=list[str])
def notice_readers(notice_id: int, session: SessionDep, actor: CurrentActor) -> list[str]:
    return notices.readers(session=session, actor=actor, notice_id=notice_id)


@router.get("/service-requests", response_model=list[RequestRead])
def list_service_requests(
    session: SessionDep, actor: CurrentActor, state: RequestState | None = None
) -> list[RequestRead]:
    rows = requests.list_requests(session=session, actor=actor, state=state)
    return [requests.read(row) for row in rows]


@router.post("/service-requests", response_model=RequestRead, status_code=CREATED)
def create_service_request(
    data: RequestCreate, session: SessionDep, actor: CurrentActor
) -> RequestRead:
    return requests.read(requests.create(session=session, actor=actor, data=data))


@router.post("/service-requests/{code}/{action}", response_model=RequestRead)
def move_service_request(
    code: str, action: str, session: SessionDep, actor: CurrentActor
) -> RequestRead:
    """`accept` or `done` (staff, engineers), `cancel` (the tenant, while open)."""
    return requests.read(requests.move(session=session, actor=actor, code=code, action=action))


@router.get("/surveys", response_model=list[SurveyRead])
def list_surveys(session: SessionDep, actor: CurrentActor) -> list[SurveyRead]:
    return surveys.list_surveys(session=session, actor=actor)


@router.post("/surveys", response_model=SurveyRead, status_code=CREATED)
def create_survey(data: SurveyCreate, session: SessionDep, actor: CurrentActor) -> SurveyRead:
    survey = surveys.create(session=session, actor=actor, data=data)
    return SurveyRead(id=survey.id, title=survey.title, questions=survey.questions, open=True)


@router.post("/surveys/{survey_id}/answers", response_model=bool, status_code=CREATED)
def answer_survey(
    survey_id: int, data: SurveyAnswer, session: SessionDep, actor: CurrentActor
) -> bool:
    surveys.answer(session=session, actor=actor, survey_id=survey_id, data=data)
    return True


@router.post("/surveys/{survey_id}/close", response_model=SurveyRead)
def close_survey(survey_id: int, session: SessionDep, actor: CurrentActor) -> SurveyRead:
    survey = surveys.close(session=session, actor=actor, survey_id=survey_id)
    return SurveyRead(id=survey.id, title=survey.title, questions=survey.questions, open=False)


@router.get("/surveys/{survey_id}/results", response_model=SurveyResults)
def survey_results(survey_id: int, session: SessionDep, actor: CurrentActor) -> SurveyResults:
    return surveys.results(session=session, actor=actor, survey_id=survey_id)


@router.get("/fit-outs", response_model=list[FitOutRead])
def list_fit_outs(session: SessionDep, actor: CurrentActor) -> list[FitOutRead]:
    rows = fitouts.list_fit_outs(session=session, actor=actor)
    return [fitouts.read(session, row) for row in rows]


@router.post("/fit-outs", response_model=FitOutRead, status_code=CREATED)
def apply_for_fit_out(
    session: SessionDep,
    actor: CurrentActor,
    unit_code: Annotated[str, Form()],
    description: Annotated[str, Form()],
    contractor: Annotated[str, Form()],
    planned_start: Annotated[date, Form()],
    planned_end: Annotated[date, Form()],
    drawings: list[UploadFile],
) -> FitOutRead:
    """A tenant applies with the works' drawings (PDF or images, 20 MiB each at most)."""
    data = FitOutCreate(
        unit_code=unit_code,
        description=description,
        contractor=contractor,
        planned_start=planned_start,
        planned_end=planned_end,
    )
    uploads = [
        Upload(d.filename or "drawing", d.file.read(fitouts.MAX_DRAWING_BYTES + 1))
        for d in drawings
    ]
    fit_out = fitouts.apply(session=session, actor=actor, data=data, drawings=uploads)
    return fitouts.read(session, fit_out)


@router.get("/fit-outs/{code}", response_model=FitOutRead)
def get_fit_out(code: str, session: SessionDep, actor: CurrentActor) -> FitOutRead:
    return fitouts.read(session, fitouts.get(session=session, actor=actor, code=code))


@router.post("/fit-outs/{code}/decisions", response_model=FitOutRead)
def decide_fit_out(
    code: str, data: FitOutDecision, session: SessionDep, actor: CurrentActor
) -> FitOutRead:
    """The decision of the step the application waits at (property, then engineering)."""
    fit_out = fitouts.decide(session=session, actor=actor, code=code, data=data)
    return fitouts.read(session, fit_out)


@router.post("/fit-outs/{code}/deposit", response_model=FitOutRead)
def record_fit_out_deposit(
    code: str, data: DepositRecord, session: SessionDep, actor: CurrentActor
) -> FitOutRead:
    fit_out = fitouts.record_deposit(session=session, actor=actor, code=code, amount=data.amount)
    return fitouts.read(session, fit_out)


@router.post("/fit-outs/{code}/complete", response_model=FitOutRead)
def complete_fit_out(code: str, session: SessionDep, actor: CurrentActor) -> FitOutRead:
    return fitouts.read(session, fitouts.complete(session=session, actor=actor, code=code))


@router.post("/move-outs", response_model=MoveOutRead, status_code=CREATED)
def open_move_out(data: MoveOutCreate, session: SessionDep, actor: CurrentActor) -> MoveOutRead:
    return moveouts.read(moveouts.open_move_out(session=session, actor=actor, data=data))


@router.get("/move-outs/{code}", response_model=MoveOutRead)
def get_move_out(code: str, session: SessionDep, actor: CurrentActor) -> MoveOutRead:
    return moveouts.read(moveouts.get(session=session, actor=actor, code=code))


@router.patch("/move-outs/{code}", response_model=MoveOutRead)
def update_move_out(
    code: str, data: MoveOutUpdate, session: SessionDep, actor: CurrentActor
) -> MoveOutRead:
    return moveouts.read(moveouts.update(session=session, actor=actor, code=code, data=data))


@router.post("/move-outs/{code}/settlement", response_model=MoveOutRead)
def settle_move_out(
    code: str, data: Settlement, session: SessionDep, actor: CurrentActor
) -> MoveOutRead:
    return moveouts.read(moveouts.settle(session=session, actor=actor, code=code, data=data))

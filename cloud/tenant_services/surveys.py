"""Satisfaction surveys: staff ask questions scored 1–5, each tenant user answers once while
the survey is open, staff see the average per question and the comments."""

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.tenant_services.models import Survey, SurveyResponse
from cloud.tenant_services.schemas import SurveyAnswer, SurveyCreate, SurveyRead, SurveyResults

STAFF = (Role.admin, Role.staff)


def create(*, session: Session, actor: Actor, data: SurveyCreate) -> Survey:
    require_role(actor, *STAFF)
    questions = [q.strip() for q in data.questions if q.strip()]
    if not questions:
        raise Invalid("ask at least one question", field="questions")
    survey = Survey(org_id=actor.org_id, title=data.title.strip(), questions=questions, open=True)
    session.add(survey)
    session.flush()
    return survey


def _get(session: Session, actor: Actor, survey_id: int) -> Survey:
    survey = session.scalar(
        select(Survey).where(Survey.org_id == actor.org_id, Survey.id == survey_id)
    )
    if survey is None:
        raise NotFound(f"survey {survey_id} not found")
    return survey


def list_surveys(*, session: Session, actor: Actor) -> list[SurveyRead]:
    """Staff see every survey; a tenant the open ones, marked answered or not."""
    require_role(actor, *STAFF, Role.tenant)
    stmt = select(Survey).where(Survey.org_id == actor.org_id)
    answered: set[int] = set()
    if actor.is_tenant:
        stmt = stmt.where(Survey.open)
        answered = set(
            session.scalars(
                select(SurveyResponse.survey_id).where(SurveyResponse.user_id == actor.user_id)
            )
        )
    return [
        SurveyRead(
            id=s.id,
            title=s.title,
            questions=s.questions,
            open=s.open,
            answered=(s.id in answered) if actor.is_tenant else None,
        )
        for s in session.scalars(stmt.order_by(Survey.id.desc()))
    ]


def answer(*, session: Session, actor: Actor, survey_id: int, data: SurveyAnswer) -> None:
    """A tenant user's scores, one per question, once."""
    require_role(actor, Role.tenant)
    assert actor.tenant_id is not None
    survey = _get(session, actor, survey_id)
    if not survey.open:
        raise Conflict(f"survey {survey_id} is closed")
    if len(data.scores) != len(survey.questions):
        raise Invalid(f"give {len(survey.questions)} scores, one per question", field="scores")
    if any(not 1 <= score <= 5 for score in data.scores):
        raise Invalid("scores run from 1 to 5", field="scores")
    try:
        with session.begin_nested():
            session.add(
                SurveyResponse(
                    org_id=actor.org_id,
                    survey_id=survey.id,
                    user_id=actor.user_id,
                    tenant_id=actor.tenant_id,
                    scores=data.scores,
                    comment=(data.comment or "").strip() or None,
                )
            )
    except IntegrityError:
        raise Conflict(f"you have answered survey {survey_id} already") from None


def close(*, session: Session, actor: Actor, survey_id: int) -> Survey:
    require_role(actor, *STAFF)
    survey = _get(session, actor, survey_id)
    survey.open = False
    session.flush()
    return survey


def results(*, session: Session, actor: Actor, survey_id: int) -> SurveyResults:
    """How many answered, the average score per question (to two places), the comments."""
    require_role(actor, *STAFF)
    survey = _get(session, actor, survey_id)
    responses = list(
        session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id))
    )
    averages: list[Decimal | None] = []
    for index in range(len(survey.questions)):
        scores = [r.scores[index] for r in responses]
        mean = Decimal(sum(scores)) / len(scores) if scores else None
        averages.append(mean.quantize(Decimal("0.01"), ROUND_HALF_UP) if mean is not None else None)
    return SurveyResults(
        id=survey.id,
        title=survey.title,
        responses=len(responses),
        averages=averages,
        comments=[r.comment for r in responses if r.comment],
    )

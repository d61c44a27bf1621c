"""The demo org's notices and survey, made once: when the org has no notice yet."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor
from cloud.tenant_services import notices, surveys
from cloud.tenant_services.models import Audience, Notice
from cloud.tenant_services.schemas import NoticeCreate, SurveyCreate


def seed_tenant_services(*, session: Session, admin: Actor) -> None:
    if session.scalar(select(Notice.id).where(Notice.org_id == admin.org_id).limit(1)):
        return
    for data in (
        NoticeCreate(
            title="消防演练通知 Fire drill",
            body="本周五 15:00 全园区消防演练，请各租户配合疏散。\n"
            "Fire drill this Friday at 15:00: please follow the wardens out.",
        ),
        NoticeCreate(
            title="A座周六停水 Water off in A on Saturday",
            body="周六 9:00–12:00 A 座二次供水检修停水。\n"
            "Water is off in A on Saturday 9:00–12:00.",
            audience=Audience.building,
            building_code="A",
        ),
    ):
        notices.publish(session=session, actor=admin, data=data)
    surveys.create(
        session=session,
        actor=admin,
        data=SurveyCreate(
            title="2026 物业服务满意度 Satisfaction",
            questions=["保洁 Cleaning", "维修响应 Repairs", "安保 Security"],
        ),
    )

"""The demo org's leads: one at every stage and from most channels, so the funnel and the
channel chart of `/leads` show something on a fresh demo."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.leasing.leads import conversion, service
from cloud.leasing.leads.models import Lead
from cloud.leasing.leads.schemas import (
    DepositMove,
    FollowUpCreate,
    LeadCreate,
    LetterOfIntent,
    LostMark,
)

# company, source, source detail, units, follow-up kinds, then: "loi", "lost" or nothing
LEADS: tuple[tuple[str, str, str, list[str], tuple[str, ...], str], ...] = (
    (
        "星河科技有限公司",
        "agent",
        "链家 王经理",
        ["A-12-1203"],
        ("visit", "quote", "counter_offer"),
        "",
    ),
    ("远航物流有限公司", "walk_in", "", ["A-12-1204"], ("visit",), ""),
    ("云帆传媒有限公司", "event", "2026 春季推介会", ["A-10-1003"], ("visit", "quote"), "loi"),
    ("青禾餐饮管理有限公司", "online", "官网留言", [], ("visit", "quote"), "lost"),
    ("蓝鲸教育咨询有限公司", "referral", "租户 T-0001 推荐", ["A-12-1203"], ("visit", "quote"), ""),
)


def seed_leads(*, session: Session, actor: Actor) -> None:
    """The demo leads, only when the org has none yet (so a re-seed changes nothing)."""
    if session.scalar(select(Lead.id).where(Lead.org_id == actor.org_id).limit(1)):
        return
    today = identity_service.org_today(session=session, actor=actor)
    for company, source, detail, units, kinds, end in LEADS:
        lead = service.create_lead(
            session=session,
            actor=actor,
            data=LeadCreate.model_validate(
                {
                    "company": company,
                    "source": source,
                    "source_detail": detail,
                    "unit_codes": units,
                    "contacts": [{"name": "联系人", "phone": "13800000000"}],
                }
            ),
        )
        for kind in kinds:
            service.add_follow_up(
                session=session, actor=actor, code=lead.code, data=_follow_up(kind, today)
            )
        if end == "loi":
            loi = LetterOfIntent(signed_on=today, deposit=Decimal("20000"))
            conversion.sign_loi(session=session, actor=actor, code=lead.code, data=loi)
            received = DepositMove.model_validate({"status": "received"})
            conversion.move_deposit(session=session, actor=actor, code=lead.code, data=received)
        elif end == "lost":
            lost = LostMark.model_validate({"reason": "price", "note": "预算低于报价"})
            service.mark_lost(session=session, actor=actor, code=lead.code, data=lost)


def _follow_up(kind: str, today: Any) -> FollowUpCreate:
    terms: dict[str, Any] = {}
    if kind in ("quote", "counter_offer"):
        terms = {
            "rent_per_m2_month": "135" if kind == "quote" else "120",
            "property_fee_per_m2_month": "18",
            "lease_start": (today + timedelta(days=60)).isoformat(),
            "term_months": 36,
            "free_months": 2,
        }
    return FollowUpCreate.model_validate({"kind": kind, "note": "", **terms})

"""Leads as the actor may see them, and their way along the stages.

Staff and admins write; finance reads (the funnel is a management figure); engineers and
tenants see no leads. A follow-up moves a lead forward when it shows the lead got further (a
quote: at least `quote`; a counter-offer: at least `negotiation`); a lead never moves back, and
`loi` and `signed` are reached only by signing a letter of intent and converting
(`conversion.py`). Every change of stage is kept, dated, in `stage_changes`.
"""

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing import service as leasing_service
from cloud.leasing.contracts.models import Contract
from cloud.leasing.leads.models import (
    WAY,
    FollowUp,
    FollowUpKind,
    Lead,
    LeadContact,
    LeadSource,
    Stage,
    StageChange,
)
from cloud.leasing.leads.schemas import (
    ContactData,
    ContactRead,
    DepositChangeRead,
    FollowUpCreate,
    FollowUpRead,
    LeadCreate,
    LeadRead,
    LeadSummary,
    LeadUpdate,
    LostMark,
    StageChangeRead,
    StageMove,
)
from cloud.properties.models import Unit

READ_ROLES = (Role.admin, Role.staff, Role.finance)
WRITE_ROLES = (Role.admin, Role.staff)
CLOSED = (Stage.signed, Stage.lost)
MOVES_TO = {
    FollowUpKind.visit: Stage.visit,
    FollowUpKind.quote: Stage.quote,
    FollowUpKind.counter_offer: Stage.negotiation,
}
"""How far a follow-up of each kind shows the lead got (feedback shows nothing new)."""


def visible_leads(actor: Actor) -> Select[Lead]:
    require_role(actor, *READ_ROLES)
    return select(Lead).where(Lead.org_id == actor.org_id)


def list_leads(
    *,
    session: Session,
    actor: Actor,
    stage: Stage | None = None,
    source: LeadSource | None = None,
) -> list[LeadSummary]:
    """The org's leads, newest first, optionally of one stage or source."""
    stmt = visible_leads(actor)
    if stage is not None:
        stmt = stmt.where(Lead.stage == stage)
    if source is not None:
        stmt = stmt.where(Lead.source == source)
    leads = session.scalars(stmt.order_by(Lead.created_on.desc(), Lead.id.desc()))
    return [summary(session, lead) for lead in leads]


def get_lead(*, session: Session, actor: Actor, code: str) -> Lead:
    stmt = (
        visible_leads(actor)
        .where(Lead.code == code)
        .options(
            selectinload(Lead.follow_ups),
            selectinload(Lead.stage_changes),
            selectinload(Lead.deposit_changes),
        )
    )
    lead = session.scalar(stmt)
    if lead is None:
        raise NotFound(f"lead {code} not found")
    return lead


def read_lead(*, session: Session, actor: Actor, code: str) -> LeadRead:
    """One lead whole: contacts, follow-ups, stage history and deposit changes."""
    lead = get_lead(session=session, actor=actor, code=code)
    tenant_code = None
    if lead.tenant_id is not None:
        tenant_code = leasing_service.tenant_code_of(session=session, tenant_id=lead.tenant_id)
    return LeadRead(
        **summary(session, lead).model_dump(),
        source_detail=lead.source_detail,
        wanted_area_m2=lead.wanted_area_m2,
        note=lead.note,
        lost_note=lead.lost_note,
        tenant_code=tenant_code,
        loi_signed_on=lead.loi_signed_on,
        deposit_amount=lead.deposit_amount,
        deposit_status=lead.deposit_status,
        contacts=[ContactRead.model_validate(c, from_attributes=True) for c in lead.contacts],
        follow_ups=[FollowUpRead.model_validate(f, from_attributes=True) for f in lead.follow_ups],
        stage_changes=[
            StageChangeRead.model_validate(s, from_attributes=True) for s in lead.stage_changes
        ],
        deposit_changes=[
            DepositChangeRead.model_validate(d, from_attributes=True) for d in lead.deposit_changes
        ],
    )


def summary(session: Session, lead: Lead) -> LeadSummary:
    contract = session.get(Contract, lead.contract_id) if lead.contract_id else None
    return LeadSummary(
        code=lead.code,
        company=lead.company,
        source=lead.source,
        stage=lead.stage,
        reached=lead.reached,
        unit_codes=[unit.code for unit in lead.units],
        created_on=lead.created_on,
        lost_reason=lead.lost_reason,
        contract_code=contract.code if contract else None,
    )


def create_lead(*, session: Session, actor: Actor, data: LeadCreate) -> Lead:
    """A new lead at the visit stage; staff and admins."""
    require_role(actor, *WRITE_ROLES)
    today = identity_service.org_today(session=session, actor=actor)
    code = data.code or next_code(session=session, actor=actor, year=today.year)
    if session.scalar(select(Lead.id).where(Lead.org_id == actor.org_id, Lead.code == code)):
        raise Conflict(f"lead code {code} is taken")
    tenant_id = None
    if data.tenant_code is not None:
        tenant_id = leasing_service.get_tenant(
            session=session, actor=actor, code=data.tenant_code
        ).id
    lead = Lead(
        org_id=actor.org_id,
        code=code,
        company=data.company,
        source=data.source,
        source_detail=data.source_detail,
        wanted_area_m2=data.wanted_area_m2,
        note=data.note,
        stage=Stage.visit,
        reached=Stage.visit,
        tenant_id=tenant_id,
        owner_id=actor.user_id,
        created_on=today,
        units=units_of(session, actor, data.unit_codes),
        contacts=[LeadContact(org_id=actor.org_id, **c.model_dump()) for c in data.contacts],
    )
    lead.stage_changes.append(_change(actor, None, Stage.visit, today, ""))
    session.add(lead)
    session.flush()
    return lead


def update_lead(*, session: Session, actor: Actor, code: str, data: LeadUpdate) -> Lead:
    """Change an open lead's particulars, units or tenant; only the fields sent change."""
    lead = open_lead(session=session, actor=actor, code=code)
    fields = data.model_dump(exclude_unset=True, exclude={"unit_codes", "tenant_code"})
    for field, value in fields.items():
        if value is None and field != "wanted_area_m2":
            raise Invalid(f"{field} cannot be removed", field=field)
        setattr(lead, field, value)
    if data.unit_codes is not None:
        lead.units = units_of(session, actor, data.unit_codes)
    if data.tenant_code is not None:
        lead.tenant_id = leasing_service.get_tenant(
            session=session, actor=actor, code=data.tenant_code
        ).id
    session.flush()
    return lead


def add_contact(*, session: Session, actor: Actor, code: str, data: ContactData) -> Lead:
    """Another person to talk to at the lead's company."""
    lead = open_lead(session=session, actor=actor, code=code)
    lead.contacts.append(LeadContact(org_id=actor.org_id, **data.model_dump()))
    session.flush()
    return lead


def next_code(*, session: Session, actor: Actor, year: int) -> str:
    """`XS-{year}-NNNN`, one more than the org's highest such lead code."""
    prefix = f"XS-{year}-"
    codes = session.scalars(
        select(Lead.code).where(Lead.org_id == actor.org_id, Lead.code.startswith(prefix))
    )
    numbers = [int(c[len(prefix) :]) for c in codes if c[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def units_of(session: Session, actor: Actor, codes: list[str]) -> list[Unit]:
    """The org's units by code, in the order given; Invalid naming the unknown ones."""
    found = {
        u.code: u
        for u in session.scalars(
            select(Unit).where(Unit.org_id == actor.org_id, Unit.code.in_(codes))
        )
    }
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise Invalid(f"no unit {', '.join(unknown)} in this org", field="unit_codes")
    return [found[c] for c in dict.fromkeys(codes)]


def add_follow_up(*, session: Session, actor: Actor, code: str, data: FollowUpCreate) -> Lead:
    """Record a follow-up on an open lead; it moves the lead forward if it shows progress."""
    lead = open_lead(session=session, actor=actor, code=code)
    today = identity_service.org_today(session=session, actor=actor)
    follow_up = FollowUp(
        org_id=actor.org_id,
        created_by_id=actor.user_id,
        **data.model_dump(exclude={"happened_on"}),
        happened_on=data.happened_on or today,
    )
    lead.follow_ups.append(follow_up)
    target = MOVES_TO.get(data.kind)
    if target is not None and WAY.index(target) > WAY.index(lead.stage):
        move(actor, lead, target, follow_up.happened_on, data.note)
    session.flush()
    return lead


def move_stage(*, session: Session, actor: Actor, code: str, data: StageMove) -> Lead:
    """Move an open lead forward to quote or negotiation by hand."""
    lead = open_lead(session=session, actor=actor, code=code)
    if data.stage not in (Stage.quote, Stage.negotiation, Stage.visit):
        how = "letter of intent" if data.stage == Stage.loi else "conversion or mark lost"
        raise Invalid(f"{data.stage} is reached by its own step ({how})", field="stage")
    if WAY.index(data.stage) <= WAY.index(lead.stage):
        raise Conflict(f"lead {code} is at {lead.stage}; a lead only moves forward")
    move(
        actor, lead, data.stage, identity_service.org_today(session=session, actor=actor), data.note
    )
    session.flush()
    return lead


def mark_lost(*, session: Session, actor: Actor, code: str, data: LostMark) -> Lead:
    """The lead is lost, for a reason; it keeps how far it got for the funnel."""
    lead = open_lead(session=session, actor=actor, code=code)
    lead.lost_reason, lead.lost_note = data.reason, data.note
    today = identity_service.org_today(session=session, actor=actor)
    move(actor, lead, Stage.lost, today, data.note)
    session.flush()
    return lead


def open_lead(*, session: Session, actor: Actor, code: str) -> Lead:
    """A lead the actor may change: staff or admin, not signed or lost."""
    require_role(actor, *WRITE_ROLES)
    lead = get_lead(session=session, actor=actor, code=code)
    if lead.stage in CLOSED:
        raise Conflict(f"lead {code} is {lead.stage}; it no longer changes")
    return lead


def move(actor: Actor, lead: Lead, stage: Stage, on: date, note: str) -> None:
    """Set the stage, keep the furthest stage reached on the way, and record the change."""
    lead.stage_changes.append(_change(actor, lead.stage, stage, on, note))
    lead.stage = stage
    if stage in WAY and WAY.index(stage) > WAY.index(lead.reached):
        lead.reached = stage


def _change(actor: Actor, old: Stage | None, new: Stage, on: date, note: str) -> StageChange:
    return StageChange(
        org_id=actor.org_id,
        from_stage=old,
        to_stage=new,
        changed_on=on,
        changed_by_id=actor.user_id,
        note=note,
    )

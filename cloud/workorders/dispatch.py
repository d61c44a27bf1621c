"""Dispatch: which engineers to suggest for a job, best first."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role, User
from cloud.workorders.models import EngineerBuilding, EngineerSkill, WorkOrder
from cloud.workorders.schemas import AssigneeSuggestion
from cloud.workorders.scope import ACTIVE_STATES, DISPATCHERS, get_order


def suggest_assignees(*, session: Session, actor: Actor, code: str) -> list[AssigneeSuggestion]:
    """Active engineers of the org for the job, best first: those with the category's skill,
    then those who look after its building, then the fewest open jobs."""
    require_role(actor, *DISPATCHERS)
    order = get_order(session=session, actor=actor, code=code)
    engineers = session.scalars(
        select(User).where(User.org_id == actor.org_id, User.role == Role.engineer, User.active)
    )
    skilled = set(
        session.scalars(
            select(EngineerSkill.user_id).where(
                EngineerSkill.org_id == actor.org_id,
                EngineerSkill.category_id == order.category_id,
            )
        )
    )
    covering = set(
        session.scalars(
            select(EngineerBuilding.user_id).where(
                EngineerBuilding.org_id == actor.org_id,
                EngineerBuilding.building_id == order.building_id,
            )
        )
    )
    loads: dict[int, int] = {
        user_id: count
        for user_id, count in session.execute(
            select(WorkOrder.assignee_id, func.count())
            .where(
                WorkOrder.org_id == actor.org_id,
                WorkOrder.state.in_(ACTIVE_STATES),
                WorkOrder.id != order.id,
                WorkOrder.assignee_id.is_not(None),
            )
            .group_by(WorkOrder.assignee_id)
        )
        if user_id is not None
    }
    suggestions = [
        AssigneeSuggestion(
            username=user.username,
            display_name=user.display_name,
            has_skill=user.id in skilled,
            covers_building=user.id in covering,
            open_orders=loads.get(user.id, 0),
        )
        for user in engineers
    ]
    return sorted(
        suggestions,
        key=lambda s: (not s.has_skill, not s.covers_building, s.open_orders, s.username),
    )

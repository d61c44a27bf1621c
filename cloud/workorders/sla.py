"""The business clock of work orders: an org's working calendar, and the due instants a
job's SLA gives it."""

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Invalid, NotFound
from cloud.identity.models import Org
from cloud.workorders.calendar import NO_HOLIDAYS, BusinessCalendar, country_days
from cloud.workorders.models import Category, SlaTarget, WorkCalendar, WorkOrder


def business_calendar(*, session: Session, org_id: int) -> BusinessCalendar:
    """The org's working hours, weekdays and public holidays, in its time zone."""
    org = session.get(Org, org_id)
    if org is None:
        raise NotFound(f"org {org_id} not found")
    row = session.scalar(select(WorkCalendar).where(WorkCalendar.org_id == org_id))
    zone = ZoneInfo(org.timezone)
    if row is None:
        return BusinessCalendar(zone=zone, days=country_days("CN"))
    return BusinessCalendar(
        zone=zone,
        day_start=row.day_start,
        day_end=row.day_end,
        weekdays=frozenset(int(day) for day in row.weekdays),
        days=country_days(row.holiday_country) if row.holiday_country else NO_HOLIDAYS,
    )


def set_due(session: Session, order: WorkOrder, category: Category) -> None:
    """Due instants from the SLA of the job's category and priority, counted from its report."""
    target = session.scalar(
        select(SlaTarget).where(
            SlaTarget.category_id == category.id, SlaTarget.priority == order.priority
        )
    )
    if target is None:
        raise Invalid(
            f"category {category.code} has no SLA for priority {order.priority}",
            field="priority",
        )
    clock = business_calendar(session=session, org_id=order.org_id)
    order.response_due_at = clock.add_minutes(order.reported_at, target.response_minutes)
    order.resolution_due_at = clock.add_minutes(order.reported_at, target.resolution_minutes)

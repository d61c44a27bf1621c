"""Parking revenue per org-local day and per gate, from the payments taken."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Invalid
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.parking.models import Gate, ParkingPayment
from cloud.parking.schemas import RevenueRow
from cloud.parking.service import READERS


def revenue(*, session: Session, actor: Actor, first: date, last: date) -> list[RevenueRow]:
    """Money taken on org-local dates `first`..`last`, per day and gate (None: not at a gate),
    by day then gate."""
    require_role(actor, *READERS)
    if last < first:
        raise Invalid("last is before first", field="last")
    start, end = identity_service.org_instants(session=session, actor=actor, first=first, last=last)
    zone = ZoneInfo(identity_service.get_org(session=session, actor=actor).timezone)
    stmt = (
        select(ParkingPayment.paid_at, ParkingPayment.amount, Gate.code)
        .outerjoin(Gate, Gate.id == ParkingPayment.gate_id)
        .where(
            ParkingPayment.org_id == actor.org_id,
            ParkingPayment.paid_at >= start,
            ParkingPayment.paid_at < end,
        )
    )
    sums: dict[tuple[date, str | None], list[Decimal]] = defaultdict(list)
    for paid_at, amount, gate in session.execute(stmt):
        sums[(paid_at.astimezone(zone).date(), gate)].append(amount)
    keys = sorted(sums, key=lambda k: (k[0], k[1] or ""))
    return [
        RevenueRow(
            day=day,
            gate=gate,
            amount=sum(sums[(day, gate)], Decimal("0.00")),
            payments=len(sums[(day, gate)]),
        )
        for day, gate in keys
    ]

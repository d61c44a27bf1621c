"""Conversion and channel figures: how far leads got (the funnel) and which sources convert.

A lead counts in the funnel at every stage up to the furthest it reached, lost or not, so the
steps only ever narrow; "won" is a lead converted to a contract (`signed`).
"""

from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from cloud.errors import Invalid
from cloud.identity.actor import Actor
from cloud.leasing.leads import service
from cloud.leasing.leads.models import WAY, Lead, LeadSource, Stage
from cloud.leasing.leads.schemas import FunnelStep, LeadReport, SourceFigures

RATIO = Decimal("0.0001")


def lead_report(
    *, session: Session, actor: Actor, first: date | None = None, last: date | None = None
) -> LeadReport:
    """Funnel, conversion by source and lost reasons of the leads created from `first` to
    `last` (both included; either may be open)."""
    if first is not None and last is not None and last < first:
        raise Invalid(f"last {last} is before first {first}", field="last")
    stmt = service.visible_leads(actor)
    if first is not None:
        stmt = stmt.where(Lead.created_on >= first)
    if last is not None:
        stmt = stmt.where(Lead.created_on <= last)
    leads = list(session.scalars(stmt))
    return LeadReport(
        first=first,
        last=last,
        leads=len(leads),
        funnel=funnel(leads),
        by_source=by_source(leads),
        lost_reasons=dict(Counter(str(lead.lost_reason) for lead in leads if lead.lost_reason)),
    )


def funnel(leads: list[Lead]) -> list[FunnelStep]:
    reached = Counter(WAY.index(lead.reached) for lead in leads)
    steps = []
    for i, stage in enumerate(WAY):
        count = sum(n for index, n in reached.items() if index >= i)
        steps.append(FunnelStep(stage=stage, reached=count, rate=ratio(count, len(leads))))
    return steps


def by_source(leads: list[Lead]) -> list[SourceFigures]:
    figures = []
    for source in LeadSource:
        mine = [lead for lead in leads if lead.source == source]
        won = sum(lead.stage == Stage.signed for lead in mine)
        lost = sum(lead.stage == Stage.lost for lead in mine)
        figures.append(
            SourceFigures(
                source=source,
                leads=len(mine),
                won=won,
                lost=lost,
                open=len(mine) - won - lost,
                conversion=ratio(won, len(mine)),
            )
        )
    return figures


def ratio(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(RATIO, ROUND_HALF_UP) if whole else None

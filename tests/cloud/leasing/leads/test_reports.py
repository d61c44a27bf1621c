"""The funnel counts a lead at every stage it reached; conversion is by source; the period is
the leads' creation dates."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from cloud.errors import Forbidden, Invalid
from cloud.leasing.leads import conversion, reports, service
from cloud.leasing.leads.schemas import Conversion, LostMark, StageMove
from tests.cloud.factories import World
from tests.cloud.leasing.leads.conftest import new_lead, quote


def build(session: Session, acme: World) -> None:
    """agent: one won, one lost at quote (price); walk_in: one open at visit, one lost at
    negotiation (competitor); online: one at negotiation."""
    staff = acme.actors["staff"]
    won = new_lead(session, acme, source="agent").code
    service.add_follow_up(session=session, actor=staff, code=won, data=quote())
    service.move_stage(session=session, actor=staff, code=won, data=StageMove(stage="negotiation"))
    conversion.convert(
        session=session,
        actor=staff,
        code=won,
        data=Conversion(tenant_code="TA", electricity_tariff=Decimal("1")),
    )
    priced_out = new_lead(session, acme, source="agent").code
    service.add_follow_up(session=session, actor=staff, code=priced_out, data=quote())
    service.mark_lost(session=session, actor=staff, code=priced_out, data=LostMark(reason="price"))
    new_lead(session, acme, source="walk_in")
    went_elsewhere = new_lead(session, acme, source="walk_in").code
    service.move_stage(
        session=session, actor=staff, code=went_elsewhere, data=StageMove(stage="negotiation")
    )
    service.mark_lost(
        session=session, actor=staff, code=went_elsewhere, data=LostMark(reason="competitor")
    )
    talking = new_lead(session, acme, source="online").code
    service.move_stage(
        session=session, actor=staff, code=talking, data=StageMove(stage="negotiation")
    )


def test_funnel_by_stage_reached(session: Session, acme: World) -> None:
    build(session, acme)
    report = reports.lead_report(session=session, actor=acme.actors["finance"])
    assert report.leads == 5
    assert [(s.stage, s.reached) for s in report.funnel] == [
        ("visit", 5),
        ("quote", 4),
        ("negotiation", 3),
        ("loi", 1),
        ("signed", 1),
    ]
    assert report.funnel[2].rate == Decimal("0.6000")
    assert report.lost_reasons == {"price": 1, "competitor": 1}


def test_conversion_by_source(session: Session, acme: World) -> None:
    build(session, acme)
    report = reports.lead_report(session=session, actor=acme.actors["staff"])
    figures = {f.source: (f.leads, f.won, f.lost, f.open, f.conversion) for f in report.by_source}
    assert figures["agent"] == (2, 1, 1, 0, Decimal("0.5000"))
    assert figures["walk_in"] == (2, 0, 1, 1, Decimal("0.0000"))
    assert figures["online"] == (1, 0, 0, 1, Decimal("0.0000"))
    assert figures["referral"] == (0, 0, 0, 0, None)


def test_the_period_is_the_creation_date(session: Session, acme: World) -> None:
    build(session, acme)
    march = reports.lead_report(
        session=session, actor=acme.actors["staff"], first=date(2026, 3, 1), last=date(2026, 3, 31)
    )
    april = reports.lead_report(session=session, actor=acme.actors["staff"], first=date(2026, 4, 1))
    assert (march.leads, april.leads) == (5, 0)
    assert april.funnel[0].rate is None
    with pytest.raises(Invalid, match="before"):
        reports.lead_report(
            session=session,
            actor=acme.actors["staff"],
            first=date(2026, 4, 1),
            last=date(2026, 3, 1),
        )


def test_engineers_get_no_report(session: Session, acme: World) -> None:
    with pytest.raises(Forbidden):
        reports.lead_report(session=session, actor=acme.actors["engineer"])

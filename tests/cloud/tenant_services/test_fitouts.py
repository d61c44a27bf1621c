"""Fit-out applications go through property, then engineering review; a deposit is recorded
before the works are accepted; the tenant hears the outcome."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.notifications.models import OutboxMessage
from cloud.tenant_services import fitouts
from cloud.tenant_services.models import FitOut, FitOutState
from cloud.tenant_services.schemas import FitOutCreate, FitOutDecision
from cloud.workorders.attachments import Upload
from tests.cloud.factories import World

PDF = b"%PDF-1.7\n" + b"0" * 64


def _apply(session: Session, world: World, unit: str = "U-101") -> FitOut:
    return fitouts.apply(
        session=session,
        actor=world.actors["tenant"],
        data=FitOutCreate(
            unit_code=unit,
            description="隔墙与吊顶",
            contractor="华安装饰",
            planned_start=date(2026, 4, 1),
            planned_end=date(2026, 4, 30),
        ),
        drawings=[Upload("plan.pdf", PDF)],
    )


def test_approval_steps_in_order(session: Session, world: World) -> None:
    fit_out = _apply(session, world)
    assert fit_out.code.startswith("ZX-") and fit_out.state == FitOutState.submitted
    yes = FitOutDecision(approve=True, note="ok")
    with pytest.raises(Forbidden):  # engineering's step is not yet; property reviews first
        fitouts.decide(session=session, actor=world.actors["engineer"], code=fit_out.code, data=yes)
    fitouts.decide(session=session, actor=world.actors["staff"], code=fit_out.code, data=yes)
    assert fitouts.read(session, fit_out).state == FitOutState.engineering
    with pytest.raises(Forbidden):
        fitouts.decide(session=session, actor=world.actors["staff"], code=fit_out.code, data=yes)
    with pytest.raises(Conflict):  # no works accepted before approval and deposit
        fitouts.complete(session=session, actor=world.actors["staff"], code=fit_out.code)
    fitouts.decide(session=session, actor=world.actors["engineer"], code=fit_out.code, data=yes)
    assert fitouts.read(session, fit_out).state == FitOutState.approved
    with pytest.raises(Conflict):
        fitouts.complete(session=session, actor=world.actors["staff"], code=fit_out.code)
    fitouts.record_deposit(
        session=session, actor=world.actors["finance"], code=fit_out.code, amount=Decimal("5000")
    )
    fitouts.complete(session=session, actor=world.actors["staff"], code=fit_out.code)
    shown = fitouts.read(session, fit_out)
    assert [(s.step, s.approved) for s in shown.steps] == [
        (FitOutState.submitted, True),
        (FitOutState.engineering, True),
    ]
    assert shown.state == FitOutState.completed and shown.deposit_amount == Decimal("5000.00")
    assert shown.drawings == ["plan.pdf"]
    told = session.scalars(select(OutboxMessage.template)).all()
    assert told == ["fitout.approved"]


def test_a_rejection_needs_a_reason_and_ends_the_application(
    session: Session, world: World
) -> None:
    fit_out = _apply(session, world)
    staff = world.actors["staff"]
    with pytest.raises(Invalid):
        fitouts.decide(
            session=session, actor=staff, code=fit_out.code, data=FitOutDecision(approve=False)
        )
    fitouts.decide(
        session=session,
        actor=staff,
        code=fit_out.code,
        data=FitOutDecision(approve=False, note="消防图纸缺失"),
    )
    assert fitouts.read(session, fit_out).state == FitOutState.rejected
    with pytest.raises(Conflict):
        fitouts.decide(
            session=session, actor=staff, code=fit_out.code, data=FitOutDecision(approve=True)
        )
    [body] = session.scalars(select(OutboxMessage.body)).all()
    assert "消防图纸缺失" in body


def test_a_tenant_applies_only_for_its_own_units_with_drawings(
    session: Session, world: World
) -> None:
    with pytest.raises(Invalid):
        _apply(session, world, unit="U-102")  # leased by TB
    with pytest.raises(Invalid):
        fitouts.apply(
            session=session,
            actor=world.actors["tenant"],
            data=FitOutCreate(
                unit_code="U-101",
                description="x",
                contractor="y",
                planned_start=date(2026, 4, 1),
                planned_end=date(2026, 4, 2),
            ),
            drawings=[Upload("notes.txt", b"hello")],
        )
    fit_out = _apply(session, world)
    with pytest.raises(NotFound):
        fitouts.get(session=session, actor=world.actors["tenant_b"], code=fit_out.code)

"""Sessions from entry and exit events: billing, misread matching, the review queue, passes
with quotas and grace days, paying in advance and waivers; on both database backends."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.parking import payments, service, sessions
from cloud.parking.models import ParkingSession, SessionKind, SessionState
from cloud.parking.schemas import (
    PassCreate,
    PaymentCreate,
    QuotaWrite,
    ReviewSettlement,
    VehicleCreate,
)
from tests.cloud.factories import World
from tests.cloud.parking.conftest import local


def enter(session: Session, lot: World, plate: str, at: str) -> ParkingSession:
    return sessions.record_entry(
        session=session, site=lot.site, plate=plate, at=local(at), gate_code="IN-1"
    )


def leave(session: Session, lot: World, plate: str, at: str) -> ParkingSession:
    return sessions.record_exit(
        session=session, site=lot.site, plate=plate, at=local(at), gate_code="OUT-1"
    )


def test_a_stay_is_billed_by_the_fee_rules(session: Session, lot: World) -> None:
    parked = enter(session, lot, "京A12345", "2026-03-02 09:00")
    assert (parked.state, parked.kind) == (SessionState.open, SessionKind.temporary)
    closed = leave(session, lot, "京A12345", "2026-03-02 12:00")
    assert closed.id == parked.id
    assert closed.exit_gate is not None
    assert (closed.state, closed.fee, closed.exit_gate.code) == (
        SessionState.closed,
        Decimal("13.00"),
        "OUT-1",
    )


def test_an_exit_misread_by_one_confusable_character_closes_the_session(
    session: Session, lot: World
) -> None:
    parked = enter(session, lot, "京A12340", "2026-03-02 09:00")
    closed = leave(session, lot, "京A1234D", "2026-03-02 10:00")
    assert closed.id == parked.id
    assert (closed.state, closed.exit_plate, closed.fee) == (
        SessionState.closed,
        "京A1234D",
        Decimal("5.00"),
    )


def test_an_unrelated_plate_opens_no_bill_but_a_review(session: Session, lot: World) -> None:
    parked = enter(session, lot, "京A12345", "2026-03-02 09:00")
    orphan = leave(session, lot, "京A12346", "2026-03-02 10:00")
    assert orphan.id != parked.id
    assert (orphan.state, orphan.review_reason, orphan.fee) == (
        SessionState.review,
        "exit without an entry",
        None,
    )
    assert parked.state == SessionState.open


def test_implausible_stays_go_to_review_and_a_person_settles_them(
    session: Session, lot: World
) -> None:
    staff = lot.actors["staff"]
    long = enter(session, lot, "京A12345", "2026-03-01 09:00")
    assert leave(session, lot, "京A12345", "2026-03-09 09:01").state == SessionState.review
    twice = enter(session, lot, "京B22222", "2026-03-02 09:00")
    enter(session, lot, "京B22222", "2026-03-03 09:00")
    assert (twice.state, twice.review_reason) == (
        SessionState.review,
        "entered again without an exit",
    )
    queue = sessions.list_sessions(session=session, actor=staff, states=(SessionState.review,))
    assert {s.id for s in queue} == {long.id, twice.id}
    settled = sessions.settle_review(
        session=session,
        actor=staff,
        session_id=long.id,
        data=ReviewSettlement(fee=Decimal("120.00"), reason="8 days, as the guard saw"),
    )
    assert (settled.state, settled.fee) == (SessionState.closed, Decimal("120.00"))
    waived = sessions.settle_review(
        session=session,
        actor=staff,
        session_id=twice.id,
        data=ReviewSettlement(fee=Decimal(0), reason="camera missed the exit"),
    )
    assert (waived.state, waived.waived_reason) == (SessionState.waived, "camera missed the exit")


def test_paying_in_advance_leaves_a_grace_to_get_out(session: Session, lot: World) -> None:
    staff = lot.actors["staff"]
    parked = enter(session, lot, "京A12345", "2026-03-02 09:00")
    quote = sessions.quote(
        session=session, actor=staff, session_id=parked.id, at=local("2026-03-02 12:00")
    )
    assert quote.amount_due == Decimal("13.00")
    with pytest.raises(Invalid, match="more than"):
        payments.pay(
            session=session,
            actor=staff,
            session_id=parked.id,
            data=PaymentCreate(amount=Decimal("14.00"), paid_at=local("2026-03-02 12:00")),
        )
    payments.pay(
        session=session,
        actor=staff,
        session_id=parked.id,
        data=PaymentCreate(amount=Decimal("13.00"), paid_at=local("2026-03-02 12:00")),
    )
    soon = sessions.quote(
        session=session, actor=staff, session_id=parked.id, at=local("2026-03-02 12:10")
    )
    assert (soon.amount_due, soon.leave_by) == (Decimal("0.00"), local("2026-03-02 12:15"))
    late = sessions.quote(
        session=session, actor=staff, session_id=parked.id, at=local("2026-03-02 12:20")
    )
    assert late.amount_due == Decimal("2.00")


def test_a_waiver_needs_staff_and_a_reason(session: Session, lot: World) -> None:
    parked = leave(session, lot, "京A12345", "2026-03-02 12:00")
    with pytest.raises(Forbidden):
        sessions.waive(
            session=session, actor=lot.actors["finance"], session_id=parked.id, reason="x y"
        )
    with pytest.raises(Invalid, match="reason"):
        sessions.waive(session=session, actor=lot.actors["staff"], session_id=parked.id, reason=" ")
    waived = sessions.waive(
        session=session, actor=lot.actors["staff"], session_id=parked.id, reason="ambulance"
    )
    assert waived.state == SessionState.waived


def test_passes_respect_the_quota_and_park_free_through_the_grace_days(
    session: Session, lot: World
) -> None:
    staff = lot.actors["staff"]
    for plate in ("京A11111", "京A22222"):
        service.register_vehicle(
            session=session, actor=staff, data=VehicleCreate(plate=plate, tenant_code="TA")
        )
    march = {"site_code": "site1", "valid_from": date(2026, 3, 1), "valid_to": date(2026, 3, 31)}
    with pytest.raises(Conflict, match="quota"):
        service.issue_pass(session=session, actor=staff, data=PassCreate(plate="京A11111", **march))
    service.set_quota(
        session=session,
        actor=staff,
        data=QuotaWrite(tenant_code="TA", site_code="site1", max_passes=1),
    )
    monthly = service.issue_pass(
        session=session, actor=staff, data=PassCreate(plate="京A11111", grace_days=3, **march)
    )
    with pytest.raises(Conflict, match="quota"):
        service.issue_pass(session=session, actor=staff, data=PassCreate(plate="京A22222", **march))
    assert monthly.code.startswith("YK-2026-")

    in_grace = enter(session, lot, "京A11111", "2026-04-03 09:00")  # 3rd grace day
    assert in_grace.kind == SessionKind.monthly
    assert leave(session, lot, "京A11111", "2026-04-03 18:00").fee == Decimal("0.00")
    after = enter(session, lot, "京A11111", "2026-04-04 09:00")
    assert after.kind == SessionKind.tenant  # a tenant's car, but its pass is over
    assert leave(session, lot, "京A11111", "2026-04-04 10:00").fee == Decimal("5.00")


def test_a_new_energy_vehicle_gets_its_discount(session: Session, lot: World) -> None:
    parked = enter(session, lot, "京AD12345", "2026-03-02 09:00")
    assert parked.new_energy
    assert leave(session, lot, "京AD12345", "2026-03-02 12:00").fee == Decimal("6.50")


def test_a_tenant_sees_only_its_own_vehicles_and_sessions(session: Session, lot: World) -> None:
    staff = lot.actors["staff"]
    service.register_vehicle(
        session=session, actor=lot.actors["tenant"], data=VehicleCreate(plate="京A11111")
    )
    service.register_vehicle(
        session=session, actor=staff, data=VehicleCreate(plate="京B22222", tenant_code="TB")
    )
    mine = enter(session, lot, "京A11111", "2026-03-02 09:00")
    enter(session, lot, "京B22222", "2026-03-02 09:00")
    tenant = lot.actors["tenant"]
    assert [v.plate for v in service.list_vehicles(session=session, actor=tenant)] == ["京A11111"]
    assert [s.id for s in sessions.list_sessions(session=session, actor=tenant)] == [mine.id]
    assert len(service.list_vehicles(session=session, actor=staff)) == 2
    with pytest.raises(Forbidden):
        service.register_vehicle(
            session=session,
            actor=tenant,
            data=VehicleCreate(plate="京C33333", tenant_code="TB"),
        )
    other = sessions.list_sessions(session=session, actor=lot.actors["tenant_b"])
    assert mine.id not in {s.id for s in other}


def test_a_car_waived_while_parked_leaves_owing_nothing(session: Session, lot: World) -> None:
    staff = lot.actors["staff"]
    parked = enter(session, lot, "京A12345", "2026-03-02 09:00")
    sessions.waive(session=session, actor=staff, session_id=parked.id, reason="救护车")
    assert parked.state == SessionState.open  # still in the lot
    quote = sessions.quote(
        session=session, actor=staff, session_id=parked.id, at=local("2026-03-02 12:00")
    )
    assert quote.amount_due == Decimal("0.00")
    left = leave(session, lot, "京A12345", "2026-03-02 12:00")
    assert (left.id, left.state, left.fee) == (parked.id, SessionState.waived, Decimal("13.00"))
    with pytest.raises(Conflict, match="already waived"):
        sessions.waive(session=session, actor=staff, session_id=parked.id, reason="again")


def test_a_confirmed_gateway_payment_is_taken_once(session: Session, lot: World) -> None:
    parked = enter(session, lot, "京A12345", "2026-03-02 09:00")
    confirm = {
        "session": session,
        "org_id": lot.org.id,
        "session_id": parked.id,
        "amount": Decimal("13.00"),
        "reference": "PAY-20260302-0001",
        "method": "wechat",
        "paid_at": local("2026-03-02 12:00"),
    }
    first = payments.take_confirmed_payment(**confirm)  # type: ignore[arg-type]
    again = payments.take_confirmed_payment(**confirm)  # type: ignore[arg-type]
    assert again.id == first.id and parked.paid == Decimal("13.00")
    with pytest.raises(NotFound):
        payments.take_confirmed_payment(**{**confirm, "reference": "X", "org_id": -1})  # type: ignore[arg-type]
    assert leave(session, lot, "京A12345", "2026-03-02 12:10").paid == Decimal("13.00")

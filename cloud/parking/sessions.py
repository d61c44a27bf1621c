"""Parking sessions: opened by entry events, closed and billed by exit events (matching the
plate despite one misread), paid at the exit or in advance. What cannot be believed (an exit
with no entry, a stay over the site's review threshold, a car entering twice) goes to a review
queue for a person to settle, never straight to a bill."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Org, Role
from cloud.parking import service as registry
from cloud.parking.fees import MAX_DAYS, FeeRules, amount_due, stay_fee
from cloud.parking.matching import best_match
from cloud.parking.models import (
    Gate,
    MonthlyPass,
    ParkingSession,
    SessionKind,
    SessionState,
    Vehicle,
)
from cloud.parking.schemas import Quote, ReviewSettlement
from cloud.properties.models import Site
from protocols.plates import normalise

NO_ENTRY = "exit without an entry"
ENTERED_TWICE = "entered again without an exit"
STAYED_TOO_LONG = "stayed more than {days} days"
"""Why a session is in review (English in the data; the pages translate them)."""

FREE_KINDS = frozenset({SessionKind.monthly, SessionKind.visitor})
"""Kinds that park without paying: a pass in force, or a booked visit."""


def _zone(session: Session, org_id: int) -> str:
    return session.scalar(select(Org.timezone).where(Org.id == org_id)) or "Asia/Shanghai"


def _gate(session: Session, site: Site, code: str | None) -> Gate | None:
    if code is None:
        return None
    return session.scalar(select(Gate).where(Gate.site_id == site.id, Gate.code == code))


def _open_sessions(session: Session, site_id: int) -> Select[ParkingSession]:
    return select(ParkingSession).where(
        ParkingSession.site_id == site_id, ParkingSession.state == SessionState.open
    )


def _kind(
    session: Session, site: Site, plate: str, at: datetime
) -> tuple[SessionKind, Vehicle | None]:
    """What the car is on entry: a pass holder, a booked visitor, a tenant's car, or not."""
    from cloud.access import visitors  # access depends on parking's plates, not the reverse

    vehicle = session.scalar(
        select(Vehicle).where(Vehicle.org_id == site.org_id, Vehicle.plate == plate)
    )
    day = at.astimezone(ZoneInfo(_zone(session, site.org_id))).date()
    if vehicle is not None:
        passes = session.scalars(
            select(MonthlyPass).where(
                MonthlyPass.vehicle_id == vehicle.id, MonthlyPass.site_id == site.id
            )
        )
        if any(registry.pass_in_force(p, day) for p in passes):
            return SessionKind.monthly, vehicle
    if visitors.expected_plate(session, site.id, plate, at):
        return SessionKind.visitor, vehicle
    if vehicle is not None and vehicle.tenant_id is not None:
        return SessionKind.tenant, vehicle
    return SessionKind.temporary, vehicle


def record_entry(
    *, session: Session, site: Site, plate: str, at: datetime, gate_code: str | None = None
) -> ParkingSession:
    """Open a session for a car that entered. A session still open for the same plate means
    its exit was missed: that one goes to review."""
    plate = normalise(plate)
    for stale in session.scalars(
        _open_sessions(session, site.id).where(ParkingSession.plate == plate)
    ):
        stale.state = SessionState.review
        stale.review_reason = ENTERED_TWICE
    kind, vehicle = _kind(session, site, plate, at)
    parked = ParkingSession(
        org_id=site.org_id,
        site_id=site.id,
        plate=plate,
        kind=kind,
        state=SessionState.open,
        vehicle_id=vehicle.id if vehicle else None,
        new_energy=vehicle.new_energy if vehicle else registry.is_new_energy_plate(plate),
        entry_gate=_gate(session, site, gate_code),
        entered_at=at,
    )
    session.add(parked)
    session.flush()
    return parked


def find_open(session: Session, site_id: int, plate: str) -> ParkingSession | None:
    """The open session the read `plate` belongs to, forgiving one misread."""
    stmt = _open_sessions(session, site_id).order_by(ParkingSession.entered_at.desc())
    open_rows = list(session.scalars(stmt))
    match = best_match(plate, (row.plate for row in open_rows))
    if match is None:
        return None
    return next(r for r in open_rows if r.plate == match)


def record_exit(
    *, session: Session, site: Site, plate: str, at: datetime, gate_code: str | None = None
) -> ParkingSession:
    """Close the car's session and bill it; review instead when it cannot be believed."""
    read = normalise(plate)
    gate = _gate(session, site, gate_code)
    parked = find_open(session, site.id, read)
    if parked is None:
        orphan = ParkingSession(
            org_id=site.org_id,
            site_id=site.id,
            plate=read,
            kind=SessionKind.temporary,
            state=SessionState.review,
            exit_gate=gate,
            exited_at=at,
            review_reason=NO_ENTRY,
        )
        session.add(orphan)
        session.flush()
        return orphan
    parked.exited_at, parked.exit_gate = at, gate
    parked.exit_plate = read if read != parked.plate else None
    rules, review_days = registry.fee_rules_of(session, site.id, _zone(session, site.org_id))
    assert parked.entered_at is not None
    if at - parked.entered_at > timedelta(days=min(review_days, MAX_DAYS)):
        parked.state = SessionState.review
        parked.review_reason = STAYED_TOO_LONG.format(days=review_days)
    else:
        parked.fee = _fee(parked, rules, at)
        # Waived while parked: the fee stays on record, nothing is owed.
        parked.state = SessionState.waived if parked.waived_reason else SessionState.closed
    session.flush()
    return parked


def _fee(parked: ParkingSession, rules: FeeRules, at: datetime) -> Decimal:
    if parked.kind in FREE_KINDS or parked.entered_at is None:
        return Decimal("0.00")
    return stay_fee(rules, parked.entered_at, at, new_energy=parked.new_energy)


# --- what is owed, and paying it ---------------------------------------------------------


def quote_for(session: Session, parked: ParkingSession, at: datetime) -> Quote:
    """What `parked` owes if the car leaves at `at`, and by when a paid car must be out."""
    rules, _ = registry.fee_rules_of(session, parked.site_id, _zone(session, parked.org_id))
    if parked.state != SessionState.open or parked.entered_at is None:
        fee = parked.fee if parked.fee is not None else Decimal("0.00")
        due = (
            Decimal(0)
            if parked.state == SessionState.waived
            else max(Decimal(0), fee - parked.paid)
        )
        leave_by = None
    else:
        fee = _fee(parked, rules, at)
        due = (
            Decimal("0.00")
            if parked.kind in FREE_KINDS or parked.waived_reason
            else amount_due(
                rules,
                parked.entered_at,
                at,
                paid=parked.paid,
                paid_at=parked.paid_at,
                new_energy=parked.new_energy,
            )
        )
        leave_by = (
            parked.paid_at + timedelta(minutes=rules.leave_minutes) if parked.paid_at else None
        )
    return Quote(
        session_id=parked.id,
        plate=parked.plate,
        at=at,
        fee=fee,
        paid=parked.paid,
        amount_due=due.quantize(Decimal("0.01")),
        leave_by=leave_by,
    )


def visible_sessions(actor: Actor) -> Select[ParkingSession]:
    stmt = select(ParkingSession).where(ParkingSession.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(ParkingSession.vehicle.has(Vehicle.tenant_id == actor.tenant_id))
    return stmt


def get_session(*, session: Session, actor: Actor, session_id: int) -> ParkingSession:
    require_role(actor, *registry.READERS, Role.tenant)
    parked = session.scalar(visible_sessions(actor).where(ParkingSession.id == session_id))
    if parked is None:
        raise NotFound(f"parking session {session_id} not found")
    return parked


def list_sessions(
    *, session: Session, actor: Actor, states: tuple[SessionState, ...] = (), limit: int = 200
) -> list[ParkingSession]:
    """Visible sessions, newest first; `states` narrows (open: the live lot; review: the queue)."""
    require_role(actor, *registry.READERS, Role.tenant)
    stmt = visible_sessions(actor)
    if states:
        stmt = stmt.where(ParkingSession.state.in_(states))
    stmt = stmt.order_by(ParkingSession.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def quote(*, session: Session, actor: Actor, session_id: int, at: datetime | None = None) -> Quote:
    parked = get_session(session=session, actor=actor, session_id=session_id)
    return quote_for(session, parked, at or utcnow())


def waive(*, session: Session, actor: Actor, session_id: int, reason: str) -> ParkingSession:
    """Waive what a session owes, with the reason, by the acting staff member. A car still
    parked stays in the lot (its session open) and leaves owing nothing."""
    require_role(actor, *registry.MANAGERS)
    parked = get_session(session=session, actor=actor, session_id=session_id)
    if parked.state == SessionState.waived or parked.waived_reason:
        raise Conflict(f"session {session_id} is already waived")
    if not reason.strip():
        raise Invalid("a waiver needs a reason", field="reason")
    if parked.state != SessionState.open:
        parked.state = SessionState.waived
    parked.waived_reason = reason.strip()
    parked.waived_by_id = actor.user_id
    session.flush()
    return parked


def settle_review(
    *, session: Session, actor: Actor, session_id: int, data: ReviewSettlement
) -> ParkingSession:
    """A person's decision on a session in review: charge `fee`, or waive it with 0."""
    require_role(actor, *registry.MANAGERS)
    parked = get_session(session=session, actor=actor, session_id=session_id)
    if parked.state != SessionState.review:
        raise Conflict(f"session {session_id} is not in review")
    parked.fee = data.fee
    parked.exited_at = parked.exited_at or data.exited_at or utcnow()
    if data.fee == 0:
        return waive(session=session, actor=actor, session_id=session_id, reason=data.reason)
    parked.state = SessionState.closed
    parked.review_reason = f"{parked.review_reason}: {data.reason}"  # why this fee
    session.flush()
    return parked

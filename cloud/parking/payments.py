"""Money taken for parking: by staff at the booth, or confirmed by the payments domain (a
gateway order paid in the tenant's or driver's app). This is the seam between the two: the
payments domain calls `take_confirmed_payment` once, or again harmlessly, per order."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.parking import service as registry
from cloud.parking.models import Gate, ParkingPayment, ParkingSession, SessionState
from cloud.parking.schemas import PaymentCreate
from cloud.parking.sessions import get_session, quote_for


def pay(*, session: Session, actor: Actor, session_id: int, data: PaymentCreate) -> ParkingPayment:
    """Record money staff took for a session, at the exit or in advance."""
    require_role(actor, *registry.MANAGERS, Role.finance)
    parked = get_session(session=session, actor=actor, session_id=session_id)
    return _take(session, parked, data)


def take_confirmed_payment(
    *,
    session: Session,
    org_id: int,
    session_id: int,
    amount: Decimal,
    reference: str,
    method: str,
    paid_at: datetime | None = None,
) -> ParkingPayment:
    """Record a payment the payments domain has confirmed (its order id is `reference`). The
    same reference again returns the payment already recorded, so a resent confirmation is
    harmless."""
    known = session.scalar(
        select(ParkingPayment).where(
            ParkingPayment.org_id == org_id, ParkingPayment.reference == reference
        )
    )
    if known is not None:
        return known
    parked = session.scalar(
        select(ParkingSession).where(
            ParkingSession.org_id == org_id, ParkingSession.id == session_id
        )
    )
    if parked is None:
        raise NotFound(f"parking session {session_id} not found")
    data = PaymentCreate(amount=amount, method=method, reference=reference, paid_at=paid_at)
    return _take(session, parked, data)


def _take(session: Session, parked: ParkingSession, data: PaymentCreate) -> ParkingPayment:
    if parked.state in (SessionState.waived, SessionState.review) or parked.waived_reason:
        raise Conflict(f"session {parked.id} is {parked.state}: settle it instead")
    at = data.paid_at or utcnow()
    due = quote_for(session, parked, at).amount_due
    if data.amount > due:
        raise Invalid(f"{data.amount} is more than the {due} due", field="amount")
    gate = parked.exit_gate
    if data.gate_code is not None:
        gate = session.scalar(
            select(Gate).where(Gate.site_id == parked.site_id, Gate.code == data.gate_code)
        )
        if gate is None:
            raise Invalid(f"gate {data.gate_code} not found", field="gate_code")
    payment = ParkingPayment(
        org_id=parked.org_id,
        session_id=parked.id,
        gate_id=gate.id if gate else None,
        amount=data.amount,
        paid_at=at,
        method=data.method,
        reference=data.reference,
    )
    parked.paid += data.amount
    parked.paid_at = at
    session.add(payment)
    session.flush()
    return payment

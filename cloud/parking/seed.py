"""The demo's parking: an entry and an exit gate with fee rules at the park, cars parked now,
a few stays paid over the last days (so revenue has something to show) and one for review."""

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.parking import sessions
from cloud.parking.models import Direction, FeeRuleSet, Gate, ParkingPayment, ParkingSession
from cloud.properties.models import Site

GATES = (("G-A-IN", Direction.entry), ("G-A-OUT", Direction.exit))
"""The demo site's barriers (firmware-configs/demo-site.yaml) when the site config has none."""
# plate, hours ago it entered, hours it stayed (None: still parked), paid at the exit
STAYS = (
    ("京A12345", 3, None),
    ("沪AD12345", 1, None),
    ("京B66666", 30, 2.5),
    ("苏E88888", 52, 5),
    ("京N77777", 75, 1),
)


def seed_parking(
    *,
    session: Session,
    site: Site,
    now: datetime,
    gates: Sequence[tuple[str, Direction]] = GATES,
) -> None:
    """Create what is missing: the site config's `gates` (code, direction) and fee rules; the
    demo stays only when the site has no session yet."""
    for code, direction in gates:
        if session.scalar(select(Gate.id).where(Gate.site_id == site.id, Gate.code == code)):
            continue
        session.add(
            Gate(org_id=site.org_id, site_id=site.id, code=code, name=code, direction=direction)
        )
    if session.scalar(select(FeeRuleSet.id).where(FeeRuleSet.site_id == site.id)) is None:
        session.add(
            FeeRuleSet(
                org_id=site.org_id,
                site_id=site.id,
                free_minutes=15,
                first_minutes=60,
                first_price=Decimal("5.00"),
                increment_minutes=30,
                increment_price=Decimal("2.00"),
                daily_cap=Decimal("30.00"),
                night_start=time(22),
                night_end=time(7),
                night_price=Decimal("1.00"),
                new_energy_discount=Decimal("0.5000"),
                leave_minutes=15,
                review_after_days=7,
            )
        )
    session.flush()
    entry = next((code for code, d in gates if d == Direction.entry), None)
    exit_ = next((code for code, d in gates if d == Direction.exit), None)
    if session.scalar(select(ParkingSession.id).where(ParkingSession.site_id == site.id)):
        return
    for plate, ago, stayed in STAYS:
        entered = now - timedelta(hours=ago)
        parked = sessions.record_entry(
            session=session, site=site, plate=plate, at=entered, gate_code=entry
        )
        if stayed is None:
            continue
        left = entered + timedelta(hours=stayed)
        closed = sessions.record_exit(
            session=session, site=site, plate=plate, at=left, gate_code=exit_
        )
        if closed.fee:
            gate = session.scalar(select(Gate).where(Gate.site_id == site.id, Gate.code == exit_))
            session.add(
                ParkingPayment(
                    org_id=site.org_id,
                    session_id=parked.id,
                    gate_id=gate.id if gate else None,
                    amount=closed.fee,
                    paid_at=left,
                    method="wechat",
                )
            )
            closed.paid, closed.paid_at = closed.fee, left
    sessions.record_exit(
        session=session,
        site=site,
        plate="粤B12345",
        at=now - timedelta(minutes=20),
        gate_code=exit_,
    )
    session.flush()

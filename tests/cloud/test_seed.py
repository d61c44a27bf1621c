import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing import service as billing_service
from cloud.energy import service as energy_service
from cloud.identity import service as identity_service
from cloud.identity.models import Role
from cloud.leasing import service as leasing_service
from cloud.models import metadata
from cloud.properties import board
from cloud.properties import service as properties_service
from cloud.properties import status as status_service
from cloud.properties.models import UnitKind, UnitStatus
from cloud.seed import seed_demo
from cloud.workorders import charges as workorders_charges
from cloud.workorders import service as workorders_service
from cloud.workorders.models import ChargeStatus, Source, State
from protocols.site_config import SiteConfig
from protocols.site_config_yaml import parse_site_config

DEMO_SITE = Path(__file__).parents[2] / "firmware-configs" / "demo-site.yaml"


def demo_site() -> SiteConfig:
    return parse_site_config(DEMO_SITE.read_text(encoding="utf-8"), source=str(DEMO_SITE))


def row_counts(session: Session) -> dict[str, int]:
    return {
        t.name: session.scalar(select(func.count()).select_from(t)) or 0
        for t in metadata.sorted_tables
    }


def test_seed_is_idempotent_and_its_logins_work(session: Session) -> None:
    logins = seed_demo(session=session, site=demo_site(), today=date(2026, 11, 22))
    first = row_counts(session)
    assert seed_demo(session=session, site=demo_site(), today=date(2026, 11, 22)) == logins
    assert row_counts(session) == first
    assert {(login.username, login.role) for login in logins} == {
        ("admin", Role.admin),
        ("leasing", Role.staff),
        ("finance", Role.finance),
        ("engineer", Role.engineer),
        ("tenant", Role.tenant),
    }
    actors = {
        login.username: identity_service.authenticate(
            session=session, username=login.username, password=login.password
        )
        for login in logins
    }
    leases = leasing_service.list_leases(session=session, actor=actors["admin"])[:2]
    assert [(lease.code, lease.unit.code, lease.electricity_tariff) for lease in leases] == [
        ("HT-2026-0001", "A-12-1201", Decimal("1.2000")),
        ("HT-2026-0002", "A-12-1202", Decimal("1.2000")),
    ]
    assert (leases[0].start_date, leases[0].end_date) == (date(2026, 1, 1), date(2026, 12, 31))
    assert leases[0].tenant.name == "星河科技有限公司"
    mine = leasing_service.list_leases(session=session, actor=actors["tenant"])
    assert [lease.code for lease in mine] == ["HT-2026-0001"]
    meters = energy_service.list_meters(session=session, actor=actors["admin"])
    assert [(m.code, m.unit.code if m.unit else None, m.billing) for m in meters] == [
        ("EM-A-1201", "A-12-1201", True),
        ("EM-A-1202", "A-12-1202", True),
        ("EM-A-PUB", None, False),
    ]
    # the demo has no readings yet: month-to-date charges are simply empty
    assert (
        billing_service.current_electricity_charges(
            session=session, actor=actors["finance"], today=date(2026, 11, 22)
        )
        == []
    )


def test_seed_gives_the_demo_floors_shops_and_status_histories(session: Session) -> None:
    today = date(2026, 11, 22)
    seed_demo(session=session, site=demo_site(), today=today)
    leasing = identity_service.authenticate(
        session=session, username="leasing", password="parkops-leasing"
    )
    park = board.vacancy_board(
        session=session, actor=leasing, site_code="demo-park", building_code="A", on=today
    )
    assert [floor.name for floor in park.floors] == ["12F", "11F", "10F"]
    assert {cell.status for floor in park.floors for cell in floor.cells} == set(UnitStatus)
    first = park.floors[0].cells[0]
    assert (first.unit_code, first.tenant_name, first.rent_per_m2) == (
        "A-12-1201",
        "星河科技有限公司",
        Decimal("150.00"),
    )
    assert (park.occupancy.units, park.occupancy.let_units) == (10, 7)
    street = properties_service.list_units(session=session, actor=leasing, site_code="demo-street")
    assert [unit.code for unit in street] == ["S1-101", "S1-102", "S1-103", "S1-201"]
    assert all(unit.kind == UnitKind.shop and unit.shop is not None for unit in street)
    assert street[0].shop is not None and street[0].shop.catering_allowed
    # Histories lie in the past and tile each unit's life; the moving-out lease ends soon.
    for unit in properties_service.list_units(session=session, actor=leasing):
        periods = status_service.status_history(session=session, actor=leasing, unit_code=unit.code)
        assert all(p.from_date <= today for p in periods) and periods[-1].until_date is None
        assert all(a.until_date == b.from_date for a, b in itertools.pairwise(periods))
    moving = next(c for f in park.floors for c in f.cells if c.status == UnitStatus.moving_out)
    assert moving.lease_end == date(2026, 12, 12)


def test_seed_shows_work_orders_in_every_stage(session: Session) -> None:
    logins = seed_demo(session=session, site=demo_site(), today=date(2026, 11, 22))
    actors = {
        login.username: identity_service.authenticate(
            session=session, username=login.username, password=login.password
        )
        for login in logins
    }
    orders = workorders_service.list_orders(session=session, actor=actors["engineer"])
    assert {o.state for o in orders} >= {State.new, State.in_progress, State.closed}
    assert {o.source for o in orders} == {Source.tenant, Source.staff, Source.alarm}
    (alarm,) = [o for o in orders if o.source == Source.alarm]
    assert alarm.alarm_count == 3
    mine = workorders_service.list_orders(session=session, actor=actors["tenant"])
    assert {o.unit.code for o in mine if o.unit} == {"A-12-1201"}
    (charge,) = workorders_charges.list_charges(session=session, actor=actors["finance"])
    # tap 85.00 + tape 2 x 3.50 + 40 minutes at 80.00/h (53.33)
    assert (charge.amount, charge.status) == (Decimal("145.33"), ChargeStatus.pending)
    assert any(o.rating == 5 for o in mine)
    suggestions = workorders_service.suggest_assignees(
        session=session, actor=actors["admin"], code=orders[0].code
    )
    assert [s.username for s in suggestions] == ["engineer"]


def test_seed_posts_last_months_bills_with_tariff_shared_meter_and_notices(
    session: Session,
) -> None:
    from cloud.billing import arrears
    from cloud.billing.models import MeterTariff, SharedMeter
    from cloud.energy.models import Meter
    from cloud.notifications.models import OutboxMessage

    logins = seed_demo(session=session, site=demo_site(), today=date(2026, 11, 22))
    actors = {
        login.username: identity_service.authenticate(
            session=session, username=login.username, password=login.password
        )
        for login in logins
    }
    bills = arrears.list_bills(session=session, actor=actors["finance"])
    assert bills, "the demo has no bills"
    assert {(b.period_start, b.period_end) for b in bills} == {
        (date(2026, 10, 1), date(2026, 10, 31))
    }
    assert all(b.total > 0 and b.outstanding == b.total for b in bills)
    mine = arrears.list_bills(session=session, actor=actors["tenant"])
    assert [b.tenant_code for b in mine] == ["T-0001"]  # on /m/bills and /m/pay
    bill_notices = session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "billing.bill_posted")
    ).all()
    assert {n.user_id for n in bill_notices} == {actors["tenant"].user_id}
    assert {n.subject for n in bill_notices} == {f"新账单 {mine[0].code}"}

    meters = {m.code: m for m in session.scalars(select(Meter))}
    (shared,) = session.scalars(select(SharedMeter)).all()
    assert shared.meter_id == meters["EM-A-PUB"].id
    assert {m.unit.code for m in shared.members} >= {"A-12-1201", "A-12-1202", "A-10-1003"}
    (tariff,) = session.scalars(select(MeterTariff)).all()
    assert tariff.meter_id == meters["EM-A-1202"].id

"""A contract's steps drive its units' dated statuses: signed → reserved then leased, active →
in operation, terminated → moving out then vacant, expired → vacant; a unit the next lease
already covers is not vacated."""

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from cloud.leasing.contracts import jobs, lifecycle, termination
from cloud.leasing.contracts.schemas import Termination
from cloud.properties import status
from cloud.properties.models import UnitStatus
from tests.cloud.factories import World
from tests.cloud.leasing.contracts.conftest import Signer, terms, unit
from tests.cloud.leasing.contracts.test_amendments import amend, sign_amendment

Row = tuple[UnitStatus, date, date | None]


def history(session: Session, world: World, code: str = "U-201") -> list[Row]:
    periods = status.status_history(session=session, actor=world.actors["staff"], unit_code=code)
    return [(p.status, p.from_date, p.until_date) for p in periods]


def test_signed_before_the_start_reserves_then_leases(
    session: Session, acme: World, signed: Signer
) -> None:
    signed(terms=terms(lease_start="2026-04-01", rent_start="2026-04-01", end="2027-03-31"))
    assert history(session, acme) == [
        (UnitStatus.reserved, date(2026, 3, 2), date(2026, 4, 1)),
        (UnitStatus.leased, date(2026, 4, 1), None),
    ]


def test_active_is_in_operation_and_termination_moves_out_then_vacates(
    session: Session, acme: World, signed: Signer, today: Callable[[date], None]
) -> None:
    contract = signed()  # 2026, begun on 1 January; "today" is 2 March
    staff = acme.actors["staff"]
    lifecycle.activate(session=session, actor=staff, code=contract.code)
    today(date(2026, 5, 10))
    ending = Termination(last_day=date(2026, 6, 30), reason="公司搬迁")
    termination.terminate(session=session, actor=staff, code=contract.code, data=ending)
    assert history(session, acme) == [
        (UnitStatus.leased, date(2026, 1, 1), date(2026, 3, 2)),
        (UnitStatus.in_operation, date(2026, 3, 2), date(2026, 5, 10)),
        (UnitStatus.moving_out, date(2026, 5, 10), date(2026, 7, 1)),
        (UnitStatus.vacant, date(2026, 7, 1), None),
    ]
    on_day = status.status_on(session=session, actor=staff, unit_code="U-201", on=date(2026, 6, 30))
    assert on_day.status == UnitStatus.moving_out


def test_the_daily_job_activates_and_expires(session: Session, acme: World, signed: Signer) -> None:
    signed()  # ends 2026-12-31
    jobs.run_daily(session=session, now=datetime(2026, 3, 3, 1, tzinfo=UTC))
    jobs.run_daily(session=session, now=datetime(2027, 1, 1, 1, tzinfo=UTC))
    assert history(session, acme) == [
        (UnitStatus.leased, date(2026, 1, 1), date(2026, 3, 3)),
        (UnitStatus.in_operation, date(2026, 3, 3), date(2027, 1, 1)),
        (UnitStatus.vacant, date(2027, 1, 1), None),
    ]


def test_the_next_lease_keeps_the_unit_let(session: Session, acme: World, signed: Signer) -> None:
    signed()  # U-201 over 2026
    signed(terms=terms(lease_start="2027-01-01", rent_start="2027-01-01", end="2027-12-31"))
    jobs.run_daily(session=session, now=datetime(2027, 1, 1, 1, tzinfo=UTC))
    rows = history(session, acme)
    assert rows[-1] == (UnitStatus.in_operation, date(2027, 1, 1), None)
    assert UnitStatus.vacant not in [row[0] for row in rows]
    assert UnitStatus.reserved not in [row[0] for row in rows]  # let all along


def test_a_unit_of_another_contract_is_untouched(
    session: Session, acme: World, signed: Signer
) -> None:
    signed()
    assert history(session, acme, "U-202") == []


def test_an_amendment_vacates_the_unit_it_drops_and_lets_the_one_it_adds(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()  # U-201 over 2026
    new_terms = terms(units=[unit("U-202")])
    amend(
        session,
        acme,
        contract,
        terms=new_terms.model_dump(mode="json", by_alias=True),
        effective_from="2026-07-01",
    )
    sign_amendment(session, acme, contract)
    assert history(session, acme, "U-201") == [
        (UnitStatus.leased, date(2026, 1, 1), date(2026, 7, 1)),
        (UnitStatus.vacant, date(2026, 7, 1), None),
    ]
    assert history(session, acme, "U-202") == [
        (UnitStatus.reserved, date(2026, 3, 2), date(2026, 7, 1)),
        (UnitStatus.leased, date(2026, 7, 1), None),
    ]

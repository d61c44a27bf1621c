"""Early termination: the settlement worked out by hand, and what is refused."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Invalid, NotFound
from cloud.leasing.contracts import amendments, charges, termination
from cloud.leasing.contracts.models import ContractStatus
from cloud.leasing.contracts.schemas import AmendmentCreate, Termination
from cloud.leasing.models import Lease
from tests.cloud.factories import World
from tests.cloud.leasing.contracts.conftest import Signer, post, rows, terms

# The contract of `signed()`: 2026, quarterly; rent 10000 and property fee 1000 a month;
# deposits: rent 20000, property fee 2000. It ends early on 20 May, with a 5000 penalty.
LAST_DAY = date(2026, 5, 20)
# Q2 cut at 20 May (actual days): April whole + 20/31 of May.
#   rent: 10000 + 10000 × 20/31 = 10000 + 6451.6129… = 16451.61
#   fee:   1000 +  1000 × 20/31 =  1000 +  645.1612… =  1645.16
END_EARLY = Termination(last_day=LAST_DAY, reason="公司搬迁 moving out", penalty=Decimal("5000"))


def lines(settlement: object) -> list[tuple[str, str, str | None, str]]:
    return [
        (
            line.kind,
            line.item,
            line.period_start.isoformat() if line.period_start else None,
            str(line.amount),
        )
        for line in settlement.lines  # type: ignore[attr-defined]
    ]


def test_a_billed_quarter_is_credited_for_the_days_after_the_last_day(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    post(charges.stored(session, contract), until=date(2026, 4, 1))  # Q1 and Q2 billed
    settlement = termination.terminate(
        session=session, actor=acme.actors["staff"], code=contract.code, data=END_EARLY
    )
    assert lines(settlement) == [
        ("credit", "rent", "2026-04-01", "-13548.39"),  # 16451.61 - 30000.00
        ("credit", "property fee", "2026-04-01", "-1354.84"),  # 1645.16 - 3000.00
        ("penalty", "penalty", None, "5000.00"),
        ("deposit", "rent", None, "-20000.00"),
        ("deposit", "property fee", None, "-2000.00"),
    ]
    # -13548.39 - 1354.84 + 5000 - 20000 - 2000: the tenant is refunded 31903.23.
    assert settlement.total == Decimal("-31903.23")
    assert sum(line.amount for line in settlement.lines) == settlement.total
    # The billed charges stay as billed; Q3 and Q4, never billed, are gone.
    assert rows(charges.stored(session, contract)) == [
        ("2026-01-01", "2026-03-31", "rent", "30000.00", True),
        ("2026-01-01", "2026-03-31", "property fee", "3000.00", True),
        ("2026-04-01", "2026-06-30", "rent", "30000.00", True),
        ("2026-04-01", "2026-06-30", "property fee", "3000.00", True),
    ]
    assert (contract.status, contract.terminated_on) == (ContractStatus.terminated, LAST_DAY)
    lease = session.scalars(select(Lease).where(Lease.contract_id == contract.id)).one()
    assert lease.end_date == LAST_DAY


def test_an_unbilled_quarter_is_cut_short_and_settled_as_outstanding(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    post(charges.stored(session, contract), until=date(2026, 1, 1))  # Q1 billed only
    settlement = termination.terminate(
        session=session, actor=acme.actors["staff"], code=contract.code, data=END_EARLY
    )
    assert lines(settlement) == [
        ("outstanding", "rent", "2026-04-01", "16451.61"),
        ("outstanding", "property fee", "2026-04-01", "1645.16"),
        ("penalty", "penalty", None, "5000.00"),
        ("deposit", "rent", None, "-20000.00"),
        ("deposit", "property fee", None, "-2000.00"),
    ]
    # 16451.61 + 1645.16 + 5000 - 22000: the tenant pays 1096.77.
    assert settlement.total == Decimal("1096.77")
    stored = charges.stored(session, contract)
    assert rows(stored)[2:] == [
        ("2026-04-01", "2026-05-20", "rent", "16451.61", True),
        ("2026-04-01", "2026-05-20", "property fee", "1645.16", True),
    ]
    assert all(c.settlement_id is not None for c in stored[2:])  # posted by the settlement
    again = termination.get_settlement(
        session=session, actor=acme.actors["tenant"], code=contract.code
    )
    assert again == settlement


def test_a_termination_before_rent_start_charges_no_rent(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed(terms=terms(rent_start="2026-04-01"))
    settlement = termination.terminate(
        session=session,
        actor=acme.actors["admin"],
        code=contract.code,
        data=Termination(last_day=date(2026, 2, 14), reason="fit-out abandoned"),
    )
    # Only the property fee ran (from handover): January + 14/28 of February = 1500.
    assert lines(settlement)[:1] == [("outstanding", "property fee", "2026-01-01", "1500.00")]
    assert settlement.total == Decimal("1500.00") - Decimal("22000.00")


def test_what_cannot_be_terminated(session: Session, acme: World, signed: Signer) -> None:
    contract = signed()
    session.commit()
    staff = acme.actors["staff"]
    for last_day in (date(2025, 12, 31), date(2026, 12, 31)):  # before the start, not early
        with pytest.raises(Invalid) as refused:
            termination.terminate(
                session=session,
                actor=staff,
                code=contract.code,
                data=END_EARLY.model_copy(update={"last_day": last_day}),
            )
        assert refused.value.field == "last_day"
    amendments.amend(session=session, actor=staff, code=contract.code, data=AmendmentCreate())
    with pytest.raises(Conflict, match="amendment 2"):
        termination.terminate(session=session, actor=staff, code=contract.code, data=END_EARLY)
    session.rollback()
    termination.terminate(session=session, actor=staff, code=contract.code, data=END_EARLY)
    with pytest.raises(Conflict, match="is terminated"):
        termination.terminate(session=session, actor=staff, code=contract.code, data=END_EARLY)
    with pytest.raises(NotFound):
        termination.get_settlement(
            session=session, actor=acme.actors["tenant_b"], code=contract.code
        )

"""Amendments: the difference first, then only unposted charges from the effective date are
regenerated; leases follow. Renewals: a new draft from the day after the end."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Invalid, NotFound
from cloud.leasing.contracts import amendments, charges, drafts, service
from cloud.leasing.contracts.models import Contract, ContractStatus, VersionStatus
from cloud.leasing.contracts.schemas import AmendmentCreate, ContractUpdate, RenewalCreate
from cloud.leasing.models import Lease
from cloud.leasing.terms_schemas import ContractTerms
from tests.cloud.factories import World
from tests.cloud.leasing.contracts.conftest import Signer, post, rows, terms, unit, walk_to_signed

RENT = {"name": "rent", "kind": "rent", "pricing": "per_m2_per_month", "price": "100"}
FEE = {
    "name": "property fee",
    "kind": "property_fee",
    "pricing": "fixed_per_month",
    "price": "1000",
}


def rent_from(day: str, price: str) -> dict[str, Any]:
    return RENT | {"escalation": {"type": "steps", "steps": [{"from": day, "price": price}]}}


def amend(session: Session, acme: World, contract: Contract, **fields: Any) -> None:
    amendments.amend(
        session=session,
        actor=acme.actors["staff"],
        code=contract.code,
        data=AmendmentCreate.model_validate(fields),
    )


def sign_amendment(session: Session, acme: World, contract: Contract) -> None:
    walk_to_signed(
        session, contract.code, staff=acme.actors["staff"], approver=acme.actors["admin"]
    )


def diff_lines(session: Session, acme: World, contract: Contract) -> list[tuple[object, ...]]:
    diff = amendments.amendment_diff(
        session=session, actor=acme.actors["finance"], code=contract.code
    )
    return [
        (
            line.change,
            line.item,
            line.period_start.isoformat(),
            line.old_amount,
            line.new_amount,
            line.applied,
        )
        for line in diff.lines
    ]


def test_an_amendment_shows_its_difference_then_regenerates_only_unposted_future_charges(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    post(charges.stored(session, contract), until=date(2026, 7, 1))  # Q1..Q3 billed
    # From 1 July the rent is 110/m²: 11000 a month, 33000 a quarter.
    amend(
        session,
        acme,
        contract,
        effective_from="2026-07-01",
        terms=terms(fee_items=[rent_from("2026-07-01", "110"), FEE]),
        note="租金调整",
    )
    assert diff_lines(session, acme, contract) == [
        # Q3 is posted: it stays at 30000, the 3000 more needs an adjustment.
        ("changed", "rent", "2026-07-01", Decimal("30000.00"), Decimal("33000.00"), False),
        ("changed", "rent", "2026-10-01", Decimal("30000.00"), Decimal("33000.00"), True),
    ]
    diff = amendments.amendment_diff(
        session=session, actor=acme.actors["staff"], code=contract.code
    )
    assert (diff.old_total, diff.new_total, diff.difference) == (
        Decimal("66000.00"),
        Decimal("72000.00"),
        Decimal("6000.00"),
    )
    before = rows(charges.stored(session, contract))
    assert rows(charges.stored(session, contract)) == before  # previewing changed nothing

    sign_amendment(session, acme, contract)
    stored = charges.stored(session, contract)
    assert [
        (c.period_start.isoformat(), c.item, str(c.amount), c.posted, c.version.number)
        for c in stored
    ] == [
        ("2026-01-01", "rent", "30000.00", True, 1),
        ("2026-01-01", "property fee", "3000.00", True, 1),
        ("2026-04-01", "rent", "30000.00", True, 1),
        ("2026-04-01", "property fee", "3000.00", True, 1),
        ("2026-07-01", "rent", "30000.00", True, 1),
        ("2026-07-01", "property fee", "3000.00", True, 1),
        ("2026-10-01", "rent", "33000.00", False, 2),
        ("2026-10-01", "property fee", "3000.00", False, 2),
    ]
    assert [v.status for v in contract.versions] == [VersionStatus.superseded, VersionStatus.signed]
    assert service.current_version(contract).number == 2
    assert contract.status == ContractStatus.signed
    lease = session.scalars(select(Lease).where(Lease.contract_id == contract.id)).one()
    assert lease.monthly_rent == Decimal("11000.00")  # the rent in force from the amendment on


def test_an_amendment_from_mid_period_reprices_the_period_around_it(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    amend(
        session,
        acme,
        contract,
        effective_from="2026-08-16",
        terms=terms(fee_items=[rent_from("2026-08-16", "110"), FEE]),
    )
    # Q3 = July 10000 + August (15/31 × 10000 + 16/31 × 11000 = 326000/31 = 10516.129…)
    # + September 11000 = 31516.129… → 31516.13
    assert diff_lines(session, acme, contract) == [
        ("changed", "rent", "2026-07-01", Decimal("30000.00"), Decimal("31516.13"), True),
        ("changed", "rent", "2026-10-01", Decimal("30000.00"), Decimal("33000.00"), True),
    ]


def test_a_new_payment_cycle_never_charges_a_posted_period_twice(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    post(charges.stored(session, contract), until=date(2026, 7, 1))
    monthly = terms(payment_cycle="monthly", fee_items=[RENT])  # and no property fee any more
    amend(session, acme, contract, effective_from="2026-07-01", terms=monthly)
    assert diff_lines(session, acme, contract) == [
        ("changed", "rent", "2026-07-01", Decimal("30000.00"), Decimal("10000.00"), False),
        ("removed", "property fee", "2026-07-01", Decimal("3000.00"), None, False),
        ("added", "rent", "2026-08-01", None, Decimal("10000.00"), False),
        ("added", "rent", "2026-09-01", None, Decimal("10000.00"), False),
        ("changed", "rent", "2026-10-01", Decimal("30000.00"), Decimal("10000.00"), True),
        ("removed", "property fee", "2026-10-01", Decimal("3000.00"), None, True),
        ("added", "rent", "2026-11-01", None, Decimal("10000.00"), True),
        ("added", "rent", "2026-12-01", None, Decimal("10000.00"), True),
    ]
    sign_amendment(session, acme, contract)
    after_q3 = [
        (c.period_start.isoformat(), c.period_end.isoformat(), c.item, str(c.amount))
        for c in charges.stored(session, contract)
        if c.period_start >= date(2026, 7, 1)
    ]
    assert after_q3 == [
        ("2026-07-01", "2026-09-30", "rent", "30000.00"),
        ("2026-07-01", "2026-09-30", "property fee", "3000.00"),
        ("2026-10-01", "2026-10-31", "rent", "10000.00"),
        ("2026-11-01", "2026-11-30", "rent", "10000.00"),
        ("2026-12-01", "2026-12-31", "rent", "10000.00"),
    ]


def test_a_longer_term_extends_the_lease_unless_the_unit_is_let_next(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    next_tenant = signed(
        tenant_code="TB",
        terms=terms(lease_start="2027-04-01", rent_start="2027-04-01", end="2027-12-31"),
    )
    session.commit()
    amend(session, acme, contract, effective_from="2026-12-01", terms=terms(end="2027-06-30"))
    with pytest.raises(Conflict, match=f"lease {next_tenant.code} from 2027-04-01"):
        sign_amendment(session, acme, contract)
    session.rollback()  # what the failed request does: the amendment is not stored

    contract = service.get_contract(session=session, actor=acme.actors["staff"], code=contract.code)
    amend(session, acme, contract, effective_from="2026-12-01", terms=terms(end="2027-03-31"))
    sign_amendment(session, acme, contract)
    lease = session.scalars(select(Lease).where(Lease.contract_id == contract.id)).one()
    assert (lease.start_date, lease.end_date) == (date(2026, 1, 1), date(2027, 3, 31))
    assert contract.end_date == date(2027, 3, 31)
    last = charges.stored(session, contract)[-2:]
    assert [
        (c.period_start.isoformat(), c.item, str(c.amount), c.version.number) for c in last
    ] == [
        ("2027-01-01", "rent", "30000.00", 2),
        ("2027-01-01", "property fee", "3000.00", 2),
    ]


def test_units_added_and_dropped_by_amendments_follow_in_the_leases(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    both = terms(units=[unit("U-201"), unit("U-202")])
    amend(session, acme, contract, effective_from="2026-07-01", terms=both)
    sign_amendment(session, acme, contract)
    amend(session, acme, contract, effective_from="2026-10-01", terms=terms(units=[unit("U-202")]))
    sign_amendment(session, acme, contract)
    leases = session.scalars(
        select(Lease).where(Lease.contract_id == contract.id).order_by(Lease.code)
    ).all()
    assert [(x.code, x.unit.code, x.start_date, x.end_date, x.monthly_rent) for x in leases] == [
        (contract.code, "U-201", date(2026, 1, 1), date(2026, 9, 30), Decimal("10000.00")),
        # 100/m² on 50 m²: the whole rent once it is the only unit.
        (f"{contract.code}-2", "U-202", date(2026, 7, 1), date(2026, 12, 31), Decimal("5000.00")),
    ]
    assert [u.code for u in service.current_version(contract).units] == ["U-202"]


def test_amendment_rules(session: Session, acme: World, signed: Signer) -> None:
    contract = signed()
    session.commit()
    staff = acme.actors["staff"]
    for fields, field in (
        ({"terms": terms(lease_start="2026-02-01", rent_start="2026-02-01")}, "terms.lease_start"),
        ({"effective_from": "2027-01-01"}, "effective_from"),
    ):
        with pytest.raises(Invalid) as refused:
            amend(session, acme, contract, **fields)
        assert refused.value.field == field
        session.rollback()
        contract = service.get_contract(session=session, actor=staff, code=contract.code)
    amend(session, acme, contract, effective_from="2026-06-01")
    with pytest.raises(Conflict, match="already has amendment 2"):
        amend(session, acme, contract, effective_from="2026-06-01")
    with pytest.raises(Invalid) as refused:
        drafts.update_draft(
            session=session, actor=staff, code=contract.code, data=ContractUpdate(tenant_code="TB")
        )
    assert refused.value.field == "tenant_code"
    drafts.delete_draft(session=session, actor=staff, code=contract.code)  # discards it
    assert [v.number for v in contract.versions] == [1]
    with pytest.raises(NotFound):
        amendments.amendment_diff(session=session, actor=staff, code=contract.code)


def test_a_renewal_starts_the_day_after_at_the_prices_in_force_then(
    session: Session, acme: World, signed: Signer
) -> None:
    fee = FEE | {
        "escalation": {"type": "periodic", "every_months": 12, "by": "percent", "value": "5"}
    }
    old = signed(
        terms=terms(
            fee_items=[rent_from("2026-07-01", "110.5"), fee],
            free_rent=[{"start": "2026-01-01", "end": "2026-01-31"}],
        )
    )
    staff = acme.actors["staff"]
    renewal = amendments.renew(session=session, actor=staff, code=old.code, data=RenewalCreate())
    assert (renewal.code, renewal.status, renewal.renewal_of_id) == (
        "HT-2026-0005",
        ContractStatus.draft,
        old.id,
    )
    renewed = service.terms_of(renewal.versions[0])
    assert renewed == ContractTerms.model_validate(
        {
            "code": "HT-2026-0005",
            "lease_start": "2027-01-01",
            "rent_start": "2027-01-01",
            "end": "2027-12-31",  # twelve months, like the old term
            "units": [unit("U-201")],
            # The step table's last price; the periodic escalation goes on; no free rent.
            "fee_items": [RENT | {"price": "110.50"}, fee],
            "payment_cycle": "quarterly",
            "due": {"rule": "days_before_start", "days": 0},
        }
    )
    assert renewal.versions[0].deposits == old.versions[0].deposits
    assert renewal.tenant_id == old.tenant_id
    read = service.read_contract(session=session, actor=staff, code=old.code)
    assert read.renewed_by == [renewal.code] and "renew" not in read.actions
    with pytest.raises(Conflict, match=f"already renewed by {renewal.code}"):
        amendments.renew(session=session, actor=staff, code=old.code, data=RenewalCreate())
    # The renewal starts the day after the old lease ends: signing it overlaps nothing.
    walk_to_signed(session, renewal.code, staff=staff, approver=acme.actors["admin"])
    assert renewal.status == ContractStatus.signed


def test_a_renewal_may_be_given_its_end_but_not_one_before_its_start(
    session: Session, acme: World, signed: Signer
) -> None:
    old = signed()
    staff = acme.actors["staff"]
    with pytest.raises(Invalid) as refused:
        amendments.renew(
            session=session, actor=staff, code=old.code, data=RenewalCreate(end=date(2026, 12, 1))
        )
    assert refused.value.field == "end"
    renewal = amendments.renew(
        session=session,
        actor=staff,
        code=old.code,
        data=RenewalCreate(code="HT-R-1", end=date(2028, 6, 30)),
    )
    assert (renewal.code, renewal.start_date, renewal.end_date) == (
        "HT-R-1",
        date(2027, 1, 1),
        date(2028, 6, 30),
    )

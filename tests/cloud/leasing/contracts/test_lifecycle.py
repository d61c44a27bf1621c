"""draft → submitted → approved (per the org's steps) → signed → active, refused out of turn;
signing makes the leases and the stored schedule, and never lets two leases of a unit overlap."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, Invalid
from cloud.identity.models import Role
from cloud.leasing import service as leasing_service
from cloud.leasing.contracts import amendments, drafts, lifecycle, service, termination
from cloud.leasing.contracts.models import (
    ContractCharge,
    ContractStatus,
    Decision,
    VersionStatus,
)
from cloud.leasing.contracts.schemas import AmendmentCreate, RenewalCreate, Termination
from cloud.leasing.contracts.tenancy import split_to_fen, unit_rents
from cloud.leasing.models import Lease
from cloud.leasing.schemas import LeaseCreate
from cloud.properties import service as properties_service
from tests.cloud.factories import World
from tests.cloud.leasing.contracts.conftest import Signer, draft, terms, unit


def test_the_default_route_is_one_admin_step(session: Session, acme: World) -> None:
    staff, admin = acme.actors["staff"], acme.actors["admin"]
    code = drafts.create_contract(session=session, actor=staff, data=draft()).code
    assert service.approval_steps(session=session, actor=staff) == [Role.admin]
    contract = lifecycle.submit(session=session, actor=staff, code=code)
    assert contract.status == ContractStatus.submitted
    assert service.read_contract(session=session, actor=staff, code=code).next_step == Role.admin
    with pytest.raises(Forbidden, match="needs admin"):
        lifecycle.approve(session=session, actor=staff, code=code)
    lifecycle.approve(session=session, actor=admin, code=code, note="ok")
    assert contract.status == ContractStatus.approved
    lifecycle.sign(session=session, actor=staff, code=code)
    assert (contract.status, contract.versions[0].status) == (
        ContractStatus.signed,
        VersionStatus.signed,
    )
    assert contract.signed_by_id == staff.user_id and contract.signed_at is not None
    [approval] = contract.versions[0].approvals
    assert (approval.step, approval.role, approval.decision, approval.user.username) == (
        1,
        Role.admin,
        Decision.approved,
        "acme-admin",
    )
    assert approval.decided_at is not None and approval.reason == "ok"


def test_configured_steps_are_taken_in_order_by_their_roles(session: Session, acme: World) -> None:
    staff, finance, admin = acme.actors["staff"], acme.actors["finance"], acme.actors["admin"]
    lifecycle.set_approval_steps(session=session, actor=admin, roles=[Role.staff, Role.finance])
    code = drafts.create_contract(session=session, actor=staff, data=draft()).code
    lifecycle.submit(session=session, actor=staff, code=code)
    with pytest.raises(Forbidden):
        lifecycle.approve(session=session, actor=finance, code=code)  # step 1 is staff's
    contract = lifecycle.approve(session=session, actor=staff, code=code)
    assert contract.status == ContractStatus.submitted  # one step to go
    assert service.allowed_actions(session=session, actor=staff, contract=contract) == []
    assert service.allowed_actions(session=session, actor=finance, contract=contract) == [
        "approve",
        "reject",
    ]
    with pytest.raises(Forbidden):
        lifecycle.approve(session=session, actor=staff, code=code)
    lifecycle.approve(session=session, actor=finance, code=code)
    assert contract.status == ContractStatus.approved
    approvals = contract.versions[0].approvals
    assert [(a.step, a.role, a.user.username) for a in approvals] == [
        (1, Role.staff, "acme-staff"),
        (2, Role.finance, "acme-finance"),
    ]
    with pytest.raises(Forbidden):  # finance approves its step but does not sign
        lifecycle.sign(session=session, actor=finance, code=code)


def test_a_submission_keeps_the_route_it_was_sent_on(session: Session, acme: World) -> None:
    staff, admin = acme.actors["staff"], acme.actors["admin"]
    code = drafts.create_contract(session=session, actor=staff, data=draft()).code
    lifecycle.submit(session=session, actor=staff, code=code)  # route: admin
    lifecycle.set_approval_steps(session=session, actor=admin, roles=[Role.staff, Role.finance])
    contract = lifecycle.approve(session=session, actor=admin, code=code)
    assert contract.status == ContractStatus.approved


def test_only_admins_set_the_route_and_only_to_deciding_roles(
    session: Session, acme: World
) -> None:
    with pytest.raises(Forbidden):
        lifecycle.set_approval_steps(
            session=session, actor=acme.actors["staff"], roles=[Role.staff]
        )
    for role in (Role.engineer, Role.tenant):
        with pytest.raises(Invalid) as refused:
            lifecycle.set_approval_steps(
                session=session, actor=acme.actors["admin"], roles=[Role.staff, role]
            )
        assert refused.value.field == "roles"


def test_a_rejection_returns_to_draft_with_its_reason_and_the_next_submission_starts_over(
    session: Session, acme: World
) -> None:
    staff, finance, admin = acme.actors["staff"], acme.actors["finance"], acme.actors["admin"]
    lifecycle.set_approval_steps(session=session, actor=admin, roles=[Role.staff, Role.finance])
    code = drafts.create_contract(session=session, actor=staff, data=draft()).code
    lifecycle.submit(session=session, actor=staff, code=code)
    lifecycle.approve(session=session, actor=staff, code=code)
    with pytest.raises(Invalid) as refused:
        lifecycle.reject(session=session, actor=finance, code=code, reason="  ")
    assert refused.value.field == "reason"
    contract = lifecycle.reject(session=session, actor=finance, code=code, reason="押金太低")
    assert (contract.status, contract.versions[0].status) == (
        ContractStatus.draft,
        VersionStatus.draft,
    )
    rejection = contract.versions[0].approvals[-1]
    assert (rejection.decision, rejection.reason, rejection.step) == (
        Decision.rejected,
        "押金太低",
        2,
    )
    lifecycle.submit(session=session, actor=staff, code=code)
    # A new round: step 1 again, whatever the last round reached.
    read = service.read_contract(session=session, actor=staff, code=code)
    assert read.next_step == Role.staff
    assert [(a.approval_round, a.step, a.decision) for a in read.versions[0].approvals] == [
        (1, 1, Decision.approved),
        (1, 2, Decision.rejected),
    ]


def test_moves_out_of_turn_are_refused(
    session: Session, acme: World, today: Callable[[date], None]
) -> None:
    staff, admin = acme.actors["staff"], acme.actors["admin"]
    code = drafts.create_contract(session=session, actor=staff, data=draft()).code
    for move in (lifecycle.approve, lifecycle.sign, lifecycle.activate):
        with pytest.raises(Conflict):
            move(session=session, actor=admin, code=code)
    with pytest.raises(Conflict):
        lifecycle.reject(session=session, actor=admin, code=code, reason="no")
    with pytest.raises(Conflict):
        amendments.amend(session=session, actor=staff, code=code, data=AmendmentCreate())
    with pytest.raises(Conflict):
        amendments.renew(session=session, actor=staff, code=code, data=RenewalCreate())
    with pytest.raises(Conflict):
        termination.terminate(
            session=session,
            actor=staff,
            code=code,
            data=Termination(last_day=date(2026, 6, 30), reason="x"),
        )
    lifecycle.submit(session=session, actor=staff, code=code)
    with pytest.raises(Conflict):
        lifecycle.submit(session=session, actor=staff, code=code)
    with pytest.raises(Conflict, match="only a approved one can be signed"):
        lifecycle.sign(session=session, actor=staff, code=code)


def test_tenants_and_engineers_move_nothing(session: Session, acme: World) -> None:
    staff = acme.actors["staff"]
    code = drafts.create_contract(session=session, actor=staff, data=draft()).code
    with pytest.raises(Forbidden):
        lifecycle.submit(session=session, actor=acme.actors["engineer"], code=code)
    lifecycle.submit(session=session, actor=staff, code=code)
    for role in ("tenant", "engineer"):
        with pytest.raises(Forbidden):
            lifecycle.approve(session=session, actor=acme.actors[role], code=code)


def test_signing_makes_a_lease_per_unit_and_stores_the_schedule(
    session: Session, acme: World, signed: Signer
) -> None:
    two_units = terms(units=[unit("U-201"), unit("U-202")], rent_start="2026-02-01")
    contract = signed(terms=two_units)
    leases = session.scalars(
        select(Lease).where(Lease.contract_id == contract.id).order_by(Lease.code)
    ).all()
    # Rent 100/m²/month on 150 m² = 15000 a month, shared by rentable area 100 : 50.
    assert [
        (lease.code, lease.unit.code, lease.monthly_rent, lease.start_date, lease.end_date)
        for lease in leases
    ] == [
        (contract.code, "U-201", Decimal("10000.00"), date(2026, 1, 1), date(2026, 12, 31)),
        (f"{contract.code}-2", "U-202", Decimal("5000.00"), date(2026, 1, 1), date(2026, 12, 31)),
    ]
    assert {lease.electricity_tariff for lease in leases} == {Decimal("1.2500")}
    assert {lease.tenant.code for lease in leases} == {"TA"}
    stored = session.scalar(
        select(func.count())
        .select_from(ContractCharge)
        .where(ContractCharge.contract_id == contract.id)
    )
    assert stored == 8  # four quarters × (rent, property fee)
    # The tenant now sees the units of its contract (electricity billing reads these leases).
    units = properties_service.list_units(
        session=session, actor=acme.actors["tenant"], today=date(2026, 6, 1)
    )
    assert [u.code for u in units] == ["U-101", "U-103", "U-201", "U-202"]


def test_rent_shares_add_up_to_the_fen() -> None:
    three = terms(
        units=[unit("U-201") | {"rentable": "1"}, unit("U-202") | {"rentable": "1"}]
        + [unit("U-203") | {"rentable": "1"}],
        fee_items=[
            {"name": "rent", "kind": "rent", "pricing": "fixed_per_month", "price": "10000"}
        ],
    )
    assert unit_rents(three) == {
        "U-201": Decimal("3333.34"),
        "U-202": Decimal("3333.33"),
        "U-203": Decimal("3333.33"),
    }
    # Two half fen: the total rounds to one fen, and one of them gets it.
    halves = split_to_fen({"a": Fraction(1, 200), "b": Fraction(1, 200)})
    assert sorted(halves.values()) == [Decimal("0.00"), Decimal("0.01")]


def test_signing_refuses_a_unit_let_under_an_overlapping_lease(
    session: Session, acme: World
) -> None:
    staff, admin = acme.actors["staff"], acme.actors["admin"]
    # U-101 is let to TA under lease HT-2026-0001 (entered without a contract) until 2099.
    on_101 = draft(
        terms=terms(units=[{"code": "U-101", "gross": "1", "net": "1", "rentable": "1"}])
    )
    code = drafts.create_contract(session=session, actor=staff, data=on_101).code
    lifecycle.submit(session=session, actor=staff, code=code)
    lifecycle.approve(session=session, actor=admin, code=code)
    with pytest.raises(Conflict, match="U-101 is let under lease HT-2026-0001"):
        lifecycle.sign(session=session, actor=staff, code=code)


def test_of_two_approved_contracts_for_one_unit_only_the_first_signed_stands(
    session: Session, acme: World
) -> None:
    staff, admin = acme.actors["staff"], acme.actors["admin"]
    first = drafts.create_contract(session=session, actor=staff, data=draft()).code
    second = drafts.create_contract(
        session=session,
        actor=staff,
        data=draft(
            tenant_code="TB",
            terms=terms(lease_start="2026-12-01", rent_start="2026-12-01", end="2027-11-30"),
        ),
    ).code
    later = drafts.create_contract(
        session=session,
        actor=staff,
        data=draft(
            tenant_code="TB",
            terms=terms(lease_start="2027-01-01", rent_start="2027-01-01", end="2027-12-31"),
        ),
    ).code
    for code in (first, second, later):
        lifecycle.submit(session=session, actor=staff, code=code)
        lifecycle.approve(session=session, actor=admin, code=code)
    lifecycle.sign(session=session, actor=staff, code=first)
    session.commit()
    with pytest.raises(Conflict, match=f"lease {first} from 2026-01-01 to 2026-12-31"):
        lifecycle.sign(session=session, actor=staff, code=second)
    session.rollback()  # what a failed request does
    lifecycle.sign(session=session, actor=staff, code=later)  # starts the day after: fine
    assert service.get_contract(session=session, actor=staff, code=second).status == (
        ContractStatus.approved
    )


def test_a_lease_entered_directly_may_not_overlap_either(session: Session, acme: World) -> None:
    admin = acme.actors["admin"]
    lease = LeaseCreate(
        code="L-1",
        unit_code="U-101",
        tenant_code="TB",
        start_date=date(2030, 1, 1),
        end_date=date(2030, 12, 31),
        monthly_rent=Decimal("100.00"),
        electricity_tariff=Decimal("1.0000"),
    )
    with pytest.raises(Conflict, match="HT-2026-0001"):
        leasing_service.create_lease(session=session, actor=admin, data=lease)
    free = lease.model_copy(update={"unit_code": "U-201"})
    made = leasing_service.create_lease(session=session, actor=admin, data=free)
    assert (made.unit.code, made.contract_id) == ("U-201", None)
    with pytest.raises(Forbidden):
        leasing_service.create_lease(
            session=session,
            actor=acme.actors["finance"],
            data=free.model_copy(update={"code": "L-2"}),
        )


def test_activation_waits_for_the_lease_start(
    session: Session, acme: World, signed: Signer, today: Callable[[date], None]
) -> None:
    staff = acme.actors["staff"]
    today(date(2025, 12, 20))
    contract = signed()
    assert "activate" not in service.allowed_actions(
        session=session, actor=staff, contract=contract
    )
    with pytest.raises(Conflict, match="starts on 2026-01-01"):
        lifecycle.activate(session=session, actor=staff, code=contract.code)
    today(date(2026, 1, 1))
    assert "activate" in service.allowed_actions(session=session, actor=staff, contract=contract)
    lifecycle.activate(session=session, actor=staff, code=contract.code)
    assert contract.status == ContractStatus.active and contract.activated_at is not None

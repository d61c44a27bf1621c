"""Drafts: creating, editing, deleting; who sees which contracts; schedules and previews."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.identity.actor import Actor
from cloud.identity.models import Org, Role, User
from cloud.leasing.contracts import amendments, drafts, lifecycle, service, termination
from cloud.leasing.contracts.models import (
    Contract,
    ContractCharge,
    ContractStatus,
    ContractVersion,
    VersionStatus,
)
from cloud.leasing.contracts.schemas import (
    AmendmentCreate,
    ContractUpdate,
    RenewalCreate,
    Termination,
)
from cloud.leasing.terms import compile_schedule
from tests.cloud.factories import World, make_world
from tests.cloud.leasing.contracts.conftest import Signer, add_free_units, draft, terms, unit


def codes(contracts: list[Contract]) -> list[str]:
    return [c.code for c in contracts]


def test_staff_create_a_draft_coded_after_every_existing_contract_and_lease(
    session: Session, acme: World
) -> None:
    # The world's leases (entered without contracts) are HT-2026-0001..0003.
    contract = drafts.create_contract(session=session, actor=acme.actors["staff"], data=draft())
    assert contract.code == "HT-2026-0004"
    assert (contract.status, contract.start_date, contract.end_date) == (
        ContractStatus.draft,
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    version = contract.versions[0]
    assert (version.number, version.status) == (1, VersionStatus.draft)
    assert [u.code for u in version.units] == ["U-201"]
    assert version.terms["code"] == "HT-2026-0004"
    assert service.terms_of(version) == terms(code="HT-2026-0004")  # the JSON round-trips
    assert version.deposits == [
        {"item": "rent", "amount": "20000.00"},
        {"item": "property fee", "amount": "2000.00"},
    ]
    second = drafts.create_contract(session=session, actor=acme.actors["admin"], data=draft())
    assert second.code == "HT-2026-0005"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tenant_code": "NOBODY"}, "tenant_code"),
        (
            {"terms": terms(units=[unit("U-201"), {**unit("U-202"), "code": "U-999"}])},
            "terms.units",
        ),
        ({"terms": terms(units=[unit("U-201"), unit("U-201")])}, "terms.units"),
        ({"code": "HT-X", "terms": terms(code="HT-Y")}, "terms.code"),
    ],
)
def test_bad_drafts_are_refused_naming_the_field(
    session: Session, acme: World, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        drafts.create_contract(session=session, actor=acme.actors["staff"], data=draft(**overrides))
    assert refused.value.field == field


def test_a_code_taken_by_a_contract_or_a_lease_conflicts(session: Session, acme: World) -> None:
    staff = acme.actors["staff"]
    drafts.create_contract(session=session, actor=staff, data=draft(code="HT-X"))
    for code in ("HT-X", "HT-2026-0001"):  # a contract's, a lease's
        with pytest.raises(Conflict, match=code):
            drafts.create_contract(session=session, actor=staff, data=draft(code=code))


def test_only_staff_and_admins_write(session: Session, acme: World) -> None:
    for role in ("finance", "engineer", "tenant"):
        with pytest.raises(Forbidden):
            drafts.create_contract(session=session, actor=acme.actors[role], data=draft())


def test_only_a_draft_may_be_edited(session: Session, acme: World) -> None:
    staff = acme.actors["staff"]
    contract = drafts.create_contract(session=session, actor=staff, data=draft())
    longer = ContractUpdate(terms=terms(end="2027-06-30"), special_clauses="可转租 may sublet")
    drafts.update_draft(session=session, actor=staff, code=contract.code, data=longer)
    assert contract.end_date == date(2027, 6, 30) and contract.versions[0].end_date == date(
        2027, 6, 30
    )
    assert contract.versions[0].special_clauses == "可转租 may sublet"
    with pytest.raises(Invalid) as refused:
        drafts.update_draft(
            session=session,
            actor=staff,
            code=contract.code,
            data=ContractUpdate(effective_from=date(2026, 5, 1)),
        )
    assert refused.value.field == "effective_from"
    lifecycle.submit(session=session, actor=staff, code=contract.code)
    with pytest.raises(Conflict, match="only a draft may be edited"):
        drafts.update_draft(
            session=session, actor=staff, code=contract.code, data=ContractUpdate(note="x")
        )
    with pytest.raises(Conflict, match="only a draft may be deleted"):
        drafts.delete_draft(session=session, actor=staff, code=contract.code)


def test_a_draft_is_deleted_whole(session: Session, acme: World) -> None:
    staff = acme.actors["staff"]
    contract = drafts.create_contract(session=session, actor=staff, data=draft())
    gone = drafts.delete_draft(session=session, actor=staff, code=contract.code)
    assert gone.code == contract.code
    assert session.scalar(select(func.count()).select_from(ContractVersion)) == 0
    with pytest.raises(NotFound):
        service.get_contract(session=session, actor=staff, code=contract.code)


def test_finance_reads_engineers_do_not_and_tenants_see_their_own_once_signed(
    session: Session, acme: World, signed: Signer
) -> None:
    staff = acme.actors["staff"]
    mine = signed()
    drafts.create_contract(session=session, actor=staff, data=draft())  # a draft for TA
    theirs = signed(tenant_code="TB", terms=terms(units=[unit("U-202")]))
    everyone = [mine.code, "HT-2026-0005", theirs.code]
    assert codes(service.list_contracts(session=session, actor=acme.actors["finance"])) == everyone
    with pytest.raises(Forbidden):
        service.list_contracts(session=session, actor=acme.actors["engineer"])
    tenant = acme.actors["tenant"]
    assert codes(service.list_contracts(session=session, actor=tenant)) == [mine.code]
    for hidden in ("HT-2026-0005", theirs.code):  # a draft of its own, another tenant's
        with pytest.raises(NotFound):
            service.read_contract(session=session, actor=tenant, code=hidden)
    seen = service.read_contract(session=session, actor=tenant, code=mine.code)
    assert seen.actions == [] and [v.approvals for v in seen.versions] == [[]]
    assert service.stored_charges(session=session, actor=tenant, code=mine.code).total == Decimal(
        "132000.00"
    )


def test_lists_filter_by_status_and_unit(session: Session, acme: World, signed: Signer) -> None:
    admin = acme.actors["admin"]
    on_201 = signed()
    drafts.create_contract(
        session=session, actor=admin, data=draft(terms=terms(units=[unit("U-202")]))
    )
    listed = service.list_contracts(session=session, actor=admin, status=ContractStatus.draft)
    assert codes(listed) == ["HT-2026-0005"]
    assert codes(service.list_contracts(session=session, actor=admin, unit_code="U-201")) == [
        on_201.code
    ]
    assert service.list_contracts(session=session, actor=admin, unit_code="U-203") == []


@pytest.fixture
def stranger(session: Session, acme: World) -> Actor:
    """An admin of an org that has nothing."""
    org = Org(code="empty", name="Empty", timezone="Asia/Shanghai")
    session.add(org)
    session.flush()
    user = User(
        org_id=org.id, username="stranger", display_name="S", role=Role.admin, password_hash="x"
    )
    session.add(user)
    session.flush()
    return Actor.of(user)


def test_every_query_is_scoped_by_org(
    session: Session, acme: World, signed: Signer, stranger: Actor
) -> None:
    contract = signed()
    assert service.list_contracts(session=session, actor=stranger) == []
    assert service.list_alerts(session=session, actor=stranger) == []
    for read in (service.read_contract, service.stored_charges, drafts.delete_draft):
        with pytest.raises(NotFound):
            read(session=session, actor=stranger, code=contract.code)
    with pytest.raises(NotFound):
        service.version_schedule(session=session, actor=stranger, code=contract.code, number=1)
    code = contract.code
    moves: list[Callable[[], object]] = [
        lambda: lifecycle.submit(session=session, actor=stranger, code=code),
        lambda: lifecycle.approve(session=session, actor=stranger, code=code),
        lambda: lifecycle.reject(session=session, actor=stranger, code=code, reason="x"),
        lambda: lifecycle.sign(session=session, actor=stranger, code=code),
        lambda: lifecycle.activate(session=session, actor=stranger, code=code),
        lambda: amendments.amend(
            session=session, actor=stranger, code=code, data=AmendmentCreate()
        ),
        lambda: amendments.amendment_diff(session=session, actor=stranger, code=code),
        lambda: amendments.renew(session=session, actor=stranger, code=code, data=RenewalCreate()),
        lambda: termination.terminate(
            session=session,
            actor=stranger,
            code=code,
            data=Termination(last_day=date(2026, 6, 30), reason="x"),
        ),
        lambda: termination.get_settlement(session=session, actor=stranger, code=code),
        lambda: drafts.update_draft(
            session=session, actor=stranger, code=code, data=ContractUpdate()
        ),
    ]
    for move in moves:
        with pytest.raises(NotFound):
            move()
    assert contract.status == ContractStatus.signed
    # The stranger's org has no unit U-201 and no tenant TA of its own.
    with pytest.raises(Invalid):
        drafts.create_contract(session=session, actor=stranger, data=draft())


def test_the_same_codes_in_another_org_stay_apart(session: Session, acme: World) -> None:
    other = add_free_units(
        session, make_world(session, org_code="third", site_code="site3", agent_code="agent3")
    )
    mine = drafts.create_contract(session=session, actor=acme.actors["staff"], data=draft())
    theirs = drafts.create_contract(session=session, actor=other.actors["staff"], data=draft())
    assert mine.code == theirs.code == "HT-2026-0004"
    assert mine.versions[0].units[0].org_id == acme.org.id
    assert theirs.versions[0].units[0].org_id == other.org.id
    assert theirs.tenant.org_id == other.org.id


def test_a_preview_compiles_without_storing(session: Session, acme: World) -> None:
    preview = service.preview_schedule(session=session, actor=acme.actors["finance"], terms=terms())
    assert [(r.period_start.isoformat(), r.item, str(r.amount)) for r in preview.rows[:2]] == [
        ("2026-01-01", "rent", "30000.00"),
        ("2026-01-01", "property fee", "3000.00"),
    ]
    assert preview.totals == {"rent": Decimal("120000.00"), "property fee": Decimal("12000.00")}
    assert preview.total == Decimal("132000.00")
    assert session.scalar(select(func.count()).select_from(ContractCharge)) == 0


def test_a_stored_versions_schedule_is_its_terms_compiled(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    schedule = service.version_schedule(
        session=session, actor=acme.actors["finance"], code=contract.code, number=1
    )
    compiled = compile_schedule(terms())
    assert [(r.period_start, r.item, r.amount) for r in schedule.rows] == [
        (r.period_start, r.item, r.amount) for r in compiled
    ]
    stored = service.stored_charges(
        session=session, actor=acme.actors["finance"], code=contract.code
    )
    assert [(r.period_start, r.amount, r.posted, r.version) for r in stored.rows][:1] == [
        (date(2026, 1, 1), Decimal("30000.00"), False, 1)
    ]
    with pytest.raises(NotFound):
        service.version_schedule(
            session=session, actor=acme.actors["finance"], code=contract.code, number=2
        )

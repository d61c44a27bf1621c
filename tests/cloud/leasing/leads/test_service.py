"""Leads along their stages: follow-ups move them forward, never back; lost with a reason; the
letter of intent and its deposit; a won lead's draft contract; who may see and do what."""

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.leasing.contracts import service as contracts_service
from cloud.leasing.contracts.models import ContractStatus
from cloud.leasing.leads import conversion, service
from cloud.leasing.leads.models import DepositStatus, Stage
from cloud.leasing.leads.schemas import (
    ContactData,
    Conversion,
    DepositMove,
    FollowUpCreate,
    LeadUpdate,
    LetterOfIntent,
    LostMark,
    StageMove,
)
from cloud.leasing.terms import compile_schedule
from tests.cloud.factories import World
from tests.cloud.leasing.leads.conftest import TODAY, new_lead, quote


def test_a_new_lead_starts_at_visit_with_its_contacts_and_units(
    session: Session, acme: World
) -> None:
    lead = new_lead(session, acme)
    assert lead.code == "XS-2026-0001" and new_lead(session, acme).code == "XS-2026-0002"
    read = service.read_lead(session=session, actor=acme.actors["finance"], code=lead.code)
    assert read.stage == Stage.visit and read.unit_codes == ["U-201"]
    assert read.contacts[0].name == "李雷" and read.source_detail == "链家 王经理"
    assert [(c.from_stage, c.to_stage, c.changed_on) for c in read.stage_changes] == [
        (None, Stage.visit, TODAY)
    ]


def test_an_unknown_unit_or_a_taken_code_is_refused(session: Session, acme: World) -> None:
    with pytest.raises(Invalid, match="U-999"):
        new_lead(session, acme, unit_codes=["U-201", "U-999"])
    new_lead(session, acme, code="XS-1")
    with pytest.raises(Conflict, match="XS-1"):
        new_lead(session, acme, code="XS-1")


def test_follow_ups_move_a_lead_forward_and_never_back(session: Session, acme: World) -> None:
    staff = acme.actors["staff"]
    code = new_lead(session, acme).code
    service.add_follow_up(session=session, actor=staff, code=code, data=quote())
    counter = quote(kind="counter_offer", rent_per_m2_month="90")
    lead = service.add_follow_up(session=session, actor=staff, code=code, data=counter)
    assert lead.stage == Stage.negotiation
    feedback = FollowUpCreate(kind="feedback", note="嫌贵")
    later_quote = service.add_follow_up(session=session, actor=staff, code=code, data=quote())
    assert later_quote.stage == Stage.negotiation  # a new quote does not send it back
    service.add_follow_up(session=session, actor=staff, code=code, data=feedback)
    read = service.read_lead(session=session, actor=staff, code=code)
    assert [c.to_stage for c in read.stage_changes] == [Stage.visit, Stage.quote, Stage.negotiation]
    assert [f.kind for f in read.follow_ups] == ["quote", "counter_offer", "quote", "feedback"]
    with pytest.raises(Conflict, match="only moves forward"):
        service.move_stage(session=session, actor=staff, code=code, data=StageMove(stage="quote"))
    with pytest.raises(Invalid, match="letter of intent"):
        service.move_stage(session=session, actor=staff, code=code, data=StageMove(stage="loi"))


def test_a_quote_names_its_rent() -> None:
    with pytest.raises(ValidationError, match="rent_per_m2_month"):
        FollowUpCreate(kind="quote")
    with pytest.raises(ValidationError, match="free_months"):
        quote(term_months=3, free_months=3)


def test_a_lost_lead_keeps_its_reason_and_how_far_it_got(session: Session, acme: World) -> None:
    staff = acme.actors["staff"]
    code = new_lead(session, acme).code
    service.add_follow_up(session=session, actor=staff, code=code, data=quote())
    lost = service.mark_lost(
        session=session, actor=staff, code=code, data=LostMark(reason="price", note="预算不足")
    )
    assert (lost.stage, lost.reached, lost.lost_reason) == (Stage.lost, Stage.quote, "price")
    assert lost.stage_changes[-1].note == "预算不足"
    with pytest.raises(Conflict, match="lost"):
        service.add_follow_up(session=session, actor=staff, code=code, data=quote())
    with pytest.raises(ValidationError):
        LostMark.model_validate({"reason": "bored"})


def test_the_letter_of_intent_and_its_deposit(session: Session, acme: World) -> None:
    staff = acme.actors["staff"]
    code = new_lead(session, acme).code
    loi = LetterOfIntent(signed_on=date(2026, 3, 5), deposit=Decimal("30000"))
    with pytest.raises(Conflict, match="no quote"):
        conversion.sign_loi(session=session, actor=staff, code=code, data=loi)
    service.add_follow_up(session=session, actor=staff, code=code, data=quote())
    lead = conversion.sign_loi(session=session, actor=staff, code=code, data=loi)
    assert (lead.stage, lead.deposit_status, lead.deposit_amount) == (
        Stage.loi,
        DepositStatus.agreed,
        Decimal("30000.00"),
    )
    with pytest.raises(Conflict, match="cannot become refunded"):
        conversion.move_deposit(
            session=session, actor=staff, code=code, data=DepositMove(status="refunded")
        )
    conversion.move_deposit(
        session=session,
        actor=staff,
        code=code,
        data=DepositMove(status="received", on=date(2026, 3, 6)),
    )
    read = service.read_lead(session=session, actor=staff, code=code)
    assert [(d.status, d.amount, d.changed_on, d.ledger_ref) for d in read.deposit_changes] == [
        ("agreed", Decimal("30000.00"), date(2026, 3, 5), None),
        ("received", Decimal("30000.00"), date(2026, 3, 6), None),
    ]


def test_a_lost_leads_received_deposit_can_still_be_refunded(session: Session, acme: World) -> None:
    staff = acme.actors["staff"]
    code = new_lead(session, acme).code
    service.add_follow_up(session=session, actor=staff, code=code, data=quote())
    loi = LetterOfIntent(signed_on=TODAY, deposit=Decimal("5000"))
    conversion.sign_loi(session=session, actor=staff, code=code, data=loi)
    received = DepositMove(status="received")
    conversion.move_deposit(session=session, actor=staff, code=code, data=received)
    service.mark_lost(session=session, actor=staff, code=code, data=LostMark(reason="timing"))
    refunded = conversion.move_deposit(
        session=session, actor=staff, code=code, data=DepositMove(status="refunded")
    )
    assert refunded.deposit_status == DepositStatus.refunded and refunded.reached == Stage.loi


def test_a_won_lead_becomes_a_draft_contract_on_its_last_quote(
    session: Session, acme: World
) -> None:
    staff = acme.actors["staff"]
    code = new_lead(session, acme, unit_codes=["U-201", "U-202"]).code
    service.add_follow_up(
        session=session, actor=staff, code=code, data=quote(rent_per_m2_month="120")
    )
    counter = quote(kind="counter_offer", rent_per_m2_month="95")
    service.add_follow_up(session=session, actor=staff, code=code, data=counter)
    service.add_follow_up(session=session, actor=staff, code=code, data=quote())  # the agreed one
    conversion.sign_loi(
        session=session,
        actor=staff,
        code=code,
        data=LetterOfIntent(signed_on=TODAY, deposit=Decimal("30000")),
    )
    conversion.move_deposit(
        session=session, actor=staff, code=code, data=DepositMove(status="received")
    )
    data = Conversion(tenant_code="T-XH", electricity_tariff=Decimal("1.1"))
    contract = conversion.convert(session=session, actor=staff, code=code, data=data)
    assert contract.status == ContractStatus.draft
    assert contract.tenant.code == "T-XH" and contract.tenant.name == "星河科技有限公司"
    version = contract.versions[0]
    terms = contracts_service.terms_of(version)
    assert [u.code for u in terms.units] == ["U-201", "U-202"]
    assert (terms.lease_start, terms.end) == (date(2026, 4, 1), date(2028, 3, 31))
    assert {f.name: f.price for f in terms.fee_items} == {"租金": 100, "物业费": 10}
    assert [(w.start, w.end) for w in terms.free_rent] == [(date(2026, 4, 1), date(2026, 5, 31))]
    assert version.deposits == [{"item": conversion.DEPOSIT_ITEM, "amount": "30000.00"}]
    # The first quarter on 150 m²: April and May are free of rent (June is not), the
    # property fee is owed all three months.
    first = compile_schedule(terms)[0:2]
    assert [(c.item, c.amount) for c in first] == [
        ("租金", Decimal("15000.00")),
        ("物业费", Decimal("4500.00")),
    ]
    lead = service.read_lead(session=session, actor=staff, code=code)
    assert lead.stage == Stage.signed and lead.contract_code == contract.code
    assert lead.tenant_code == "T-XH" and lead.deposit_status == DepositStatus.applied
    with pytest.raises(Conflict, match="signed"):
        conversion.convert(session=session, actor=staff, code=code, data=data)


def test_a_lead_converts_only_from_negotiation_with_a_full_quote(
    session: Session, acme: World
) -> None:
    staff = acme.actors["staff"]
    data = Conversion(tenant_code="TA", electricity_tariff=Decimal("1.1"))
    code = new_lead(session, acme).code
    with pytest.raises(Conflict, match="visit"):
        conversion.convert(session=session, actor=staff, code=code, data=data)
    service.add_follow_up(session=session, actor=staff, code=code, data=quote(lease_start=None))
    service.move_stage(session=session, actor=staff, code=code, data=StageMove(stage="negotiation"))
    with pytest.raises(Invalid, match="lease_start"):
        conversion.convert(session=session, actor=staff, code=code, data=data)
    service.add_follow_up(session=session, actor=staff, code=code, data=quote())
    contract = conversion.convert(session=session, actor=staff, code=code, data=data)
    assert contract.tenant.code == "TA"  # an existing tenant is used, not made again


@pytest.mark.parametrize("role", ["engineer", "tenant"])
def test_engineers_and_tenants_see_no_leads(session: Session, acme: World, role: str) -> None:
    code = new_lead(session, acme).code
    with pytest.raises(Forbidden):
        service.read_lead(session=session, actor=acme.actors[role], code=code)
    with pytest.raises(Forbidden):
        service.list_leads(session=session, actor=acme.actors[role])


def test_finance_reads_but_does_not_write(session: Session, acme: World) -> None:
    code = new_lead(session, acme).code
    finance = acme.actors["finance"]
    assert [s.code for s in service.list_leads(session=session, actor=finance)] == [code]
    with pytest.raises(Forbidden):
        service.add_follow_up(session=session, actor=finance, code=code, data=quote())


def test_another_orgs_lead_is_not_found(session: Session, acme: World) -> None:
    code = new_lead(session, acme).code
    other = acme.actors["staff"].__class__(
        **{**acme.actors["staff"].__dict__, "org_id": acme.org.id + 1}
    )
    with pytest.raises(NotFound):
        service.read_lead(session=session, actor=other, code=code)


def test_an_open_lead_gets_units_contacts_and_a_tenant_later(session: Session, acme: World) -> None:
    staff = acme.actors["staff"]
    code = new_lead(session, acme, unit_codes=[]).code
    change = LeadUpdate(unit_codes=["U-203", "U-202"], tenant_code="TB", wanted_area_m2="100")
    service.update_lead(session=session, actor=staff, code=code, data=change)
    service.add_contact(
        session=session, actor=staff, code=code, data=ContactData(name="韩梅梅", phone="139")
    )
    read = service.read_lead(session=session, actor=staff, code=code)
    assert read.unit_codes == ["U-202", "U-203"] and read.tenant_code == "TB"
    assert [c.name for c in read.contacts] == ["李雷", "韩梅梅"]
    assert read.wanted_area_m2 == Decimal("100")
    with pytest.raises(Invalid, match="company"):
        service.update_lead(session=session, actor=staff, code=code, data=LeadUpdate(company=None))
    with pytest.raises(Invalid, match="TZ"):
        service.update_lead(
            session=session, actor=staff, code=code, data=LeadUpdate(tenant_code="TZ")
        )

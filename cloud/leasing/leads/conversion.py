"""A lead's letter of intent with its deposit (定金), and a won lead becoming a draft contract.

The deposit's ledger is built elsewhere: here each step of the deposit (agreed, received, then
applied to the contract, refunded or forfeited) is kept as a `DepositChange` the ledger will
post. A won lead's draft contract takes the lead's units and tenant (made from the lead's
company when it has none) and the terms of its last quote; it goes through approval and signing
like any other contract.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from cloud.errors import Conflict, Invalid
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor, require_role
from cloud.leasing import service as leasing_service
from cloud.leasing.contracts import drafts
from cloud.leasing.contracts.models import Contract
from cloud.leasing.contracts.schemas import ContractCreate
from cloud.leasing.leads import service
from cloud.leasing.leads.models import (
    WAY,
    DepositChange,
    DepositStatus,
    FollowUp,
    FollowUpKind,
    Lead,
    Stage,
)
from cloud.leasing.leads.schemas import Conversion, DepositMove, LetterOfIntent
from cloud.leasing.models import Tenant
from cloud.leasing.schemas import TenantCreate
from cloud.leasing.terms import add_months

DEPOSIT_STEPS = {
    DepositStatus.agreed: (DepositStatus.received,),
    DepositStatus.received: (
        DepositStatus.applied,
        DepositStatus.refunded,
        DepositStatus.forfeited,
    ),
}
"""Where a deposit may go from each status (applied, refunded and forfeited are final)."""
DEPOSIT_ITEM = "定金（意向书）"


def sign_loi(*, session: Session, actor: Actor, code: str, data: LetterOfIntent) -> Lead:
    """Record the letter of intent: the lead moves to `loi` and its deposit is agreed."""
    lead = service.open_lead(session=session, actor=actor, code=code)
    if lead.stage == Stage.loi:
        raise Conflict(f"lead {code} already has a letter of intent ({lead.loi_signed_on})")
    if last_quote(lead) is None:
        raise Conflict(f"lead {code} has no quote yet; a letter of intent follows a quote")
    lead.loi_signed_on, lead.deposit_amount = data.signed_on, data.deposit
    _deposit(actor, lead, DepositStatus.agreed, data.signed_on)
    service.move(actor, lead, Stage.loi, data.signed_on, "")
    session.flush()
    return lead


def move_deposit(*, session: Session, actor: Actor, code: str, data: DepositMove) -> Lead:
    """The deposit is received, refunded, forfeited (or applied, which conversion does)."""
    # A lost or converted lead's deposit is still refunded or forfeited, so any stage will do.
    require_role(actor, *service.WRITE_ROLES)
    lead = service.get_lead(session=session, actor=actor, code=code)
    if lead.deposit_status is None:
        raise Conflict(f"lead {code} has no letter of intent, so no deposit")
    if data.status not in DEPOSIT_STEPS.get(lead.deposit_status, ()):
        raise Conflict(
            f"the deposit of {code} is {lead.deposit_status}; it cannot become {data.status}"
        )
    on = data.on or identity_service.org_today(session=session, actor=actor)
    _deposit(actor, lead, data.status, on)
    session.flush()
    return lead


def _deposit(actor: Actor, lead: Lead, status: DepositStatus, on: Any) -> None:
    assert lead.deposit_amount is not None
    lead.deposit_status = status
    lead.deposit_changes.append(
        DepositChange(
            org_id=actor.org_id,
            status=status,
            amount=lead.deposit_amount,
            changed_on=on,
            changed_by_id=actor.user_id,
        )
    )


def last_quote(lead: Lead) -> FollowUp | None:
    quotes = [f for f in lead.follow_ups if f.kind == FollowUpKind.quote]
    return quotes[-1] if quotes else None


def convert(*, session: Session, actor: Actor, code: str, data: Conversion) -> Contract:
    """The won lead becomes a draft contract on its units, for its tenant, on its last quote;
    the lead is then `signed`, and a received deposit is applied to the contract."""
    lead = service.open_lead(session=session, actor=actor, code=code)
    if WAY.index(lead.stage) < WAY.index(Stage.negotiation):
        raise Conflict(f"lead {code} is at {lead.stage}; it converts from negotiation or later")
    quote = last_quote(lead)
    if quote is None or quote.lease_start is None or quote.term_months is None:
        raise Invalid(
            "the last quote must name lease_start and term_months to make a contract",
            field="follow_ups",
        )
    if not lead.units:
        raise Invalid(f"lead {code} names no unit", field="unit_codes")
    tenant = _tenant(session, actor, lead, data)
    deposits = []
    if lead.deposit_status == DepositStatus.received and lead.deposit_amount is not None:
        deposits.append({"item": DEPOSIT_ITEM, "amount": lead.deposit_amount})
    contract = drafts.create_contract(
        session=session,
        actor=actor,
        data=ContractCreate.model_validate(
            {
                "code": data.contract_code,
                "tenant_code": tenant.code,
                "terms": terms_of_quote(lead, quote, data),
                "electricity_tariff": data.electricity_tariff,
                "deposits": deposits,
            }
        ),
    )
    today = identity_service.org_today(session=session, actor=actor)
    if deposits:
        _deposit(actor, lead, DepositStatus.applied, today)
    lead.tenant_id, lead.contract_id = tenant.id, contract.id
    service.move(actor, lead, Stage.signed, today, contract.code)
    session.flush()
    return contract


def terms_of_quote(lead: Lead, quote: FollowUp, data: Conversion) -> dict[str, Any]:
    """Contract terms in the compiler's shape from a quote: rent (and property fee) per m² per
    month on the rentable area, free rent for the first `free_months`."""
    assert quote.lease_start is not None and quote.term_months is not None
    start = quote.lease_start
    end = add_months(start, quote.term_months) - timedelta(days=1)
    fees: list[dict[str, Any]] = [_fee("租金", "rent", quote.rent_per_m2_month)]
    if quote.property_fee_per_m2_month:
        fees.append(_fee("物业费", "property_fee", quote.property_fee_per_m2_month))
    free = []
    if quote.free_months:
        free.append(
            {"start": start, "end": add_months(start, quote.free_months) - timedelta(days=1)}
        )
    return {
        "lease_start": start,
        "rent_start": start,
        "end": end,
        "units": [
            {
                "code": u.code,
                "gross": u.gross_area_m2 or u.rentable_area_m2,
                "net": u.net_area_m2 or u.rentable_area_m2,
                "rentable": u.rentable_area_m2,
            }
            for u in lead.units
        ],
        "fee_items": fees,
        "free_rent": free,
        "payment_cycle": data.payment_cycle,
    }


def _fee(name: str, kind: str, price: Decimal | None) -> dict[str, Any]:
    return {"name": name, "kind": kind, "pricing": "per_m2_per_month", "price": price}


def _tenant(session: Session, actor: Actor, lead: Lead, data: Conversion) -> Tenant:
    """The lead's tenant; else the tenant named, or a new one of that code for the company."""
    if lead.tenant_id is not None:
        tenant = session.get(Tenant, lead.tenant_id)
        assert tenant is not None
        return tenant
    if data.tenant_code is None:
        raise Invalid(
            "name the tenant: an existing tenant's code or a new one", field="tenant_code"
        )
    try:
        return leasing_service.get_tenant(session=session, actor=actor, code=data.tenant_code)
    except Invalid:
        made = TenantCreate(code=data.tenant_code, name=data.tenant_name or lead.company)
        return leasing_service.create_tenant(session=session, actor=actor, data=made)

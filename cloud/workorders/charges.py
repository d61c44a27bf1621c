"""Chargeable work: materials and labour priced to the fen, and the pending charge a verified
job leaves for the tenant's next bill (billing picks these up)."""

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.workorders.models import ChargeStatus, WorkOrder, WorkOrderCharge

FEN = Decimal("0.01")


def material_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Quantity times unit price, to the fen, half up."""
    return (quantity * unit_price).quantize(FEN, ROUND_HALF_UP)


def labour_amount(minutes: int, hourly_rate: Decimal) -> Decimal:
    """Minutes at an hourly rate, to the fen, half up."""
    return (Decimal(minutes) * hourly_rate / 60).quantize(FEN, ROUND_HALF_UP)


def raise_charge(session: Session, order: WorkOrder) -> WorkOrderCharge | None:
    """On verify: what the chargeable work costs the tenant, less what was billed for it
    before a reopen, pending for the tenant's next bill."""
    if not order.chargeable or order.tenant_id is None:
        return None
    materials = sum((m.amount for m in order.materials), Decimal("0.00"))
    labour = sum((w.amount for w in order.labour), Decimal("0.00"))
    billed = session.scalar(
        select(func.coalesce(func.sum(WorkOrderCharge.amount), 0)).where(
            WorkOrderCharge.work_order_id == order.id,
            WorkOrderCharge.status == ChargeStatus.billed,
        )
    )
    amount = materials + labour - Decimal(billed or 0)
    if amount <= 0:
        return None
    charge = WorkOrderCharge(
        org_id=order.org_id,
        work_order_id=order.id,
        tenant_id=order.tenant_id,
        unit_id=order.unit_id,
        description=f"{order.code} {order.title}"[:200],
        materials_amount=materials,
        labour_amount=labour,
        amount=amount,
        status=ChargeStatus.pending,
    )
    session.add(charge)
    session.flush()
    return charge


def list_charges(
    *, session: Session, actor: Actor, status: ChargeStatus | None = None
) -> list[WorkOrderCharge]:
    """Charges from work orders (a tenant: its own), newest first."""
    require_role(actor, Role.admin, Role.staff, Role.finance, Role.tenant)
    stmt = select(WorkOrderCharge).where(WorkOrderCharge.org_id == actor.org_id)
    if actor.is_tenant:
        stmt = stmt.where(WorkOrderCharge.tenant_id == actor.tenant_id)
    if status is not None:
        stmt = stmt.where(WorkOrderCharge.status == status)
    return list(session.scalars(stmt.order_by(WorkOrderCharge.id.desc())))

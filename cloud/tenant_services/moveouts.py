"""Move-out (撤场): staff open one for a tenant leaving a unit, tick the checklist, take the
final meter readings, and settle the deposit once every item is done (the deduction and the
refund are recorded here and handed to the deposit ledger's seam)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.db.base import utcnow
from cloud.errors import Conflict, Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.identity.models import Role
from cloud.leasing.models import Tenant
from cloud.properties.models import Unit
from cloud.tenant_services.codes import next_code
from cloud.tenant_services.deposits import RECORDED_ONLY, DepositLedger
from cloud.tenant_services.models import MoveOut, MoveOutState
from cloud.tenant_services.schemas import MoveOutCreate, MoveOutRead, MoveOutUpdate, Settlement

STAFF = (Role.admin, Role.staff)
READERS = (Role.admin, Role.staff, Role.finance, Role.engineer, Role.tenant)
CHECKLIST = (
    "钥匙门卡交回 Keys and cards returned",
    "场地恢复原状 Premises restored",
    "物品清空 Belongings removed",
    "费用结清 Bills paid",
)


def open_move_out(
    *, session: Session, actor: Actor, data: MoveOutCreate, now: datetime | None = None
) -> MoveOut:
    require_role(actor, *STAFF)
    tenant = session.scalar(
        select(Tenant).where(Tenant.org_id == actor.org_id, Tenant.code == data.tenant_code)
    )
    if tenant is None:
        raise Invalid(f"no tenant {data.tenant_code}", field="tenant_code")
    unit = session.scalar(
        select(Unit).where(Unit.org_id == actor.org_id, Unit.code == data.unit_code)
    )
    if unit is None:
        raise Invalid(f"no unit {data.unit_code}", field="unit_code")
    move_out = MoveOut(
        org_id=actor.org_id,
        code=next_code(
            session,
            org_id=actor.org_id,
            prefix="CC",
            column=MoveOut.code,
            org_column=MoveOut.org_id,
            at=now or utcnow(),
        ),
        tenant_id=tenant.id,
        unit_id=unit.id,
        planned_on=data.planned_on,
        checklist=dict.fromkeys(CHECKLIST, False),
        final_readings={},
        state=MoveOutState.open,
    )
    session.add(move_out)
    session.flush()
    return move_out


def get(*, session: Session, actor: Actor, code: str) -> MoveOut:
    require_role(actor, *READERS)
    stmt = select(MoveOut).where(MoveOut.org_id == actor.org_id, MoveOut.code == code)
    if actor.is_tenant:
        stmt = stmt.where(MoveOut.tenant_id == actor.tenant_id)
    found = session.scalar(stmt)
    if found is None:
        raise NotFound(f"move-out {code} not found")
    return found


def update(*, session: Session, actor: Actor, code: str, data: MoveOutUpdate) -> MoveOut:
    """Tick checklist items and record final meter readings (by meter code)."""
    require_role(actor, *STAFF, Role.engineer)
    move_out = _open(session, actor, code)
    unknown = set(data.checklist) - set(move_out.checklist)
    if unknown:
        raise Invalid(f"not on the checklist: {', '.join(sorted(unknown))}", field="checklist")
    move_out.checklist = {**move_out.checklist, **data.checklist}
    readings = {meter: str(value) for meter, value in data.final_readings.items()}
    move_out.final_readings = {**move_out.final_readings, **readings}
    session.flush()
    return move_out


def settle(
    *,
    session: Session,
    actor: Actor,
    code: str,
    data: Settlement,
    ledger: DepositLedger = RECORDED_ONLY,
    now: datetime | None = None,
) -> MoveOut:
    """Settle the deposit: refund = held − deductions; only when the checklist is done and
    a final reading is recorded."""
    require_role(actor, Role.admin, Role.finance)
    move_out = _open(session, actor, code)
    if not all(move_out.checklist.values()):
        raise Conflict(f"move-out {code} has checklist items left")
    if not move_out.final_readings:
        raise Conflict(f"move-out {code} has no final meter readings")
    if data.deductions > data.deposit_held:
        raise Invalid("deductions exceed the deposit held", field="deductions")
    move_out.deposit_held, move_out.deductions = data.deposit_held, data.deductions
    move_out.refund = data.deposit_held - data.deductions
    move_out.state, move_out.settled_at = MoveOutState.settled, now or utcnow()
    ledger.settled(
        session,
        org_id=move_out.org_id,
        tenant_id=move_out.tenant_id,
        deducted=data.deductions,
        refunded=move_out.refund,
        reference=move_out.code,
    )
    session.flush()
    return move_out


def _open(session: Session, actor: Actor, code: str) -> MoveOut:
    move_out = get(session=session, actor=actor, code=code)
    if move_out.state != MoveOutState.open:
        raise Conflict(f"move-out {code} is settled")
    return move_out


def read(move_out: MoveOut) -> MoveOutRead:
    return MoveOutRead(
        code=move_out.code,
        tenant_code=move_out.tenant.code,
        unit_code=move_out.unit.code,
        planned_on=move_out.planned_on,
        checklist=move_out.checklist,
        final_readings=move_out.final_readings,
        state=move_out.state,
        deposit_held=move_out.deposit_held,
        deductions=move_out.deductions,
        refund=move_out.refund,
    )

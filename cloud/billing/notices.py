"""Telling tenants their bills are posted: one in-app and one e-mail notice to every login of
the bill's tenant, written in the posting's transaction (see `runs.on_bills_posted`)."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.billing.arrears import settled_per_charge
from cloud.billing.models import Bill, LedgerEntry
from cloud.notifications import service as notifications
from cloud.notifications.models import Channel

TEMPLATE = "billing.bill_posted"
LINK = "/m/bills"
CHANNELS = (Channel.in_app, Channel.email)


def tell_tenants(*, session: Session, bill_ids: Sequence[int]) -> int:
    """Queue the notices of the given bills; returns how many outbox rows were written.

    The amount due is what is still open on the bill when it is posted: prepaid money the new
    charges already took is not asked for again."""
    if not bill_ids:
        return 0
    by_org: dict[int, list[tuple[int, dict[str, object]]]] = {}
    for bill, due in _bills_due(session, bill_ids):
        by_org.setdefault(bill.org_id, []).append(
            (
                bill.tenant_id,
                {
                    "code": bill.code,
                    "period": f"{bill.period_start:%Y-%m-%d} ~ {bill.period_end:%Y-%m-%d}",
                    "amount": f"{due:,.2f}",
                    "due": f"{bill.due_date:%Y-%m-%d}",
                },
            )
        )
    return sum(
        len(
            notifications.notify_tenants(
                session=session,
                org_id=org_id,
                template=TEMPLATE,
                notices=notices,
                channels=CHANNELS,
                link=LINK,
            )
        )
        for org_id, notices in by_org.items()
    )


def _bills_due(session: Session, bill_ids: Sequence[int]) -> list[tuple[Bill, Decimal]]:
    bills = list(session.scalars(select(Bill).where(Bill.id.in_(bill_ids)).order_by(Bill.id)))
    owed: dict[int, Decimal] = {}
    for org_id in {bill.org_id for bill in bills}:
        paid = settled_per_charge(org_id)
        rows = session.execute(
            select(
                LedgerEntry.bill_id,
                func.sum(LedgerEntry.amount - func.coalesce(paid.c.paid, 0)),
            )
            .outerjoin(paid, paid.c.debit_id == LedgerEntry.id)
            .where(
                LedgerEntry.org_id == org_id,
                LedgerEntry.bill_id.in_(bill_ids),
                LedgerEntry.amount > 0,
            )
            .group_by(LedgerEntry.bill_id)
        )
        owed.update({bill_id: ledger.fen(amount) for bill_id, amount in rows if bill_id})
    return [(bill, owed.get(bill.id, Decimal("0.00"))) for bill in bills]

"""Posting bills tells each tenant's logins of their own bill, in-app and by e-mail, in their
language, in the posting's transaction; a re-run that adds nothing tells nobody again."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing import arrears, ledger, runs
from cloud.billing.models import Bill
from cloud.notifications.models import Channel, Contact, OutboxMessage, Status
from tests.cloud.billing.conftest import MARCH
from tests.cloud.factories import World

TEMPLATE = "billing.bill_posted"


def _notices(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    stmt = select(OutboxMessage).where(OutboxMessage.template == TEMPLATE)
    return list(session.scalars(stmt.order_by(OutboxMessage.id)))


def test_each_tenant_hears_of_its_own_bill_only(session: Session, march: World) -> None:
    tenant_a, tenant_b = march.actors["tenant"], march.actors["tenant_b"]
    session.add(
        Contact(user_id=tenant_b.user_id, org_id=march.org.id, language="en", email="b@tb.test")
    )
    # TA paid 1000.00 ahead: the new charges take it, so its notice asks for the rest
    ledger.receive_payment(
        session=session,
        actor=march.actors["finance"],
        tenant_id=march.tenants["TA"].id,
        amount=Decimal("1000.00"),
        received_on=date(2026, 3, 1),
        method="bank",
        reference="prepaid",
        idempotency_key="prepaid-ta",
    )
    runs.post_run(session=session, actor=march.actors["finance"], **MARCH)
    session.commit()

    rows = _notices(session)
    assert {(row.user_id, row.channel) for row in rows} == {
        (tenant_a.user_id, Channel.in_app),
        (tenant_a.user_id, Channel.email),
        (tenant_b.user_id, Channel.in_app),
        (tenant_b.user_id, Channel.email),
    }  # no staff, no finance, nobody of org `other`
    bills = {
        b.tenant_id: b for b in arrears.list_bills(session=session, actor=march.actors["finance"])
    }
    for row in rows:
        tenant_id = tenant_a.tenant_id if row.user_id == tenant_a.user_id else tenant_b.tenant_id
        bill = bills[tenant_id]
        assert row.org_id == march.org.id and row.link == "/m/bills"
        assert bill.code in row.subject and f"{bill.outstanding:,.2f}" in row.body
        assert bill.due_date.isoformat() in row.body and "2026-03-01 ~ 2026-03-31" in row.body
    ta_bill = bills[tenant_a.tenant_id]
    assert ta_bill.outstanding == ta_bill.total - Decimal("1000.00")

    by_user = {(row.user_id, row.channel): row for row in rows}
    english = by_user[(tenant_b.user_id, Channel.email)]
    assert (english.language, english.address, english.status) == (
        "en",
        "b@tb.test",
        Status.pending,
    )
    assert english.subject.startswith("New bill ")
    chinese = by_user[(tenant_a.user_id, Channel.in_app)]
    assert chinese.language == "zh" and chinese.subject.startswith("新账单 ")
    # TA's login has no e-mail address: kept as failed, with the reason
    assert by_user[(tenant_a.user_id, Channel.email)].status == Status.failed

    runs.post_run(session=session, actor=march.actors["finance"], **MARCH)
    session.commit()
    assert len(_notices(session)) == len(rows)


def test_the_notices_exist_only_if_the_posting_commits(
    sessions: sessionmaker[Session], march: World
) -> None:
    with sessions() as session:
        runs.post_run(session=session, actor=march.actors["finance"], **MARCH)
        assert _notices(session)
        session.rollback()
    with sessions() as session:
        assert session.scalars(select(Bill)).all() == []
        assert _notices(session) == []

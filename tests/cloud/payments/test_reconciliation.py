"""Bank statements: CSV and Excel through a column mapping, matches by amount, payer and
reference with a confidence, a queue for people, bad rows by number, no double import."""

import io
from datetime import date, datetime
from decimal import Decimal

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import ledger
from cloud.billing.models import EntryKind, LedgerEntry
from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.identity.actor import Actor
from cloud.identity.models import User
from cloud.payments import reconciliation
from cloud.payments.models import LineStatus
from cloud.payments.schemas import ColumnMapping, LineDecision
from tests.cloud.factories import PASSWORD, World
from tests.cloud.payments.conftest import BillMaker

D = Decimal
HEADER = "交易日期,贷方金额,对方户名,摘要,流水号\n"
MAPPING = ColumnMapping()
# TA Ltd owes ZD-A 1000.00 + ZD-A2 250.00; TB Ltd owes ZD-B 1000.00.
STATEMENT = (
    HEADER
    + "2026-03-10,600.00,TA Ltd,3月租金,B001\n"  # the name, and part of what TA owes
    + "2026-03-10,250.00,TA有限公司,ZD-A2,B002\n"  # bill in reference + amount + close name
    + "2026-03-11,77.00,Someone Else,转账,B003\n"  # nothing matches
    + "2026-03-12,,TA Ltd,支出,B004\n"  # money going out: not a credit, skipped
    + "2026/03/12,10.00,TB Ltd,ZD-B,B005\n"  # bad date format
    + "2026-03-13,abc,TB Ltd,ZD-B,B006\n"  # bad amount
    + "2026-03-14,1000.00,TB Ltd,ZD-B 租金,B007\n"  # name + bill + amount
)


@pytest.fixture
def bills(world: World, make_bill: BillMaker) -> None:
    make_bill(world, "TA", "ZD-A", 3, ("rent", "1000.00"))
    make_bill(world, "TA", "ZD-A2", 4, ("water", "250.00"))
    make_bill(world, "TB", "ZD-B", 3, ("rent", "1000.00"))


def import_csv(session: Session, world: World, text: str, name: str = "march.csv"):  # type: ignore[no-untyped-def]
    return reconciliation.import_statement(
        session=session,
        actor=world.actors["finance"],
        filename=name,
        content=text.encode(),
        mapping=MAPPING,
    )


def paid(session: Session, world: World, tenant: str) -> list[Decimal]:
    return list(
        session.scalars(
            select(LedgerEntry.amount)
            .where(
                LedgerEntry.tenant_id == world.tenants[tenant].id,
                LedgerEntry.kind == EntryKind.payment,
            )
            .order_by(LedgerEntry.id)
        )
    )


def test_confident_matches_are_applied_and_the_rest_queued(
    session: Session, world: World, bills: None
) -> None:
    result = import_csv(session, world, STATEMENT)
    assert (result.rows_read, result.lines_added, result.matched, result.queued) == (7, 4, 2, 2)
    assert [(b.row, b.reason) for b in result.bad_rows] == [
        (6, "date '2026/03/12' is not like %Y-%m-%d"),
        (7, "amount 'abc' is not a number"),
    ]
    lines = {
        line.bank_txn_id: line
        for line in reconciliation.list_lines(session=session, actor=world.actors["finance"])
    }
    assert lines["B002"].status == LineStatus.matched and lines["B002"].tenant_code == "TA"
    assert lines["B002"].confidence >= D("0.75")
    assert "reference names bill ZD-A2" in lines["B002"].match_reasons
    assert lines["B007"].status == LineStatus.matched and lines["B007"].tenant_code == "TB"
    assert lines["B007"].confidence == D("1.000")
    # The name says TA, but the amount is only part of a bill: a person decides.
    assert lines["B001"].status == LineStatus.queued
    assert lines["B001"].suggested_tenant_code == "TA"
    assert D("0.5") < lines["B001"].confidence < D("0.75")
    assert lines["B003"].status == LineStatus.queued and lines["B003"].suggested_tenant_code is None
    assert paid(session, world, "TA") == [D("-250.00")]
    assert paid(session, world, "TB") == [D("-1000.00")]


def test_a_statement_imported_twice_adds_nothing(
    session: Session, world: World, bills: None
) -> None:
    first = import_csv(session, world, STATEMENT)
    again = import_csv(session, world, STATEMENT, name="march-again.csv")
    assert again.already_imported and again.lines_added == 0 and again.matched == 0
    # An overlapping statement (other file, some of the same bank transactions) adds only the new.
    overlap = HEADER + "2026-03-14,1000.00,TB Ltd,ZD-B 租金,B007\n2026-03-15,5.00,X,Y,B008\n"
    more = import_csv(session, world, overlap, name="march-15.csv")
    assert (more.lines_added, more.lines_seen_before) == (1, 1)
    assert first.lines_added == 4
    assert len(reconciliation.list_lines(session=session, actor=world.actors["finance"])) == 5
    assert paid(session, world, "TB") == [D("-1000.00")]


def test_a_person_confirms_assigns_or_dismisses_queued_lines(
    session: Session, world: World, bills: None
) -> None:
    import_csv(session, world, STATEMENT)
    finance = world.actors["finance"]
    queued = {
        line.bank_txn_id: line
        for line in reconciliation.list_lines(session=session, actor=finance, queued_only=True)
    }
    assert set(queued) == {"B001", "B003"}
    confirmed = reconciliation.decide(
        session=session, actor=finance, line_id=queued["B001"].id, data=LineDecision()
    )
    assert (confirmed.status, confirmed.tenant_code) == (LineStatus.confirmed, "TA")
    with pytest.raises(Invalid, match="no tenant suggested"):
        reconciliation.decide(
            session=session, actor=finance, line_id=queued["B003"].id, data=LineDecision()
        )
    assigned = reconciliation.decide(
        session=session,
        actor=finance,
        line_id=queued["B003"].id,
        data=LineDecision(tenant_code="TB"),
    )
    assert assigned.tenant_code == "TB"
    with pytest.raises(Conflict, match="confirmed already"):
        reconciliation.decide(
            session=session,
            actor=finance,
            line_id=queued["B003"].id,
            data=LineDecision(dismiss=True),
        )
    assert paid(session, world, "TA") == [D("-250.00"), D("-600.00")]
    assert paid(session, world, "TB") == [D("-1000.00"), D("-77.00")]
    outstanding = ledger.tenant_balance(
        session=session, actor=finance, tenant_id=world.tenants["TA"].id
    )
    assert outstanding.outstanding == D("400.00")


def test_excel_statement_with_its_own_column_names(
    session: Session, world: World, bills: None
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Date", "Credit", "Payer", "Memo"])
    sheet.append([datetime(2026, 3, 14), 1000, "TB Ltd", "ZD-B"])
    sheet.append([date(2026, 3, 15), -3.5, "Bank", "fee"])
    buffer = io.BytesIO()
    book.save(buffer)
    mapping = ColumnMapping(
        booked_on="Date", amount="Credit", payer_name="Payer", reference="Memo", bank_txn_id=None
    )
    result = reconciliation.import_statement(
        session=session,
        actor=world.actors["finance"],
        filename="march.xlsx",
        content=buffer.getvalue(),
        mapping=mapping,
    )
    assert (result.lines_added, result.matched) == (1, 1)
    assert [(b.row, b.reason) for b in result.bad_rows] == [
        (3, "amount '-3.5' is not a positive credit")
    ]
    with pytest.raises(Invalid, match="no column 交易日期"):
        reconciliation.import_statement(
            session=session,
            actor=world.actors["finance"],
            filename="m.xlsx",
            content=buffer.getvalue(),
            mapping=MAPPING,
        )


def test_only_finance_reconciles_and_only_its_own_org(
    session: Session, world: World, bills: None
) -> None:
    with pytest.raises(Forbidden):
        reconciliation.import_statement(
            session=session,
            actor=world.actors["tenant"],
            filename="x.csv",
            content=STATEMENT.encode(),
            mapping=MAPPING,
        )
    import_csv(session, world, STATEMENT)
    other = Actor.of(session.scalars(select(User).where(User.username == "other-finance")).one())
    assert reconciliation.list_lines(session=session, actor=other) == []
    [line, *_] = reconciliation.list_lines(session=session, actor=world.actors["finance"])
    with pytest.raises(NotFound):
        reconciliation.decide(session=session, actor=other, line_id=line.id, data=LineDecision())
    # The same file in the other org is its own statement, matched against its own tenants.
    theirs = import_csv(
        session, World(**{**world.__dict__, "actors": {"finance": other}}), STATEMENT
    )
    assert not theirs.already_imported and theirs.matched == 0


async def test_rest_import_with_a_mapping_and_the_queue(
    world: World, bills: None, client: httpx.AsyncClient
) -> None:
    login = await client.post(
        "/api/v1/auth/login", json={"username": world.username("finance"), "password": PASSWORD}
    )
    finance = {"Authorization": f"Bearer {login.json()['access_token']}"}
    mapping = ColumnMapping(
        booked_on="Date", amount="Credit", payer_name="Payer", reference="Memo", bank_txn_id=None
    )
    statement = "Date,Credit,Payer,Memo\n2026-03-14,1000.00,TB Ltd,ZD-B\n2026-03-15,9.00,X,Y\n"
    answer = await client.post(
        "/api/v1/bank-statements",
        files={"file": ("march.csv", statement.encode(), "text/csv")},
        data={"mapping": mapping.model_dump_json()},
        headers=finance,
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["matched"], answer.json()["queued"]) == (1, 1)
    queued = await client.get(
        "/api/v1/bank-statement-lines", params={"queued_only": True}, headers=finance
    )
    [line] = queued.json()
    decided = await client.post(
        f"/api/v1/bank-statement-lines/{line['id']}/decision",
        json={"dismiss": True},
        headers=finance,
    )
    assert decided.status_code == 200 and decided.json()["status"] == "dismissed"
    missing = await client.post(
        "/api/v1/bank-statements",
        files={"file": ("march.csv", statement.encode(), "text/csv")},
        headers=finance,
    )
    assert missing.status_code == 422 and missing.json()["field"] == "mapping"


def test_a_line_naming_a_bill_settles_that_bill_first(
    session: Session, world: World, bills: None
) -> None:
    import_csv(session, world, STATEMENT)
    items = ledger.open_items(
        session=session, actor=world.actors["finance"], tenant_id=world.tenants["TA"].id
    )
    # B002 (250.00) settled ZD-A2, which it names, not the older ZD-A (B001 waits in the queue).
    assert [(item.bill_code, item.outstanding) for item in items] == [("ZD-A", D("1000.00"))]

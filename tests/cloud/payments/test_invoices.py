"""Invoices: requests with tax details, numbered without gaps per org and year, a printable
document, and each tenant sees only its own."""

import threading
from datetime import date
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.errors import Conflict, Forbidden, NotFound
from cloud.identity.actor import Actor
from cloud.identity.models import User
from cloud.payments import invoices
from cloud.payments.models import Invoice, InvoiceStatus
from cloud.payments.schemas import InvoiceRequestCreate
from tests.cloud.factories import PASSWORD, World

TAX_ID = "91310000MA1FL0000X"


def ask(session: Session, actor: Actor, amount: str = "100.00", **extra: str) -> int:
    request = invoices.request_invoice(
        session=session,
        actor=actor,
        data=InvoiceRequestCreate(
            amount=Decimal(amount),
            buyer_name="TA Ltd",
            tax_id=TAX_ID,
            address="上海市浦东新区 021-5555",
            bank="招商银行 6225 0000",
            **extra,
        ),
    )
    return request.request_id


def issue(session: Session, world: World, request_id: int, on: date) -> str:
    issued = invoices.issue(
        session=session, actor=world.actors["finance"], request_id=request_id, today=on
    )
    assert issued.number is not None
    return issued.number


def test_numbers_run_without_gaps_per_year_and_a_rollback_gives_its_number_back(
    session: Session, sessions: sessionmaker[Session], world: World
) -> None:
    tenant = world.actors["tenant"]
    ids = [ask(session, tenant) for _ in range(4)]
    session.commit()
    assert issue(session, world, ids[0], date(2026, 12, 30)) == "FP-2026-000001"
    session.commit()
    # An issue that fails after taking a number rolls back with it: the number is not lost.
    issue(session, world, ids[1], date(2026, 12, 31))
    session.rollback()
    assert issue(session, world, ids[1], date(2026, 12, 31)) == "FP-2026-000002"
    assert issue(session, world, ids[2], date(2027, 1, 2)) == "FP-2027-000001"
    assert issue(session, world, ids[3], date(2026, 12, 31)) == "FP-2026-000003"
    session.commit()
    with pytest.raises(Conflict, match="issued already"):
        issue(session, world, ids[0], date(2026, 12, 31))
    seqs = session.scalars(select(Invoice.seq).where(Invoice.year == 2026).order_by(Invoice.seq))
    assert list(seqs) == [1, 2, 3]


def test_concurrent_issuers_get_consecutive_numbers(
    session: Session, sessions: sessionmaker[Session], world: World, database_url: str
) -> None:
    workers = 6 if database_url.startswith("postgresql") else 1  # SQLite: one writer at a time
    ids = [ask(session, world.actors["finance"], tenant_code="TA") for _ in range(workers)]
    session.commit()
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(request_id: int) -> None:
        try:
            start.wait()
            with sessions.begin() as own:
                issue(own, world, request_id, date(2026, 6, 1))
        except BaseException as error:  # noqa: BLE001 - reported on the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    numbers = sorted(session.scalars(select(Invoice.number)))
    assert numbers == [f"FP-2026-{n:06d}" for n in range(1, workers + 1)]


def test_document_and_scoping(session: Session, world: World) -> None:
    request_id = ask(session, world.actors["tenant"], amount="16200.50")
    [waiting] = invoices.list_requests(session=session, actor=world.actors["finance"])
    assert (waiting.request_id, waiting.status, waiting.number) == (
        request_id,
        InvoiceStatus.requested,
        None,
    )
    number = issue(session, world, request_id, date(2026, 3, 31))
    content_type, html = invoices.document(
        session=session, actor=world.actors["tenant"], number=number
    )
    assert content_type.startswith("text/html")
    assert TAX_ID in html and "16,200.50" in html and number in html and "Org acme" in html
    with pytest.raises(NotFound):
        invoices.document(session=session, actor=world.actors["tenant_b"], number=number)
    other = Actor.of(session.scalars(select(User).where(User.username == "other-finance")).one())
    with pytest.raises(NotFound):
        invoices.document(session=session, actor=other, number=number)
    with pytest.raises(Forbidden):
        ask(session, world.actors["tenant_b"], tenant_code="TA")
    assert invoices.list_requests(session=session, actor=world.actors["tenant_b"]) == []
    [mine] = invoices.list_requests(session=session, actor=world.actors["tenant"])
    assert (mine.status, mine.number) == (InvoiceStatus.issued, number)
    with pytest.raises(Forbidden):
        invoices.issue(session=session, actor=world.actors["tenant"], request_id=request_id)


async def test_rest_request_issue_and_print(world: World, client: httpx.AsyncClient) -> None:
    async def login(key: str) -> dict[str, str]:
        answer = await client.post(
            "/api/v1/auth/login", json={"username": world.username(key), "password": PASSWORD}
        )
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    tenant, finance = await login("tenant"), await login("finance")
    bad = await client.post(
        "/api/v1/invoice-requests",
        json={"amount": "10.00", "buyer_name": "TA Ltd", "tax_id": "short"},
        headers=tenant,
    )
    assert bad.status_code == 422
    asked = await client.post(
        "/api/v1/invoice-requests",
        json={"amount": "10.00", "buyer_name": "TA Ltd", "tax_id": TAX_ID},
        headers=tenant,
    )
    assert asked.status_code == 201, asked.text
    issued = await client.post(
        f"/api/v1/invoice-requests/{asked.json()['request_id']}/issue", headers=finance
    )
    assert issued.status_code == 200 and issued.json()["number"].startswith("FP-")
    printed = await client.get(
        f"/api/v1/invoices/{issued.json()['number']}/document", headers=tenant
    )
    assert printed.status_code == 200 and "text/html" in printed.headers["content-type"]

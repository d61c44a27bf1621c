"""Bills as documents (缴费通知单): the PDF read back by a third-party reader holds the Chinese
labels, the tenant, every line with its meter readings, the total, what is paid and owed; the
REST path is scoped like the bill."""

from datetime import date
from decimal import Decimal

import pytest
from httpx import AsyncClient
from sqlalchemy.orm import Session

from cloud.billing import arrears, documents, ledger, runs
from cloud.documents import fonts, render
from cloud.errors import NotFound
from tests.cloud.billing.conftest import MARCH
from tests.cloud.documents.pdf_text import pdf_text
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login
from tests.conftest import need_service

API = "/api/v1/billing"
TA_NAME = "深圳市前海甲方科技有限公司"


@pytest.fixture
def billed(session: Session, march: World) -> World:
    """March posted; TA renamed in Chinese and 10,000.00 of its bill paid."""
    need_font()
    march.tenants["TA"].name = TA_NAME
    finance = march.actors["finance"]
    runs.post_run(session=session, actor=finance, posted_on=date(2026, 4, 1), **MARCH)
    ledger.receive_payment(
        session=session,
        actor=finance,
        tenant_id=march.tenants["TA"].id,
        amount=Decimal("10000.00"),
        received_on=date(2026, 4, 10),
        method="bank_transfer",
        reference="CMB 0002",
        idempotency_key="bank-0002",
    )
    session.commit()
    return march


def need_font() -> None:
    if fonts.find_cjk_font() is None:
        need_service(f"no Chinese font installed ({fonts.INSTALL_HINT})")


def flat(text: str) -> str:
    """pdftotext's layout spaces out table cells; the words themselves stay whole."""
    return " ".join(text.split())


def test_the_pdf_holds_labels_tenant_lines_readings_and_totals(
    session: Session, billed: World
) -> None:
    finance = billed.actors["finance"]
    bill = arrears.get_bill(session=session, actor=finance, code="B202603-TA")
    rendered = documents.bill_document(session=session, actor=finance, code="B202603-TA")
    assert rendered.media_type == "application/pdf" and rendered.note is None
    text = flat(pdf_text(rendered.content))
    for label in ("缴费通知单", "收费单位", "账单编号", "缴费截止日", "费用明细", "缴费方式"):
        assert label in text
    assert TA_NAME in text and "Org acme" in text and "B202603-TA" in text
    assert "2026-03-01 至 2026-03-31" in text
    for line in bill.lines:
        assert documents.money(line.amount) in text
    # M-101: (180.13625 - 100.25) x CT 40 = 3195.45 kWh at 1.3 = 4,154.09
    # a table cell wraps its lines, so the readings are looked for one by one
    for reading in ("3195.45 kWh", "M-101", "100.25", "180.13625", "倍率 40"):
        assert reading in text
    assert "4,154.09" in text and "1.3/kWh" in text
    # TA: rent 2 x 15,000.00 + 4,154.09 + shared 2 x 99.93 = 34,353.95; 10,000.00 paid
    assert bill.total == Decimal("34353.95") and bill.outstanding == Decimal("24353.95")
    assert "34,353.95" in text and "10,000.00" in text and "24,353.95" in text
    assert "人民币贰万肆仟叁佰伍拾叁元玖角伍分" in text
    assert "/m/pay" in text


def test_html_is_printable_and_escapes_text(session: Session, billed: World) -> None:
    billed.tenants["TA"].name = "<b>甲方</b>"
    session.flush()
    rendered = documents.bill_document(
        session=session, actor=billed.actors["finance"], code="B202603-TA", format="html"
    )
    page = rendered.content.decode()
    assert rendered.media_type.startswith("text/html")
    assert "&lt;b&gt;甲方&lt;/b&gt;" in page and '<td class="r">34,353.95</td>' in page


def test_without_a_font_the_bill_is_html_and_says_so(
    session: Session, billed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "find_cjk_font", lambda: None)
    rendered = documents.bill_document(
        session=session, actor=billed.actors["finance"], code="B202603-TA"
    )
    assert rendered.extension == "html" and rendered.note and "fonts-wqy-zenhei" in rendered.note


def test_a_paid_bill_says_so(session: Session, billed: World) -> None:
    finance = billed.actors["finance"]
    ledger.receive_payment(
        session=session,
        actor=finance,
        tenant_id=billed.tenants["TB"].id,
        amount=Decimal("15114.75"),
        received_on=date(2026, 4, 11),
        method="pos",
        reference="POS 1",
        idempotency_key="pos-1",
    )
    text = flat(
        pdf_text(documents.bill_document(session=session, actor=finance, code="B202603-TB").content)
    )
    assert "本账单已缴清" in text and "人民币零元整" in text


def test_a_tenant_gets_its_own_bill_only(session: Session, billed: World) -> None:
    tenant_b = billed.actors["tenant_b"]
    own = documents.bill_document(session=session, actor=tenant_b, code="B202603-TB")
    assert "15,114.75" in flat(pdf_text(own.content))
    with pytest.raises(NotFound):
        documents.bill_document(session=session, actor=tenant_b, code="B202603-TA")


async def test_rest_document_is_scoped_like_the_bill(client: AsyncClient, billed: World) -> None:
    tenant_b, finance = await login(client, "acme-tenant_b"), await login(client, "acme-finance")
    own = await client.get(f"{API}/bills/B202603-TB/document", headers=tenant_b)
    assert own.status_code == 200, own.text
    assert own.headers["content-type"] == "application/pdf"
    assert 'filename="B202603-TB.pdf"' in own.headers["content-disposition"]
    assert "15,114.75" in pdf_text(own.content)
    other = await client.get(f"{API}/bills/B202603-TA/document", headers=tenant_b)
    assert other.status_code == 404
    page = await client.get(
        f"{API}/bills/B202603-TA/document", params={"format": "html"}, headers=finance
    )
    assert page.status_code == 200 and TA_NAME in page.text
    elsewhere = await client.get(
        f"{API}/bills/B202603-TA/document", headers=await login(client, "other-finance")
    )
    assert elsewhere.status_code == 404
    wrong = await client.get(
        f"{API}/bills/B202603-TA/document", params={"format": "doc"}, headers=finance
    )
    assert wrong.status_code == 422


async def test_rest_says_why_it_is_html_without_a_font(
    client: AsyncClient, billed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "find_cjk_font", lambda: None)
    tenant_b = await login(client, "acme-tenant_b")
    answer = await client.get(f"{API}/bills/B202603-TB/document", headers=tenant_b)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "fonts-wqy-zenhei" in answer.headers["x-document-note"]
    assert 'filename="B202603-TB.html"' in answer.headers["content-disposition"]

"""The invoice (发票) as a document: seller and buyer tax details, number, date, lines with their
tax, the total in figures and in capital numerals — as PDF read back by a third-party reader,
and as the printable HTML stored when it was issued."""

from datetime import date
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.orm import Session

from cloud.documents import fonts, render
from cloud.errors import Forbidden, NotFound
from cloud.payments import invoices
from cloud.payments.invoice_documents import InvoiceLine
from cloud.payments.schemas import InvoiceRequestCreate, InvoiceSellerData
from tests.cloud.documents.pdf_text import pdf_text
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login
from tests.conftest import need_service

TAX_ID = "91440300MA5FL0000X"
BUYER = "深圳市前海甲方科技有限公司"


def issued(session: Session, world: World, amount: str = "16200.50") -> str:
    request = invoices.request_invoice(
        session=session,
        actor=world.actors["tenant"],
        data=InvoiceRequestCreate(
            amount=Decimal(amount),
            description="2026年3月租金",
            buyer_name=BUYER,
            tax_id=TAX_ID,
            address="深圳市南山区前海路 1 号 0755-5555",
            bank="招商银行前海支行 6225 0000",
        ),
    )
    invoice = invoices.issue(
        session=session,
        actor=world.actors["finance"],
        request_id=request.request_id,
        today=date(2026, 3, 31),
    )
    assert invoice.number is not None
    session.commit()
    return invoice.number


@pytest.fixture
def font() -> None:
    if fonts.find_cjk_font() is None:
        need_service(f"no Chinese font installed ({fonts.INSTALL_HINT})")


def flat(text: str) -> str:
    return " ".join(text.split())


# 16,200.50 at 9 % VAT included: 16200.50 / 1.09 = 14862.844.. -> 14,862.84 net, 1,337.66 tax
FIGURES = ("14,862.84", "9%", "1,337.66", "16,200.50", "壹万陆仟贰佰元零伍角整")


def test_the_pdf_holds_both_parties_the_lines_tax_and_the_total_in_words(
    session: Session, world: World, font: None
) -> None:
    number = issued(session, world)
    rendered = invoices.document_as(session=session, actor=world.actors["tenant"], number=number)
    assert rendered.media_type == "application/pdf" and rendered.note is None
    text = flat(pdf_text(rendered.content))
    for label in ("发票", "发票号码", "开票日期", "购买方", "销售方", "纳税人识别号", "价税合计"):
        assert label in text
    assert number in text and "2026年03月31日" in text
    assert BUYER in text and TAX_ID in text and "招商银行前海支行" in text and "0755-5555" in text
    assert "Org acme" in text and "2026年3月租金" in text
    for figure in FIGURES:
        assert figure in text


def test_the_html_stored_when_issued_is_the_same_document(session: Session, world: World) -> None:
    number = issued(session, world)
    content_type, page = invoices.document(
        session=session, actor=world.actors["finance"], number=number
    )
    assert content_type.startswith("text/html") and BUYER in page and number in page
    for figure in FIGURES:
        assert figure in page
    as_html = invoices.document_as(
        session=session, actor=world.actors["finance"], number=number, format="html"
    )
    assert as_html.content.decode() == page


def test_without_a_font_the_pdf_is_html_and_says_so(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = issued(session, world)
    monkeypatch.setattr(render, "find_cjk_font", lambda: None)
    rendered = invoices.document_as(session=session, actor=world.actors["finance"], number=number)
    assert rendered.extension == "html" and rendered.note and "fonts-wqy-zenhei" in rendered.note
    assert "壹万陆仟贰佰元零伍角整" in rendered.content.decode()


def test_another_tenant_gets_no_pdf(session: Session, world: World) -> None:
    number = issued(session, world)
    with pytest.raises(NotFound):
        invoices.document_as(session=session, actor=world.actors["tenant_b"], number=number)


@pytest.mark.parametrize("gross", ["0.01", "0.10", "1.09", "10.00", "16200.50", "99999.99"])
def test_net_and_tax_add_up_to_what_was_asked(gross: str) -> None:
    line = InvoiceLine("租金", Decimal(gross), Decimal("0.09"))
    assert line.net + line.tax == Decimal(gross)
    assert abs(line.net * Decimal("1.09") - Decimal(gross)) <= Decimal("0.01")


async def test_rest_pdf_and_html(
    session: Session, world: World, client: httpx.AsyncClient, font: None
) -> None:
    number = issued(session, world, amount="1234.50")
    tenant, tenant_b = await login(client, "acme-tenant"), await login(client, "acme-tenant_b")
    url = f"/api/v1/invoices/{number}/document"
    pdf = await client.get(url, params={"format": "pdf"}, headers=tenant)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert "壹仟贰佰叁拾肆元伍角整" in flat(pdf_text(pdf.content))
    page = await client.get(url, headers=tenant)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "壹仟贰佰叁拾肆元伍角整" in page.text
    assert (await client.get(url, params={"format": "pdf"}, headers=tenant_b)).status_code == 404


SELLER_TAX_ID = "91440300MA5SELLER1"


def test_the_seller_details_are_those_the_invoice_was_issued_with(
    session: Session, world: World, font: None
) -> None:
    finance = world.actors["finance"]
    with pytest.raises(Forbidden):
        invoices.set_seller(session=session, actor=world.actors["tenant"], data=InvoiceSellerData())
    details = InvoiceSellerData(
        tax_id=SELLER_TAX_ID,
        address="深圳市福田区园区路 8 号 0755-8888",
        bank="工商银行福田支行 4000 0000",
        tax_rate=Decimal("0.06"),
    )
    assert invoices.set_seller(session=session, actor=finance, data=details) == details
    number = issued(session, world, amount="1060.00")
    # later changes do not reach the invoice already issued
    invoices.set_seller(session=session, actor=finance, data=InvoiceSellerData(tax_id="9" * 18))
    text = flat(
        pdf_text(invoices.document_as(session=session, actor=finance, number=number).content)
    )
    assert SELLER_TAX_ID in text and "9" * 18 not in text
    assert "工商银行福田支行" in text and "0755-8888" in text
    # 1,060.00 at 6 % included: 1,000.00 net and 60.00 tax
    assert "1,000.00" in text and "6%" in text and "60.00" in text and "壹仟零陆拾元整" in text
    _, page = invoices.document(session=session, actor=finance, number=number)
    assert SELLER_TAX_ID in page and "9" * 18 not in page


async def test_rest_seller_details(world: World, client: httpx.AsyncClient) -> None:
    finance, tenant = await login(client, "acme-finance"), await login(client, "acme-tenant")
    blank = await client.get("/api/v1/invoice-seller", headers=finance)
    assert blank.status_code == 200 and blank.json()["tax_id"] == ""
    body = {"tax_id": SELLER_TAX_ID, "address": "", "bank": "", "tax_rate": "0.09"}
    assert (
        await client.put("/api/v1/invoice-seller", json=body, headers=tenant)
    ).status_code == 403
    bad = await client.put("/api/v1/invoice-seller", json={**body, "tax_id": "x"}, headers=finance)
    assert bad.status_code == 422
    saved = await client.put("/api/v1/invoice-seller", json=body, headers=finance)
    assert saved.status_code == 200 and saved.json()["tax_id"] == SELLER_TAX_ID

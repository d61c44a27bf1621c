"""The contract text (合同文本): the template of the contract's type, its parties, units and
areas, fee items, escalation, free rent, deposits and the compiler's schedule, read back from
the PDF; who may get it."""

import re
from decimal import Decimal

import pytest
from httpx import AsyncClient
from sqlalchemy.orm import Session

from cloud.documents import render
from cloud.errors import NotFound
from cloud.leasing.contracts import document, drafts
from cloud.leasing.contracts.schemas import Deposit
from cloud.properties.models import UnitKind
from tests.cloud.documents.pdf_text import pdf_text
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login
from tests.cloud.leasing.contracts.conftest import Signer, draft, terms, unit

FEES = [
    {
        "name": "租金",
        "kind": "rent",
        "pricing": "per_m2_per_month",
        "price": "100",
        "escalation": {"type": "periodic", "every_months": 12, "by": "percent", "value": "5"},
    },
    {"name": "物业费", "kind": "property_fee", "pricing": "fixed_per_month", "price": "1000"},
]


def rich_draft() -> object:
    return draft(
        terms=terms(
            end="2027-12-31",
            fee_items=FEES,
            free_rent=[{"start": "2026-01-01", "end": "2026-01-31"}],
        ),
        deposits=[
            Deposit(item="租金", amount=Decimal("20000.00")),
            Deposit(item="装修押金", amount=Decimal("5000.00")),
        ],
        usage_restrictions="仅限办公，不得住宿",
        special_clauses="乙方可优先续租。",
    )


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_an_office_contract_prints_its_terms(session: Session, acme: World) -> None:
    staff = acme.actors["staff"]
    contract = drafts.create_contract(session=session, actor=staff, data=rich_draft())
    rendered = document.contract_document(session=session, actor=staff, code=contract.code)
    assert rendered.media_type == "application/pdf"
    text = squeeze(pdf_text(rendered.content))
    for expected in (
        "写字楼租赁合同",
        contract.code,
        "Org acme",
        "TA Ltd（TA）",
        "U-201",
        "120",  # gross area of U-201
        "100 元/m²/月（按计租面积）",
        "每 12 个月上调 5%",
        "2026-01-01 至 2026-01-31：免收租金",
        "20,000.00",
        "25,000.00",  # deposits in all
        "仅限办公，不得住宿",
        "乙方可优先续租。",
        "1.25 元/kWh",
    ):
        assert expected in text, expected
    # The schedule: January is free, so Q1 2026 rent is two months of 10,000.00; 2027 rents
    # are 5 % up: a quarter is 31,500.00. The total is the compiler's.
    assert "20,000.00" in text and "31,500.00" in text
    schedule = document.compile_schedule(document.service.terms_of(contract.versions[0]))
    total = sum((c.amount for c in schedule), Decimal("0.00"))
    assert f"{total:,.2f}" in text


def test_a_contract_on_a_shop_uses_the_street_shop_template(session: Session, acme: World) -> None:
    acme.units["U-202"].kind = UnitKind.shop
    staff = acme.actors["staff"]
    data = draft(terms=terms(units=[unit("U-202")]), deposits=[])
    contract = drafts.create_contract(session=session, actor=staff, data=data)
    text = squeeze(
        pdf_text(
            document.contract_document(session=session, actor=staff, code=contract.code).content
        )
    )
    assert "商铺租赁合同" in text and "写字楼租赁合同" not in text
    assert "本合同不收取押金" in text


def test_html_on_request(session: Session, acme: World) -> None:
    staff = acme.actors["staff"]
    contract = drafts.create_contract(session=session, actor=staff, data=rich_draft())
    rendered = document.contract_document(
        session=session, actor=staff, code=contract.code, format="html"
    )
    assert rendered.media_type.startswith("text/html")
    assert "装修押金" in rendered.content.decode()


def test_a_tenant_gets_its_signed_contract_only(
    session: Session, acme: World, signed: Signer
) -> None:
    contract = signed()
    mine = document.contract_document(
        session=session, actor=acme.actors["tenant"], code=contract.code
    )
    assert "TA Ltd" in pdf_text(mine.content)
    with pytest.raises(NotFound):
        document.contract_document(
            session=session, actor=acme.actors["tenant_b"], code=contract.code
        )


async def test_the_document_over_rest(
    client: AsyncClient, session: Session, acme: World, today: object
) -> None:
    contract = drafts.create_contract(session=session, actor=acme.actors["staff"], data=draft())
    session.commit()
    staff = await login(client, "acme-staff")
    url = f"/api/v1/contracts/{contract.code}/document"
    pdf = await client.get(url, headers=staff)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert contract.code in pdf_text(pdf.content)
    other = await login(client, "other-staff")
    assert (await client.get(url, headers=other)).status_code == 404
    engineer = await login(client, "acme-engineer")
    assert (await client.get(url, headers=engineer)).status_code == 403
    html = await client.get(url, params={"format": "html"}, headers=staff)
    assert html.headers["content-type"].startswith("text/html")


async def test_without_a_chinese_font_rest_says_why_it_sends_html(
    client: AsyncClient,
    session: Session,
    acme: World,
    today: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contract = drafts.create_contract(session=session, actor=acme.actors["staff"], data=draft())
    session.commit()
    monkeypatch.setattr(render, "find_cjk_font", lambda: None)
    staff = await login(client, "acme-staff")
    got = await client.get(f"/api/v1/contracts/{contract.code}/document", headers=staff)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/html")
    assert "fonts-wqy-zenhei" in got.headers["x-document-note"]
    assert "TA Ltd" in got.text

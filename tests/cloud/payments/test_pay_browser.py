"""A tenant pays its bill on the phone through the simulated gateway, in Debian's Chromium
against the real app; finance then sees the payment and its notification on /payments."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from cloud.billing import arrears, ledger
from cloud.billing.models import Bill, BillingRun, EntryKind, LedgerEntry
from cloud.identity.actor import Actor
from cloud.identity.models import User
from cloud.payments import invoices, service
from cloud.payments.models import Channel
from cloud.payments.schemas import AccountCreate, InvoiceRequestCreate
from protocols.payment_gateway import new_private_key, private_pem, public_pem
from simulators.payment_gateway import PaymentGateway
from tests.cloud.documents.pdf_text import pdf_text
from tests.cloud.web.conftest import DemoData, app_url, demo_data, demo_template  # noqa: F401 - fixtures
from tests.cloud.web.test_browser import browser, shots, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
APP_ID = "wx-demo-browser"
TAX_ID = "91310000MA1FL0000X"


@pytest.fixture
def gateway() -> Iterator[PaymentGateway]:
    gateway = PaymentGateway()
    with gateway.serving():
        yield gateway


@pytest.fixture
def billed(demo_data: DemoData, gateway: PaymentGateway) -> str:  # noqa: F811
    """The demo tenant's March bill (¥3,456.78) and a merchant account at the gateway; the
    app's address is filled in by the test, once it runs. Returns the bill code."""
    key = new_private_key()
    gateway.register_merchant(APP_ID, public_pem(key))
    with demo_data.sessions.begin() as session:
        users = {
            u.username: u
            for u in session.scalars(
                select(User).where(
                    User.username.in_(
                        [
                            demo_data.logins["tenant"],
                            demo_data.logins["finance"],
                            demo_data.logins["admin"],
                        ]
                    )
                )
            )
        }
        tenant = users[demo_data.logins["tenant"]]
        finance = Actor.of(users[demo_data.logins["finance"]])
        service.create_account(
            session=session,
            actor=Actor.of(users[demo_data.logins["admin"]]),
            data=AccountCreate(
                code="wechat",
                channel=Channel.wechat,
                app_id=APP_ID,
                gateway_url=gateway.base_url,
                notify_base_url="http://127.0.0.1:1",  # replaced once the app's port is known
                merchant_private_pem=private_pem(key),
                gateway_public_pem=gateway.public_pem,
                posted_by=demo_data.logins["finance"],
            ),
        )
        run = BillingRun(
            org_id=tenant.org_id,
            scope="org",
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            posted_on=date(2026, 3, 1),
            created_by_id=finance.user_id,
        )
        session.add(run)
        session.flush()
        assert tenant.tenant_id is not None
        bill = Bill(
            org_id=tenant.org_id,
            code="ZD-2026-03-0001",
            run_id=run.id,
            tenant_id=tenant.tenant_id,
            period_start=run.period_start,
            period_end=run.period_end,
            issued_on=run.period_start,
            due_date=date(2026, 3, 15),
        )
        session.add(bill)
        session.flush()
        ledger.add_entry(
            session=session,
            actor=finance,
            tenant_id=tenant.tenant_id,
            kind=EntryKind.charge,
            amount=Decimal("3456.78"),
            item="rent",
            entry_date=run.period_start,
            due_date=bill.due_date,
            bill_id=bill.id,
        )
    return bill.code


def test_tenant_pays_a_bill_on_the_phone_and_finance_sees_it(
    browser: Browser,  # noqa: F811
    app_url: str,  # noqa: F811
    demo_data: DemoData,  # noqa: F811
    billed: str,
    gateway: PaymentGateway,
    shots: Path,  # noqa: F811
) -> None:
    from cloud.payments.models import PaymentAccount

    with demo_data.sessions.begin() as session:
        session.scalars(select(PaymentAccount)).one().notify_base_url = app_url
        tenant = session.scalars(
            select(User).where(User.username == demo_data.logins["tenant"])
        ).one()
        # the demo also posted last month's bill: paying online settles every open bill
        open_bills = arrears.list_bills(session=session, actor=Actor.of(tenant), open_only=True)
        owed = sum((bill.outstanding for bill in open_bills), Decimal("0.00"))
    assert billed in {bill.code for bill in open_bills} and owed > Decimal("3456.78")
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = phone.new_page()
    sign_in(page, app_url, demo_data, "tenant")
    expect(page).to_have_url(f"{app_url}/m")
    page.get_by_text("账单与在线缴费").click()
    expect(page).to_have_url(f"{app_url}/m/pay")
    expect(page.get_by_text(billed)).to_be_visible()
    expect(page.get_by_text("¥3,456.78").first).to_be_visible()
    page.get_by_role("button", name="在线支付").click()
    expect(page.get_by_text("待支付").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=shots / "tenant-pay-order.png", full_page=True)
    with phone.expect_page() as opened:
        page.get_by_role("button", name="前往支付").click()
    gateway_page = opened.value
    expect(gateway_page.get_by_text(f"¥{owed}")).to_be_visible()
    gateway_page.get_by_role("button", name="确认支付 Confirm payment").click()
    expect(gateway_page.get_by_text("支付成功")).to_be_visible()
    # The gateway's signed notification reaches the app; the page sees the order paid.
    expect(page.get_by_text("已支付").first).to_be_visible(timeout=10_000)
    expect(page.get_by_text("暂无待缴账单。")).to_be_visible()  # the bill is settled
    page.screenshot(path=shots / "tenant-pay-done.png", full_page=True)
    phone.close()

    desk = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    sign_in(desk, app_url, demo_data, "finance")
    expect(desk).to_have_url(f"{app_url}/")
    desk.goto(f"{app_url}/payments")
    expect(desk.get_by_text("已支付").first).to_be_visible()
    expect(desk.get_by_text("已入账")).to_be_visible()
    desk.screenshot(path=shots / "payments-console.png", full_page=True)
    desk.close()
    assert [status for _, status in gateway.deliveries] == [200]


def test_finance_reconciles_a_statement_and_issues_an_invoice(
    browser: Browser,  # noqa: F811
    app_url: str,  # noqa: F811
    demo_data: DemoData,  # noqa: F811
    billed: str,
    shots: Path,  # noqa: F811
) -> None:
    with demo_data.sessions.begin() as session:
        tenant = session.scalars(
            select(User).where(User.username == demo_data.logins["tenant"])
        ).one()
        invoices.request_invoice(
            session=session,
            actor=Actor.of(tenant),
            data=InvoiceRequestCreate(
                amount=Decimal("3456.78"), buyer_name="星河科技有限公司", tax_id=TAX_ID
            ),
        )
    statement = (
        "交易日期,贷方金额,对方户名,摘要,流水号\n"
        "2026-03-12,1000.00,星河科技有限公司,3月部分租金,B1\n"
        "2026-03-12,abc,星河科技有限公司,x,B2\n"
    )
    desk = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    sign_in(desk, app_url, demo_data, "finance")
    expect(desk).to_have_url(f"{app_url}/")
    desk.goto(f"{app_url}/payments")
    desk.get_by_role("tab", name="银行对账").click()
    desk.locator("input[type=file]").set_input_files(
        files=[{"name": "march.csv", "mimeType": "text/csv", "buffer": statement.encode()}]
    )
    expect(desk.get_by_text("新增 1 笔：自动核销 0 笔，待人工处理 1 笔")).to_be_visible()
    expect(desk.get_by_text("第 3 行：amount 'abc' is not a number")).to_be_visible()
    line = desk.locator(".q-card", has_text="3月部分租金")
    expect(line).to_contain_text("待确认")
    desk.screenshot(path=shots / "payments-reconciliation.png", full_page=True)
    line.get_by_role("button", name="确认").click()
    expect(desk.locator(".q-card", has_text="3月部分租金")).to_contain_text("已确认")

    desk.get_by_role("tab", name="发票").click()
    desk.get_by_text("本单位开票信息（销售方）").click()
    desk.get_by_label("纳税人识别号").fill("91440300MA5SELLER1")
    desk.get_by_role("button", name="保存开票信息").click()
    expect(desk.get_by_text("开票信息已保存")).to_be_visible()
    desk.get_by_role("button", name="开具").click()
    number = f"FP-{date.today().year}-000001"
    expect(desk.get_by_role("link", name=number)).to_be_visible()
    expect(desk.get_by_role("link", name="PDF").first).to_be_visible()
    pdf = desk.request.get(f"{app_url}/invoices/{number}/pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    printed_pdf = pdf_text(pdf.body())
    assert "叁仟肆佰伍拾陆元柒角捌分" in printed_pdf and "91440300MA5SELLER1" in printed_pdf
    desk.goto(f"{app_url}/invoices/{number}")
    expect(desk.get_by_text(TAX_ID)).to_be_visible()
    desk.close()
    phone = browser.new_page(viewport={"width": 360, "height": 740}, locale="zh-CN")
    sign_in(phone, app_url, demo_data, "tenant")
    expect(phone).to_have_url(f"{app_url}/m")
    phone.goto(f"{app_url}/m/pay")
    with phone.context.expect_page() as printed:
        phone.get_by_role("link", name=number).click()  # the tenant prints its own invoice
    expect(printed.value.get_by_text(TAX_ID)).to_be_visible()
    phone.close()
    with demo_data.sessions() as session:
        paid = session.scalars(
            select(LedgerEntry.amount).where(LedgerEntry.kind == EntryKind.payment)
        ).all()
    assert paid == [Decimal("-1000.00")]

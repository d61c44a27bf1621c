"""Finance previews and posts a month on /billing in Debian's Chromium against the real app;
the tenant then finds the bill on /m/bills; both download it as a PDF (缴费通知单)."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.cloud.documents.pdf_text import pdf_text
from tests.cloud.web.conftest import DemoData, app_url, demo_data, demo_template  # noqa: F401 - fixtures
from tests.cloud.web.test_browser import browser, shots, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_finance_posts_a_run_and_the_tenant_sees_its_bill(
    browser: Browser,  # noqa: F811
    app_url: str,  # noqa: F811
    demo_data: DemoData,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    # The demo org's dates are Shanghai's; its readings were taken minutes ago, maybe just
    # before midnight there, so the period starts a day earlier's month.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    first = (today - timedelta(days=1)).replace(day=1)
    desk = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    sign_in(desk, app_url, demo_data, "finance")
    expect(desk).to_have_url(f"{app_url}/")
    desk.get_by_role("link", name="账务").click()
    expect(desk).to_have_url(f"{app_url}/billing")
    desk.get_by_label("账期开始").fill(str(first))
    desk.get_by_label("账期结束").fill(str(today))
    desk.get_by_role("button", name="预览").click()
    expect(desk.get_by_text("待出账合计")).to_be_visible(timeout=15_000)
    desk.screenshot(path=str(shots / "billing-preview.png"), full_page=True)
    # the demo meter EM-A-1201 counted 12.50 kWh this month: its electricity line is there
    expect(desk.get_by_role("cell", name="电费").first).to_be_visible()
    desk.get_by_role("button", name="确认出账").click()
    expect(desk.get_by_text("已出账")).to_be_visible(timeout=15_000)
    bill_code = f"B{first:%Y%m}-"
    expect(desk.get_by_role("cell", name=bill_code).first).to_be_visible(timeout=15_000)
    # revenue by month over the period: the month's row is there
    desk.get_by_label("起始日").fill(str(first))
    desk.get_by_label("截止日").fill(str(today))
    desk.get_by_role("button", name="查看").click()
    expect(desk.get_by_role("cell", name=f"{first:%Y-%m}", exact=True)).to_be_visible(
        timeout=15_000
    )
    desk.screenshot(path=str(shots / "billing-console.png"), full_page=True)
    with desk.expect_download() as console_download:
        desk.get_by_role("button", name="下载 PDF").first.click()
    saved = console_download.value
    assert saved.suggested_filename.startswith(bill_code) and saved.suggested_filename.endswith(
        ".pdf"
    )
    assert "缴费通知单" in pdf_text(Path(saved.path()).read_bytes())

    phone = browser.new_page(viewport={"width": 360, "height": 780}, locale="zh-CN")
    sign_in(phone, app_url, demo_data, "tenant")
    expect(phone).to_have_url(f"{app_url}/m")
    phone.get_by_text("我的账单").click()
    expect(phone).to_have_url(f"{app_url}/m/bills")
    expect(phone.get_by_text(bill_code).first).to_be_visible(timeout=15_000)
    expect(phone.get_by_text("未缴").first).to_be_visible()
    phone.screenshot(path=str(shots / "tenant-bills.png"), full_page=True)
    with phone.expect_download() as tenant_download:
        phone.get_by_role("button", name="下载 PDF").first.click()
    text = pdf_text(Path(tenant_download.value.path()).read_bytes())
    assert "缴费通知单" in text and bill_code in text and "/m/pay" in text

"""Finance downloads the ageing and a report from /billing as Excel in Debian's Chromium."""

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from tests.cloud.web.conftest import DemoData, app_url, demo_data, demo_template  # noqa: F401 - fixtures
from tests.cloud.web.test_browser import browser, shots, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_finance_downloads_the_ageing_and_a_report_as_excel(
    browser: Browser,  # noqa: F811
    app_url: str,  # noqa: F811
    demo_data: DemoData,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    desk = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    sign_in(desk, app_url, demo_data, "finance")
    expect(desk).to_have_url(f"{app_url}/")
    desk.goto(f"{app_url}/billing")
    buttons = desk.get_by_role("button", name="导出 Excel")
    expect(buttons).to_have_count(2, timeout=15_000)
    with desk.expect_download() as ageing_download:
        buttons.first.click()
    assert ageing_download.value.suggested_filename == "ageing.xlsx"
    ageing = load_workbook(BytesIO(Path(ageing_download.value.path()).read_bytes())).active
    assert ageing is not None
    assert "欠费账龄 Arrears ageing" in str(ageing["A1"].value)
    assert ageing["A2"].value == "租户 Tenant"
    assert ageing.cell(ageing.max_row, 1).value == "合计 Total"

    desk.get_by_label("起始日").fill("2026-01-01")
    desk.get_by_label("截止日").fill("2026-12-31")
    with desk.expect_download() as report_download:
        buttons.last.click()
    saved = report_download.value
    assert saved.suggested_filename == "revenue-2026-01-01-2026-12-31.xlsx"
    report = load_workbook(BytesIO(Path(saved.path()).read_bytes())).active
    assert report is not None
    assert str(report["A1"].value).startswith("收入 Revenue 2026-01-01")
    assert [c.value for c in report[2]] == ["按月 By month", "应收 Billed"]
    # the page's table names its columns the way the workbook does
    # (the bills table below heads one column 应收 too: the report adds a second)
    billed = desk.get_by_role("columnheader", name="应收", exact=True)
    expect(billed).to_have_count(1)
    desk.get_by_role("button", name="查看").click()
    expect(billed).to_have_count(2, timeout=15_000)
    desk.screenshot(path=str(shots / "billing-exports.png"), full_page=True)

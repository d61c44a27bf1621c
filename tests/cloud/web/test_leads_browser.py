"""The lead, import and contract-document pages in Debian's Chromium against the real app: a
lead from the console's navigation to a draft contract whose document downloads as a PDF, and a
workbook whose bad row the import page shows by its row number."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Browser, Page, expect

from tests.cloud.documents.pdf_text import pdf_text
from tests.cloud.web.conftest import DemoData
from tests.cloud.web.test_browser import sign_in
from tests.cloud.web.test_contracts_browser import chromium, draft_code  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def _page(chromium: Browser, app_url: str, demo_data: DemoData) -> Page:  # noqa: F811
    page = chromium.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, app_url, demo_data, "admin")
    expect(page).to_have_url(f"{app_url}/")
    return page


def test_a_lead_becomes_a_draft_contract_and_its_document_downloads(
    chromium: Browser,  # noqa: F811
    app_url: str,
    demo_data: DemoData,
    tmp_path: Path,
) -> None:
    page = _page(chromium, app_url, demo_data)
    page.get_by_role("link", name="招商线索").click()
    expect(page).to_have_url(f"{app_url}/leads")
    expect(page.locator('[data-testid="funnel"]')).to_be_visible()
    page.get_by_role("button", name="新建线索").click()
    page.get_by_label("客户名称").fill("远航物流有限公司")
    page.get_by_label("联系人").fill("韩梅梅")
    page.get_by_role("button", name="创建").click()
    expect(page.locator('[data-testid="lead-stage"]')).to_contain_text("远航物流有限公司 · 带看")

    page.get_by_label("类型").click()
    page.get_by_role("option", name="报价").click()
    page.get_by_label("租金 元/m²/月").fill("120")
    page.get_by_label("起租日").fill("2030-01-01")
    page.get_by_label("租期（月）").fill("12")
    page.get_by_role("button", name="添加跟进").click()
    expect(page.locator('[data-testid="lead-stage"]')).to_contain_text("· 报价")
    page.get_by_label("签署日期").fill("2029-12-01")
    page.get_by_label("定金", exact=True).fill("10000")
    page.get_by_role("button", name="登记意向书").click()
    expect(page.locator('[data-testid="lead-stage"]')).to_contain_text("· 意向书")
    expect(page.get_by_text("¥10,000.00 已约定")).to_be_visible()

    # The lead has no unit yet: conversion says so, and nothing is made.
    page.get_by_label("租户编码").fill("T-YH")
    page.get_by_role("button", name="生成合同草稿").click()
    expect(page.get_by_text("names no unit")).to_be_visible()
    page.get_by_label("意向单元").click()
    page.get_by_role("option", name="A-12-1203").click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="保存").click()
    expect(page.locator('[data-testid="lead-facts"]')).to_contain_text("A-12-1203")
    page.get_by_label("租户编码").fill("T-YH")
    page.get_by_role("button", name="生成合同草稿").click()
    expect(page).to_have_url(re.compile(rf"{app_url}/contracts/HT-\d{{4}}-\d{{4}}$"))
    with page.expect_download() as download:
        page.get_by_role("button", name="合同文本").click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert "远航物流有限公司" in text and "A-12-1203" in text and "120 元/m²/月" in text
    page.screenshot(path=tmp_path / "lead-zh.png", full_page=True)
    page.close()


def test_the_contract_page_downloads_its_document(
    chromium: Browser,  # noqa: F811
    app_url: str,
    demo_data: DemoData,
    draft_code: str,  # noqa: F811
) -> None:
    page = _page(chromium, app_url, demo_data)
    page.goto(f"{app_url}/contracts/{draft_code}")
    expect(page.get_by_role("button", name="合同文本")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="合同文本").click()
    saved = Path(download.value.path())
    assert download.value.suggested_filename.endswith(".pdf")
    text = pdf_text(saved.read_bytes())
    assert "写字楼租赁合同" in text and "A-12-1201" in text and draft_code in text
    page.close()


def test_the_import_page_shows_bad_rows_by_number(
    chromium: Browser,  # noqa: F811
    app_url: str,
    demo_data: DemoData,
    tmp_path: Path,
) -> None:
    book = Workbook()
    ws = book.active
    ws.title = "tenants"
    ws.append(["code", "name"])
    ws.append(["T-NEW", "新租户"])
    ws.append(["T-0001", "重复的租户"])
    out = BytesIO()
    book.save(out)
    path = tmp_path / "tenants.xlsx"
    path.write_bytes(out.getvalue())

    page = _page(chromium, app_url, demo_data)
    page.get_by_role("link", name="导入导出").click()
    expect(page).to_have_url(f"{app_url}/imports")
    page.locator('input[type="file"]').set_input_files(str(path))
    expect(page.locator('[data-testid="import-result"]')).to_contain_text("2 行中有 1 行有问题")
    expect(page.locator("tr", has_text="T-0001")).to_contain_text("3")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载工作簿").click()
    assert download.value.suggested_filename == "parkops-leasing.xlsx"
    page.close()

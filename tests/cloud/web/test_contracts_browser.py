"""The contract pages in Debian's Chromium against the real app: from the console's navigation
to a draft, through approval to signed, with the schedule shown; Chinese, then English."""

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from cloud.identity import service as identity_service
from cloud.leasing.contracts import drafts
from cloud.leasing.contracts.schemas import ContractCreate
from tests.cloud.web.conftest import DemoData
from tests.cloud.web.test_browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.conftest import need_service

pytestmark = pytest.mark.browser


@pytest.fixture
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        need_service(f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def draft_code(demo_data: DemoData) -> str:
    """A draft for demo unit A-12-1201 over next year (its demo lease ends this year)."""
    year = datetime.now(UTC).year + 1
    terms = {
        "lease_start": f"{year}-01-01",
        "rent_start": f"{year}-02-01",
        "end": f"{year}-12-31",
        "units": [{"code": "A-12-1201", "gross": "186.50", "net": "150", "rentable": "186.50"}],
        "fee_items": [
            {"name": "租金", "kind": "rent", "pricing": "per_m2_per_month", "price": "150"},
        ],
        "payment_cycle": "quarterly",
    }
    data = ContractCreate.model_validate(
        {"tenant_code": "T-0001", "terms": terms, "electricity_tariff": "1.2000"}
    )
    username = demo_data.logins["admin"]
    with demo_data.sessions.begin() as session:
        admin = identity_service.authenticate(
            session=session, username=username, password=demo_data.passwords[username]
        )
        return drafts.create_contract(session=session, actor=admin, data=data).code


def test_staff_take_a_contract_from_draft_to_signed(
    chromium: Browser, app_url: str, demo_data: DemoData, draft_code: str, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("PARKOPS_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page = chromium.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, app_url, demo_data, "admin")
    expect(page).to_have_url(f"{app_url}/")
    page.get_by_role("link", name="合同").click()
    expect(page).to_have_url(f"{app_url}/contracts")
    # The new-contract form previews the schedule of its terms (the example contract's).
    page.get_by_role("button", name="新建合同").click()
    page.get_by_role("button", name="预览账单").click()
    expect(page.get_by_text("按条款试算 · 合计")).to_be_visible()
    expect(page.locator("tr", has_text="2026-03-01 ~ 2026-05-31").first).to_be_visible()
    page.get_by_role("button", name="取消").click()

    row = page.locator("tr", has_text=draft_code)
    expect(row).to_contain_text("星河科技有限公司")
    expect(row).to_contain_text("草稿")
    page.get_by_label("搜索编号、租户、单元、状态").fill("no such contract")
    expect(row).to_have_count(0)
    page.get_by_label("搜索编号、租户、单元、状态").fill("A-12-1201")
    row.click()
    expect(page).to_have_url(f"{app_url}/contracts/{draft_code}")
    expect(page.get_by_text("按条款试算")).to_be_visible()  # a draft's schedule is compiled

    page.get_by_role("button", name="提交审批").click()
    expect(page.get_by_text("待管理员审批")).to_be_visible()
    page.get_by_role("button", name="审批通过").click()
    expect(page.get_by_role("button", name="签署")).to_be_visible()
    page.get_by_role("button", name="签署").click()
    expect(page.get_by_text("已签署").first).to_be_visible()
    expect(page.get_by_text("已生成的应收")).to_be_visible()
    # 150 × 186.50 = 27975 a month; Q1 from rent start 1 Feb: two months.
    q1 = page.locator("tr", has_text="-02-01 ~")
    expect(q1).to_contain_text("¥55,950.00")
    expect(page.locator("tr", has_text="通过")).to_contain_text("管理员")
    page.screenshot(path=shots / "contract-zh.png", full_page=True)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_text("Stored charges")).to_be_visible()
    expect(page.get_by_text("Signed").first).to_be_visible()
    expect(page.get_by_role("button", name="End early")).to_be_visible()
    page.screenshot(path=shots / "contract-en.png", full_page=True)
    page.get_by_role("link", name="Contracts").click()
    expect(page.locator("tr", has_text=draft_code)).to_contain_text("Signed")
    page.screenshot(path=shots / "contracts-en.png", full_page=True)
    page.close()

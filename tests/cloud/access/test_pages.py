"""The parking and access pages in Debian's Chromium against the real app: a tenant books a
visitor on the phone and gets a QR code; security staff see the visit, the lot, the review
queue and revenue, and waive a parked car's fee with a reason."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.cloud.web.conftest import DemoData, app_url, demo_data, demo_template  # noqa: F401  (fixtures)
from tests.cloud.web.test_browser import browser, shots, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_a_tenant_books_a_visitor_and_staff_see_it(
    browser: Browser,  # noqa: F811
    app_url: str,  # noqa: F811
    demo_data: DemoData,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = phone.new_page()
    sign_in(page, app_url, demo_data, "tenant")
    expect(page).to_have_url(f"{app_url}/m")
    page.get_by_role("button", name="访客预约").click()
    expect(page).to_have_url(f"{app_url}/m/visitors")
    expect(page.get_by_text("还没有访客。")).to_be_visible()
    page.get_by_label("姓名").fill("王小明")
    page.get_by_label("车牌（可选，开通临时车辆通行）").fill("沪A12345")
    page.get_by_role("button", name="生成访客码").click()
    expect(page.get_by_text("已预约：")).to_be_visible()
    expect(page.locator("svg.segno")).to_be_visible()
    expect(page.get_by_text("车辆 沪A12345 可通行")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=shots / "visitors-phone.png", full_page=True)
    phone.close()

    console = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(console, app_url, demo_data, "admin")
    expect(console).to_have_url(f"{app_url}/")
    console.goto(f"{app_url}/access")
    expect(console.locator("tr", has_text="王小明")).to_contain_text("沪A12345")
    console.get_by_role("button", name="添加人员").click()
    console.get_by_label("姓名").fill("赵六")
    console.get_by_role("button", name="确认").click()
    person = console.locator("tr", has_text="赵六")
    expect(person).to_be_visible()
    person.click()
    console.get_by_label("卡号/钥匙号，或 PIN/二维码内容").fill("04A1B2C3")
    console.get_by_role("button", name="发放").click()
    expect(console.get_by_text("已处理。")).to_be_visible()
    person.click()
    expect(console.get_by_text("card 04A1B2C3")).to_be_visible()
    console.screenshot(path=shots / "access-person.png", full_page=True)
    console.keyboard.press("Escape")
    console.goto(f"{app_url}/parking")
    expect(console.get_by_text("在场车辆")).to_be_visible()
    expect(console.locator("nav").get_by_role("link", name="停车", exact=True)).to_be_visible()
    # The demo's lot: two cars parked, an exit without an entry waiting for review.
    expect(console.locator("tr", has_text="粤B12345")).to_contain_text("有出场无入场记录")
    parked = console.locator("tr", has_text="京A12345")
    expect(parked).to_contain_text("临停")
    parked.click()
    console.get_by_label("原因（必填）").fill("消防车辆")
    console.get_by_role("button", name="确认").click()
    expect(parked).to_contain_text("已免收")
    expect(console.get_by_text("近两周停车收入（按日、按道口）")).to_be_visible()
    expect(console.locator("canvas").first).to_be_visible()
    expect(console.get_by_text("这段时间没有收入。")).to_have_count(0)
    console.screenshot(path=shots / "parking.png", full_page=True)
    console.close()

"""The web UI in Debian's Chromium against the real app: sign-in, live data, language, tenant,
and a tenant reporting a repair from the phone."""

import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from cloud.workorders.models import WorkOrder
from cloud.workorders.seed import DEMO_PNG as TINY_PNG
from tests.cloud.web.conftest import DemoData
from tests.conftest import need_service

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LIVE_S = 8_000  # ms: two refreshes of the 2-second timer, with room for a slow machine
LEASE_1 = re.compile(r"HT-\d{4}-0001")
LEASE_2 = re.compile(r"HT-\d{4}-0002")


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        need_service(f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: PARKOPS_SCREENSHOT_DIR to keep them, else the test's tmp dir."""
    folder = Path(os.environ.get("PARKOPS_SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _eventually(check: Callable[[], bool], within_s: float = 5.0) -> bool:
    """Whether `check()` comes true within `within_s`: for what the app writes in the background."""
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def sign_in(page: Page, url: str, demo: DemoData, role: str) -> None:
    username = demo.logins[role]
    page.goto(f"{url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(demo.passwords[username])
    page.get_by_role("button", name="登录").click()


def test_staff_sees_live_readings_and_charges(
    browser: Browser, app_url: str, demo_data: DemoData, shots: Path, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(app_url)
    expect(page).to_have_url(f"{app_url}/login")  # not signed in yet

    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("用户名或密码错误。")).to_be_visible()
    page.wait_for_timeout(400)  # the notice slides in
    page.screenshot(path=shots / "login-failed.png")

    sign_in(page, app_url, demo_data, "admin")
    expect(page).to_have_url(f"{app_url}/")
    # The browser's session is kept where PARKOPS_STORAGE_DIR says (see the app_url fixture).
    assert _eventually(lambda: any((tmp_path / "ui-storage").glob("storage-user-*.json")))
    meter_row = page.locator("tr", has_text="EM-A-1201")
    expect(meter_row).to_contain_text("220.4 V")
    expect(meter_row).to_contain_text("1,012.50 kWh")
    expect(page.locator("tr", has_text=LEASE_1)).to_contain_text("¥15.00")
    expect(page.locator("tr", has_text=LEASE_2)).to_contain_text("¥24.30")
    expect(page.locator("tr", has_text=LEASE_2)).to_contain_text("青禾咖啡")

    # A new reading arrives while the page is open: it shows up without a reload.
    demo_data.add_reading("EM-A-1201", datetime.now(UTC), voltage=231.7, power=2.5, energy=1013.25)
    expect(meter_row).to_contain_text("231.7 V", timeout=LIVE_S)
    expect(meter_row).to_contain_text("2.500 kW")
    page.wait_for_timeout(500)  # let the chart draw its last point before the picture
    page.screenshot(path=shots / "dashboard-zh.png", full_page=True)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_text("Live meter readings")).to_be_visible()
    expect(page.get_by_text("Electricity charges, month to date")).to_be_visible()
    expect(page.locator("tr", has_text="EM-A-1201")).to_contain_text("231.7 V")
    page.screenshot(path=shots / "dashboard-en.png", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{app_url}/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()  # the choice stays
    page.close()


def test_tenant_lands_on_phone_view_with_only_its_own_lease(
    browser: Browser, app_url: str, demo_data: DemoData, shots: Path
) -> None:
    phone = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = phone.new_page()
    sign_in(page, app_url, demo_data, "tenant")
    expect(page).to_have_url(f"{app_url}/m")
    expect(page.get_by_text("电表 EM-A-1201")).to_be_visible()
    expect(page.get_by_text("220.4 V")).to_be_visible()
    expect(page.get_by_text("¥15.00")).to_be_visible()
    expect(page.get_by_text(LEASE_1)).to_be_visible()
    expect(page.get_by_text(LEASE_2)).to_have_count(0)
    expect(page.get_by_text("EM-A-1202")).to_have_count(0)
    expect(page.get_by_text("¥24.30")).to_have_count(0)
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=shots / "tenant-phone.png", full_page=True)

    page.goto(app_url)  # the staff console is not for tenants
    expect(page).to_have_url(f"{app_url}/m")
    phone.close()


def test_vacancy_board_draws_floors_of_units_coloured_by_status(
    browser: Browser, app_url: str, demo_data: DemoData, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, app_url, demo_data, "staff")
    expect(page).to_have_url(f"{app_url}/")
    page.get_by_role("link", name="房态图").click()
    expect(page).to_have_url(f"{app_url}/board")

    operating = page.locator('[data-unit="A-12-1201"]')
    expect(operating).to_contain_text("营业中")
    expect(operating).to_contain_text("星河科技有限公司")
    expect(operating).to_contain_text("¥150.00/m²·月")
    expect(operating).to_have_css("background-color", "rgb(30, 99, 196)")
    expect(page.locator('[data-unit="A-12-1203"]')).to_have_css(
        "background-color",
        "rgb(67, 160, 71)",  # vacant
    )
    expect(page.locator("[data-unit]")).to_have_count(10)  # building A's three floors
    for status in ("vacant", "reserved", "leased", "fitting_out", "in_operation", "moving_out"):
        expect(page.locator(f'[data-status="{status}"]').first).to_be_visible()
    # Cells are as wide as their share of the floor: 186.50 m² against 98.00 m².
    wide, narrow = (
        page.locator(f'[data-unit="{code}"]').bounding_box() for code in ("A-12-1201", "A-12-1203")
    )
    assert wide and narrow and wide["width"] > 1.5 * narrow["width"]
    page.screenshot(path=shots / "vacancy-board-zh.png", full_page=True)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Vacancy board")).to_be_visible()
    expect(page.locator('[data-unit="A-12-1201"]')).to_contain_text("In operation")
    expect(page.get_by_text("Occupancy by area")).to_be_visible()
    page.screenshot(path=shots / "vacancy-board-en.png", full_page=True)
    page.close()


def test_tenant_reports_a_repair_from_the_phone(
    browser: Browser, app_url: str, demo_data: DemoData, shots: Path
) -> None:
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = phone.new_page()
    sign_in(page, app_url, demo_data, "tenant")
    expect(page).to_have_url(f"{app_url}/m")
    page.get_by_text("报修与维修进度").click()
    expect(page).to_have_url(f"{app_url}/m/repairs")
    expect(page.get_by_text("空调不制冷")).to_be_visible()  # the seeded request, still new
    expect(page.get_by_text("门锁损坏")).to_have_count(0)  # another tenant's unit

    page.get_by_text("我要报修").click()
    page.get_by_label("类别").click()
    page.get_by_role("option", name="给排水 Plumbing").click()
    page.get_by_label("请描述问题").fill("洗手盆堵塞 The basin is blocked")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "basin.png", "mimeType": "image/png", "buffer": TINY_PNG}]
    )
    expect(page.get_by_text("已添加 1 张照片")).to_be_visible()
    page.get_by_role("button", name="提交报修").click()
    card = page.locator(".q-card", has_text="洗手盆堵塞")
    expect(card).to_contain_text("待派单")
    expect(card).to_contain_text("A-12-1201")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=shots / "tenant-repairs.png", full_page=True)
    phone.close()

    with demo_data.sessions() as session:
        order = session.scalars(
            select(WorkOrder).where(WorkOrder.title.startswith("洗手盆堵塞"))
        ).one()
        assert (order.source, order.state, order.category.code) == ("tenant", "new", "PLUMB")
        assert [(a.kind, a.content_type) for a in order.attachments] == [("photo", "image/png")]

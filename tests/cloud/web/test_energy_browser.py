"""The energy page in Debian's Chromium: a building's days of this month and a meter's hours,
drawn from the rollups the job made of the demo's readings; a meter exchange recorded."""

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from cloud.energy import rollups
from cloud.energy.models import MeterExchange
from tests.cloud.web.conftest import DemoData
from tests.cloud.web.test_browser import browser, shots, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_staff_see_building_days_and_meter_hours(
    browser: Browser,  # noqa: F811
    app_url: str,
    demo_data: DemoData,
    shots: Path,  # noqa: F811
) -> None:
    with demo_data.sessions.begin() as session:
        assert rollups.refresh(session=session) == 2  # two meters, one day each
    # What the demo's two tenant meters counted (conftest): 1000.00 -> 1012.50, 500 -> 520.25.
    total = (1012.5 - 1000.0) + (520.25 - 500.0)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, app_url, demo_data, "admin")
    expect(page).to_have_url(f"{app_url}/")
    page.get_by_role("link", name="能耗").click()
    expect(page).to_have_url(f"{app_url}/energy")
    expect(page.get_by_text("楼栋每日用电")).to_be_visible()
    expect(page.get_by_text(f"本月合计 {total:,.1f} kWh")).to_be_visible()
    expect(page.locator("canvas")).to_have_count(2)
    page.wait_for_timeout(500)
    page.screenshot(path=shots / "energy-zh.png", full_page=True)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_text("Building consumption per day")).to_be_visible()
    expect(page.get_by_text(f"Month total {total:,.1f} kWh")).to_be_visible()
    page.close()


def test_tenants_are_sent_to_their_phone_view(
    browser: Browser,  # noqa: F811
    app_url: str,
    demo_data: DemoData,
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 800}, locale="zh-CN")
    sign_in(page, app_url, demo_data, "tenant")
    page.wait_for_url(f"{app_url}/m")
    page.goto(f"{app_url}/energy")
    expect(page).to_have_url(f"{app_url}/m")
    page.close()


def test_an_engineer_records_a_meter_exchange(
    browser: Browser,  # noqa: F811
    app_url: str,
    demo_data: DemoData,
    shots: Path,  # noqa: F811
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1100}, locale="zh-CN")
    sign_in(page, app_url, demo_data, "admin")
    expect(page).to_have_url(f"{app_url}/")
    page.goto(f"{app_url}/energy")
    expect(page.get_by_text("该表没有换表记录")).to_be_visible()
    page.get_by_label("换表时间").fill("2026-11-01 10:00")
    page.get_by_role("button", name="登记换表").click()
    expect(page.get_by_text("请填写旧表止码和新表起码")).to_be_visible()
    page.get_by_label("旧表止码").fill("1012.5")
    page.get_by_role("button", name="登记换表").click()
    expect(page.get_by_text("已登记换表")).to_be_visible()
    row = page.locator("tbody tr").filter(has_text="2026-11-01 10:00")
    expect(row).to_contain_text("1012.500")
    page.screenshot(path=shots / "energy-exchange-zh.png", full_page=True)
    page.close()
    with demo_data.sessions() as session:
        [kept] = session.scalars(select(MeterExchange)).all()
    assert (kept.final_value, kept.initial_value) == (Decimal("1012.500"), Decimal("0.000"))

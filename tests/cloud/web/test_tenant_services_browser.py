"""Notices and services in Debian's Chromium against the real app: staff publish a notice in
the console, a tenant reads it on a phone and asks for a service."""

import pytest
from playwright.sync_api import Browser, expect

from tests.cloud.web.conftest import DemoData
from tests.cloud.web.test_browser import sign_in
from tests.cloud.web.test_maintenance_browser import chromium  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_a_notice_from_the_console_to_a_tenants_phone(
    chromium: Browser,  # noqa: F811
    app_url: str,
    demo_data: DemoData,
) -> None:
    staff = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    console = staff.new_page()
    sign_in(console, app_url, demo_data, "admin")
    expect(console).to_have_url(f"{app_url}/")
    console.get_by_role("link", name="通知").click()
    expect(console).to_have_url(f"{app_url}/notices")
    console.get_by_label("标题").fill("周六停水通知")
    console.get_by_label("正文").fill("周六 9:00–12:00 A 座停水检修。")
    console.get_by_role("button", name="发布").click()
    card = console.locator(".q-card", has_text="周六停水通知")
    expect(card).to_contain_text("0 位租户用户已读")
    expect(console.get_by_text("2026 物业服务满意度 Satisfaction（0 份）")).to_be_visible()

    tenant = chromium.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    phone = tenant.new_page()
    sign_in(phone, app_url, demo_data, "tenant")
    expect(phone).to_have_url(f"{app_url}/m")
    phone.get_by_role("button", name="园区通知").click()
    expect(phone).to_have_url(f"{app_url}/m/notices")
    phone.get_by_text("周六停水通知").click()
    expect(phone.get_by_text("A 座停水检修")).to_be_visible()

    phone.goto(f"{app_url}/m/services")
    phone.get_by_label("需求说明").fill("会议室绿植需要养护")
    phone.get_by_role("button", name="提交申请").click()
    expect(phone.get_by_text("会议室绿植需要养护")).to_be_visible()
    expect(phone.get_by_text("待处理")).to_be_visible()
    expect(phone.get_by_text("没有装修申请。")).to_be_visible()
    phone.get_by_role("button", name="提交评价").click()  # every question at 5 stars
    expect(phone.get_by_text("感谢您的评价！")).to_be_visible()

    console.reload()
    expect(console.locator(".q-card", has_text="周六停水通知")).to_contain_text("1 位租户用户已读")
    expect(console.get_by_text("2026 物业服务满意度 Satisfaction（1 份）")).to_be_visible()
    expect(console.get_by_text("保洁 Cleaning: 5.00 / 5")).to_be_visible()
    staff.close()
    tenant.close()

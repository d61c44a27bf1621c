"""The bell, the inbox, the equipment pages and an inspection round on a phone, in Debian's
Chromium against the real app."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from sqlalchemy import select

from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.maintenance import inspections, jobs
from cloud.notifications import jobs as notification_jobs
from cloud.notifications import service as notifications
from cloud.notifications.models import Contact
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


@dataclass
class Due:
    work_order_code: str
    unread: int  # the admin's unread notices: these two and any the demo's seed raised


@pytest.fixture
def lift_due(demo_data: DemoData) -> Due:
    """The demo's maintenance run: the lift's monthly plan falls due today and opens a work
    order; with a hello, the admin (supervisor of the demo's categories) has notices."""
    username = demo_data.logins["admin"]
    with demo_data.sessions.begin() as session:
        admin: Actor = identity_service.authenticate(
            session=session, username=username, password=demo_data.passwords[username]
        )
        opened = jobs.open_due(session=session)
        [lift] = [order for order in opened if order.plan_code == "PM-LIFT-M"]
        notifications.notify(
            session=session,
            org_id=admin.org_id,
            recipients=notifications.users(admin.user_id),
            template="test.hello",
            params={"name": "管理员"},
        )
    notification_jobs.deliver_all(sessions=demo_data.sessions, providers={})
    with demo_data.sessions.begin() as session:
        unread = notifications.unread_count(session=session, actor=admin)
    assert unread >= 2
    return Due(work_order_code=lift.work_order_code, unread=unread)


def test_equipment_history_and_the_bell(
    chromium: Browser, app_url: str, demo_data: DemoData, lift_due: Due, tmp_path: Path
) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, app_url, demo_data, "admin")
    expect(page).to_have_url(f"{app_url}/")
    bell = page.get_by_role("button", name="消息")
    expect(bell.get_by_role("status")).to_have_text(str(lift_due.unread))
    page.get_by_role("link", name="设备台账", exact=True).click()
    expect(page).to_have_url(f"{app_url}/equipment")
    lift = page.get_by_role("row", name="LIFT-A-01 A座1号客梯")
    expect(lift).to_contain_text("在用")
    expect(page.get_by_role("row", name="PM-LIFT-M")).to_contain_text("每 1 个月")
    lift.click()
    expect(page).to_have_url(f"{app_url}/equipment/LIFT-A-01")
    expect(page.get_by_role("link", name=lift_due.work_order_code)).to_be_visible()
    page.screenshot(path=tmp_path / "equipment.png", full_page=True)

    bell.click()
    expect(page).to_have_url(f"{app_url}/inbox")
    expect(page.get_by_text("你好 管理员")).to_be_visible()
    expect(page.get_by_text(f"{lift_due.unread} 条未读")).to_be_visible()
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.get_by_text("0 条未读")).to_be_visible()
    page.get_by_label("电子邮箱").fill("ops@park.example")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible()
    with demo_data.sessions() as session:
        contact = session.scalar(select(Contact).where(Contact.email == "ops@park.example"))
        assert contact is not None and contact.language == "zh"
    page.close()


@pytest.fixture
def patrol_token(demo_data: DemoData) -> str:
    """The QR token of the demo's street patrol's first checkpoint (shop S1-101)."""
    username = demo_data.logins["admin"]
    with demo_data.sessions.begin() as session:
        admin = identity_service.authenticate(
            session=session, username=username, password=demo_data.passwords[username]
        )
        route = inspections.get_route(session=session, actor=admin, code="R-STREET")
        return route.checkpoints[0].token


def test_an_inspector_records_an_anomaly_on_a_phone(
    chromium: Browser, app_url: str, demo_data: DemoData, patrol_token: str, tmp_path: Path
) -> None:
    page = chromium.new_page(viewport={"width": 360, "height": 740}, locale="zh-CN")
    sign_in(page, app_url, demo_data, "engineer")
    expect(page).to_have_url(f"{app_url}/")  # signed in: now the QR code's page
    page.goto(f"{app_url}/inspect/{patrol_token}")
    expect(page.get_by_text("滨河路沿街巡查 · 1. S1-101 商铺")).to_be_visible()
    page.get_by_role("checkbox", name="外摆不越线 Outdoor display within its line").click()
    page.get_by_label("说明（可选）").fill("外摆占用人行道")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("✗ 外摆不越线 Outdoor display within its line")).to_be_visible()
    order_link = page.get_by_role("link", name="WO-")
    expect(order_link).to_be_visible()
    page.screenshot(path=tmp_path / "inspect-phone.png", full_page=True)

    page.goto(f"{app_url}/inspections")
    expect(page.locator("svg").first).to_be_visible()
    expect(page.get_by_text("✗ 外摆不越线 Outdoor display within its line")).to_be_visible()
    page.close()

"""The bell, the inbox, the equipment pages and an inspection round on a phone, in Debian's
Chromium against the real app."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.maintenance import inspections, jobs, plans, service
from cloud.maintenance.models import Every, Kind, Trigger
from cloud.maintenance.schemas import (
    ChecklistCreate,
    CheckpointCreate,
    EquipmentCreate,
    PlanCreate,
    RouteCreate,
)
from cloud.notifications import jobs as notification_jobs
from cloud.notifications import service as notifications
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
    """A lift in building A with a monthly plan due from 2026-01-01, run once: one work order,
    and a notice in the admin's bell (the admin supervises the demo's categories)."""
    username = demo_data.logins["admin"]
    with demo_data.sessions.begin() as session:
        admin: Actor = identity_service.authenticate(
            session=session, username=username, password=demo_data.passwords[username]
        )
        service.create_equipment(
            session=session,
            actor=admin,
            data=EquipmentCreate(
                code="LIFT-A-01", name="A座1号客梯", kind=Kind.lift, building_code="A"
            ),
        )
        plans.create_plan(
            session=session,
            actor=admin,
            data=PlanCreate(
                code="PM-LIFT",
                title="电梯月保",
                equipment_code="LIFT-A-01",
                category_code="ELEC",
                trigger=Trigger.calendar,
                every=1,
                every_unit=Every.month,
                first_due_on=date(2026, 1, 1),
            ),
        )
        [opened] = jobs.open_due(session=session)
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
    return Due(work_order_code=opened.work_order_code, unread=unread)


def test_equipment_history_and_the_bell(
    chromium: Browser, app_url: str, demo_data: DemoData, lift_due: Due, tmp_path: Path
) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, app_url, demo_data, "admin")
    expect(page).to_have_url(f"{app_url}/")
    bell = page.get_by_role("button", name="消息")
    expect(bell.get_by_role("status")).to_have_text(str(lift_due.unread))
    page.get_by_role("link", name="设备").click()
    expect(page).to_have_url(f"{app_url}/equipment")
    lift = page.get_by_role("row", name="LIFT-A-01 A座1号客梯")
    expect(lift).to_contain_text("在用")
    expect(page.locator("tr", has_text="PM-LIFT")).to_contain_text("每 1 个月")
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
    page.close()


@pytest.fixture
def patrol_token(demo_data: DemoData) -> str:
    """A street patrol route with one checkpoint at demo unit A-12-1201; its QR token."""
    username = demo_data.logins["admin"]
    with demo_data.sessions.begin() as session:
        admin = identity_service.authenticate(
            session=session, username=username, password=demo_data.passwords[username]
        )
        inspections.create_checklist(
            session=session,
            actor=admin,
            data=ChecklistCreate(
                code="SHOP", name="沿街商铺巡查", items=list(inspections.STREET_SHOP_PATROL)
            ),
        )
        route = inspections.create_route(
            session=session,
            actor=admin,
            data=RouteCreate(
                code="R-STREET",
                name="沿街巡查",
                checkpoints=[
                    CheckpointCreate(
                        code="CP-1201",
                        name="1201 商铺",
                        checklist_code="SHOP",
                        category_code="PLUMB",
                        unit_code="A-12-1201",
                    )
                ],
            ),
        )
        return route.checkpoints[0].token


def test_an_inspector_records_an_anomaly_on_a_phone(
    chromium: Browser, app_url: str, demo_data: DemoData, patrol_token: str, tmp_path: Path
) -> None:
    page = chromium.new_page(viewport={"width": 360, "height": 740}, locale="zh-CN")
    sign_in(page, app_url, demo_data, "engineer")
    expect(page).to_have_url(f"{app_url}/")  # signed in: now the QR code's page
    page.goto(f"{app_url}/inspect/{patrol_token}")
    expect(page.get_by_text("沿街巡查 · 1. 1201 商铺")).to_be_visible()
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

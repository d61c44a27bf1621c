"""The device and alarm pages in Debian's Chromium against the real app: agents with drift and
meters with last values; an alarm acknowledged and cleared with notes."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from cloud.alarms.models import Alarm, AlarmRule, AlarmState
from cloud.alarms.service import raise_alarm
from tests.cloud.web.conftest import DemoData
from tests.cloud.web.test_browser import browser, sign_in  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def _raise_door_alarm(demo: DemoData) -> int:
    with demo.sessions.begin() as session:
        rule = session.scalars(select(AlarmRule).where(AlarmRule.code == "door-gate")).one()
        alarm = raise_alarm(
            session=session,
            rule=rule,
            subject="EM-A-1201",
            message="EM-A-1201: door_forced_open",
            at=datetime.now(UTC),
        )
        return alarm.id


def test_devices_then_an_alarm_from_raised_to_cleared(
    browser: Browser,  # noqa: F811 - the fixture imported above
    app_url: str,
    demo_data: DemoData,
) -> None:
    alarm_id = _raise_door_alarm(demo_data)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, app_url, demo_data, "engineer")
    expect(page).to_have_url(f"{app_url}/")
    page.get_by_role("link", name="物联设备", exact=True).click()
    expect(page).to_have_url(f"{app_url}/devices")
    agent = page.locator("tr", has_text="demo-park")
    expect(agent).to_contain_text("离线")  # no birth yet
    expect(agent).to_contain_text("配置不一致")  # the seed expects the demo config's hash
    expect(page.locator("tr", has_text="EM-A-1201")).to_contain_text("energy_import 1012.5")

    page.get_by_role("link", name="告警").click()
    card = page.locator(f'[data-alarm="{alarm_id}"]')
    expect(card).to_contain_text("门禁道闸告警")
    card.get_by_label("备注").fill("保安已到场")
    card.get_by_role("button", name="确认").click()
    expect(card).to_contain_text("已确认")
    card.get_by_label("备注").fill("门已修好")
    card.get_by_role("button", name="关闭").click()
    expect(page.get_by_text("没有未关闭的告警。")).to_be_visible()

    with demo_data.sessions() as session:
        alarm = session.get(Alarm, alarm_id)
        assert alarm is not None and alarm.state == AlarmState.cleared
        assert (alarm.ack_note, alarm.clear_note) == ("保安已到场", "门已修好")

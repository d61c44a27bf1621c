"""The texts of notices, per template key and language: (subject, body) with `{params}`.

Notices leave the web UI (email, SMS, a bell read later), so their texts live here beside the
outbox rather than in the UI's table; the language is the recipient's, not a browser's."""

from collections.abc import Mapping
from typing import Final

from cloud.errors import Invalid

LANGUAGES: Final = ("zh", "en")
DEFAULT_LANGUAGE: Final = "zh"

TEMPLATES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "workorder.assigned": {
        "zh": ("新工单 {code}", "工单 {code}「{title}」已派给您，地点：{where}。"),
        "en": ("New work order {code}", "Work order {code} '{title}' is yours, at {where}."),
    },
    "workorder.done": {
        "zh": ("工单 {code} 已完成", "您报修的「{title}」已处理完成，欢迎评价。"),
        "en": ("Work order {code} is done", "Your request '{title}' is done; please rate it."),
    },
    "workorder.escalated_response": {
        "zh": ("工单 {code} 响应超时", "工单 {code}「{title}」应于 {due} 前响应，已超时。"),
        "en": (
            "Work order {code}: response overdue",
            "Work order {code} '{title}' was due a response by {due}.",
        ),
    },
    "workorder.escalated_resolution": {
        "zh": ("工单 {code} 处理超时", "工单 {code}「{title}」应于 {due} 前完成，已超时。"),
        "en": (
            "Work order {code}: resolution overdue",
            "Work order {code} '{title}' was due to be done by {due}.",
        ),
    },
    "maintenance.due": {
        "zh": ("保养到期：{equipment}", "保养计划「{plan}」已到期，已开工单 {code}。"),
        "en": ("Maintenance due: {equipment}", "Plan '{plan}' is due; work order {code} opened."),
    },
    "inspection.anomaly": {
        "zh": (
            "巡检异常：{checkpoint}",
            "巡检点「{checkpoint}」发现异常：{item}，已开工单 {code}。",
        ),
        "en": (
            "Inspection anomaly: {checkpoint}",
            "Checkpoint '{checkpoint}' failed '{item}'; work order {code} opened.",
        ),
    },
    "notice.published": {
        "zh": ("园区通知：{title}", "{title}\n\n{summary}"),
        "en": ("Notice: {title}", "{title}\n\n{summary}"),
    },
    "service.done": {
        "zh": ("服务已完成 {code}", "您的服务申请「{details}」已完成。"),
        "en": ("Service request {code} done", "Your request '{details}' is done."),
    },
    "fitout.approved": {
        "zh": ("装修申请 {code} 已批准", "装修申请 {code} 已批准，缴纳押金后可进场施工。"),
        "en": (
            "Fit-out {code} approved",
            "Fit-out {code} is approved: works start once the deposit is paid.",
        ),
    },
    "fitout.rejected": {
        "zh": ("装修申请 {code} 未通过", "装修申请 {code} 未通过审核：{note}"),
        "en": ("Fit-out {code} not approved", "Fit-out {code} was not approved: {note}"),
    },
    # alarms and bills: the alarm notifier (cloud.alarms.notices) and bill posting
    "alarm.raised": {
        "zh": ("告警：{rule} {subject}", "告警「{rule}」（级别 {severity}）：{subject}。{message}"),
        "en": ("Alarm: {rule} {subject}", "{severity} alarm '{rule}' on {subject}. {message}"),
    },
    "alarm.cleared": {
        "zh": ("告警已解除：{rule} {subject}", "告警「{rule}」（{subject}）已解除。"),
        "en": ("Alarm cleared: {rule} {subject}", "Alarm '{rule}' on {subject} is cleared."),
    },
    "billing.bill_posted": {
        "zh": (
            "新账单 {code}",
            "账单 {code}（账期 {period}）已出，应缴 ¥{amount}，请于 {due} 前缴纳。",
        ),
        "en": (
            "New bill {code}",
            "Bill {code} for {period} is out: ¥{amount} due by {due}.",
        ),
    },
    "test.hello": {
        "zh": ("你好 {name}", "这是一条测试通知。"),
        "en": ("Hello {name}", "This is a test notice."),
    },
}


def render(template: str, language: str, params: Mapping[str, object]) -> tuple[str, str]:
    """(subject, body) of `template` in `language` (the default when it has none)."""
    texts = TEMPLATES.get(template)
    if texts is None:
        raise Invalid(f"no notice template {template}", field="template")
    subject, body = texts.get(language) or texts[DEFAULT_LANGUAGE]
    try:
        return subject.format(**params)[:200], body.format(**params)
    except KeyError as missing:
        raise Invalid(f"template {template} needs {missing}", field="params") from None

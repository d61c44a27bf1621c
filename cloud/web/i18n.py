"""The web UI's one translation table (Chinese by default, English) and `t()` to look strings up."""

from typing import Final, Literal, get_args

from nicegui import app

Language = Literal["zh", "en"]
LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
DEFAULT_LANGUAGE: Final[Language] = "zh"
LANGUAGE_NAMES: Final[dict[Language, str]] = {"zh": "中文", "en": "English"}

# Quasar's own strings (table footers, date pickers) follow the page language too.
QUASAR_LANGUAGE: Final[dict[Language, str]] = {"zh": "zh-CN", "en": "en-US"}

_LANGUAGE_KEY: Final = "lang"

# key -> (zh, en). Keys are grouped by page; `{name}` placeholders are filled by t(key, name=...).
TABLE: Final[dict[str, tuple[str, str]]] = {
    "app.title": ("园区运营", "ParkOps"),
    "app.logout": ("退出登录", "Sign out"),
    "app.signed_in_as": ("当前用户：{name}", "Signed in as {name}"),
    "app.error": ("出错了：{message}", "Something went wrong: {message}"),
    "login.title": ("登录", "Sign in"),
    "login.subtitle": ("园区租赁运营平台", "Leasing operations for parks and shops"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.missing": ("请输入用户名和密码。", "Enter your username and password."),
    "login.failed": ("用户名或密码错误。", "Wrong username or password."),
    "dashboard.title": ("运营看板", "Operations dashboard"),
    "dashboard.meters": ("实时电表读数", "Live meter readings"),
    "dashboard.power_chart": ("有功功率 (kW)", "Active power (kW)"),
    "dashboard.charges": ("本月电费（截至今日）", "Electricity charges, month to date"),
    "dashboard.charges_period": ("{start} 至 {end}", "{start} to {end}"),
    "dashboard.updated": ("更新于 {time}", "Updated {time}"),
    "meter.code": ("电表", "Meter"),
    "meter.unit": ("单元", "Unit"),
    "meter.voltage": ("电压", "Voltage"),
    "meter.current": ("电流", "Current"),
    "meter.active_power": ("有功功率", "Active power"),
    "meter.energy_import": ("累计电量", "Energy"),
    "meter.ts": ("读数时间", "Read at"),
    "meter.read_at": ("读数时间：{time}", "Read at {time}"),
    "meter.none": ("还没有电表读数。", "No meter readings yet."),
    "charge.lease": ("合同", "Lease"),
    "charge.tenant": ("租户", "Tenant"),
    "charge.unit": ("单元", "Unit"),
    "charge.kwh": ("用电量 (kWh)", "Energy (kWh)"),
    "charge.tariff": ("电价", "Tariff"),
    "charge.amount": ("金额", "Amount"),
    "charge.none": ("本月还没有电费。", "No electricity charges this month."),
    "mobile.title": ("我的用电", "My electricity"),
    "mobile.meter": ("电表 {code}", "Meter {code}"),
    "mobile.charge": ("本月电费", "This month's electricity"),
    "mobile.usage": ("用电 {kwh} kWh × {tariff}", "{kwh} kWh × {tariff}"),
    "mobile.repairs": ("报修与维修进度", "Repairs and their progress"),
    "nav.dashboard": ("看板", "Dashboard"),
    "nav.work_orders": ("工单", "Work orders"),
    "wo.title": ("工单", "Work orders"),
    "wo.order_title": ("工单 {code}", "Work order {code}"),
    "wo.filter_state": ("状态", "State"),
    "wo.filter_building": ("楼栋", "Building"),
    "wo.category": ("类别", "Category"),
    "wo.priority": ("优先级", "Priority"),
    "wo.unit": ("单元", "Unit"),
    "wo.location": ("位置", "Location"),
    "wo.description": ("问题描述", "Description"),
    "wo.new": ("新建工单", "New work order"),
    "wo.submit": ("提交", "Submit"),
    "wo.pick_category": ("请选择类别。", "Choose a category."),
    "wo.none": ("没有工单。", "No work orders."),
    "wo.col.code": ("编号", "Code"),
    "wo.col.title": ("事项", "Subject"),
    "wo.col.state": ("状态", "State"),
    "wo.col.where": ("位置", "Where"),
    "wo.col.assignee": ("处理人", "Assignee"),
    "wo.col.orders": ("单数", "Orders"),
    "wo.col.response_pct": ("响应及时率", "Responded on time"),
    "wo.col.resolution_pct": ("完成及时率", "Resolved on time"),
    "wo.col.escalations": ("升级次数", "Escalations"),
    "wo.col.mean_rating": ("平均评分", "Mean rating"),
    "wo.reported_at": ("报修时间", "Reported"),
    "wo.response_due": ("响应时限", "Respond by"),
    "wo.resolution_due": ("完成时限", "Resolve by"),
    "wo.responded_at": ("接单时间", "Accepted"),
    "wo.resolved_at": ("完工时间", "Done"),
    "wo.overdue": ("已超时", "overdue"),
    "wo.tenant": ("租户", "Tenant"),
    "wo.alarm": ("告警", "Alarm"),
    "wo.rating_label": ("租户评价", "Tenant's rating"),
    "wo.report": ("本月服务水平", "Service levels this month"),
    "wo.actions": ("处理", "Actions"),
    "wo.note": ("备注（挂起、重新打开时必填）", "Note (needed to hold or reopen)"),
    "wo.dispatch": ("派单", "Dispatch"),
    "wo.skill": ("技能匹配", "Has the skill"),
    "wo.building_match": ("负责本楼", "Looks after the building"),
    "wo.load": ("在办 {count} 单", "{count} open"),
    "wo.assign": ("派给{name}", "Assign to {name}"),
    "wo.materials": ("材料与工时", "Materials and time"),
    "wo.item": ("材料", "Item"),
    "wo.quantity": ("数量", "Quantity"),
    "wo.unit_price": ("单价（元）", "Unit price (CNY)"),
    "wo.labour": ("工时", "Time"),
    "wo.minutes": ("分钟", "minutes"),
    "wo.hourly_rate": ("时薪（元/小时）", "Rate (CNY/hour)"),
    "wo.add": ("添加", "Add"),
    "wo.total": ("合计 {amount}", "Total {amount}"),
    "wo.chargeable": (
        "有偿服务：验收后计入租户下期账单",
        "Chargeable: on the tenant's next bill once verified",
    ),
    "wo.photos": ("照片与签名", "Photos and signature"),
    "wo.signature": ("租户签名", "Tenant's signature"),
    "wo.upload_photo": ("上传照片", "Upload a photo"),
    "wo.upload_signature": ("上传租户签名", "Upload the tenant's signature"),
    "wo.history": ("处理记录", "History"),
    "wo.system": ("系统", "System"),
    "wo.state.new": ("待派单", "New"),
    "wo.state.assigned": ("已派单", "Assigned"),
    "wo.state.accepted": ("已接单", "Accepted"),
    "wo.state.in_progress": ("处理中", "In progress"),
    "wo.state.on_hold": ("已挂起", "On hold"),
    "wo.state.done": ("已完工", "Done"),
    "wo.state.closed": ("已验收关闭", "Verified and closed"),
    "wo.priority.urgent": ("紧急", "Urgent"),
    "wo.priority.high": ("高", "High"),
    "wo.priority.normal": ("普通", "Normal"),
    "wo.priority.low": ("低", "Low"),
    "wo.source.tenant": ("租户报修", "Tenant request"),
    "wo.source.staff": ("员工发起", "Raised by staff"),
    "wo.source.alarm": ("告警", "Alarm"),
    "wo.action.accept": ("接单", "Accept"),
    "wo.action.start": ("开始处理", "Start"),
    "wo.action.hold": ("挂起", "Put on hold"),
    "wo.action.resume": ("继续处理", "Resume"),
    "wo.action.finish": ("完工", "Mark done"),
    "wo.action.verify": ("验收关闭", "Verify and close"),
    "wo.action.reopen": ("重新打开", "Reopen"),
    "repair.title": ("报修", "Repairs"),
    "repair.back": ("← 返回", "← Back"),
    "repair.new": ("我要报修", "Report a repair"),
    "repair.where": ("具体位置（可选）", "Where exactly (optional)"),
    "repair.describe": ("请描述问题", "What is wrong?"),
    "repair.photos": ("添加照片", "Add photos"),
    "repair.photos_added": ("已添加 {count} 张照片", "{count} photo(s) added"),
    "repair.submit": ("提交报修", "Send the request"),
    "repair.sent": ("报修已提交：{code}", "Request sent: {code}"),
    "repair.mine": ("我的报修", "My requests"),
    "repair.none": ("还没有报修。", "No requests yet."),
    "repair.assignee": ("处理人：{name}", "Being handled by {name}"),
    "repair.rate": ("请评价本次服务", "Please rate this service"),
    "repair.comment": ("评价（可选）", "Comment (optional)"),
    "repair.send_rating": ("提交评价", "Send rating"),
    "repair.thanks": ("感谢您的评价！", "Thank you for your rating!"),
}


def translate(key: str, language: Language, **values: object) -> str:
    """The text of `key` in `language`, with `{placeholders}` filled from `values`."""
    zh, en = TABLE[key]
    text = zh if language == "zh" else en
    return text.format(**values) if values else text


def current_language() -> Language:
    """The signed-in browser's language; the default outside a page (e.g. at start-up)."""
    try:
        chosen = app.storage.user.get(_LANGUAGE_KEY, DEFAULT_LANGUAGE)
    except (RuntimeError, AssertionError):
        return DEFAULT_LANGUAGE
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def set_language(language: Language) -> None:
    """Remember the browser's language choice (kept across pages and sign-ins)."""
    app.storage.user[_LANGUAGE_KEY] = language


def t(key: str, **values: object) -> str:
    """The text of `key` in the current browser's language."""
    return translate(key, current_language(), **values)

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
    "nav.dashboard": ("运营看板", "Dashboard"),
    "nav.contracts": ("合同", "Contracts"),
    # contracts: the list, one contract, its dialogs
    "contracts.title": ("合同管理", "Contracts"),
    "contracts.list": ("合同列表", "All contracts"),
    "contracts.none": ("还没有合同。", "No contracts yet."),
    "contracts.search": ("搜索编号、租户、单元、状态", "Search code, tenant, unit, status"),
    "contracts.new": ("新建合同", "New contract"),
    "contracts.alerts": ("到期预警", "Expiring contracts"),
    "contracts.alert_days": ("{days} 天内到期", "ends within {days} days"),
    "contracts.acknowledge": ("知悉", "Acknowledge"),
    "contract.title": ("合同 {code}", "Contract {code}"),
    "contract.code": ("合同编号", "Contract"),
    "contract.tenant": ("租户", "Tenant"),
    "contract.units": ("单元", "Units"),
    "contract.start": ("开始日期", "Start"),
    "contract.end": ("结束日期", "End"),
    "contract.status": ("状态", "Status"),
    "contract.version": ("当前版本", "Version in force"),
    "contract.renewal_of": ("续签自", "Renews"),
    "contract.renewed_by": ("续签为", "Renewed by"),
    "contract.leases": ("租约", "Leases"),
    "contract.terminated_on": ("提前终止于", "Ended early on"),
    "contract.next_step": ("待{role}审批", "Awaiting {role}"),
    "contract.status_draft": ("草稿", "Draft"),
    "contract.status_submitted": ("审批中", "In approval"),
    "contract.status_approved": ("已审批", "Approved"),
    "contract.status_signed": ("已签署", "Signed"),
    "contract.status_active": ("执行中", "Active"),
    "contract.status_expired": ("已到期", "Expired"),
    "contract.status_terminated": ("已终止", "Terminated"),
    "contract.status_superseded": ("已被变更替代", "Superseded"),
    "role.admin": ("管理员", "an admin"),
    "role.staff": ("招商", "leasing staff"),
    "role.finance": ("财务", "finance"),
    "action.edit": ("编辑", "Edit"),
    "action.delete": ("删除", "Delete"),
    "action.submit": ("提交审批", "Submit"),
    "action.approve": ("审批通过", "Approve"),
    "action.reject": ("驳回", "Reject"),
    "action.sign": ("签署", "Sign"),
    "action.activate": ("生效", "Activate"),
    "action.amend": ("变更", "Amend"),
    "action.renew": ("续签", "Renew"),
    "action.terminate": ("提前终止", "End early"),
    "action.done": ("已完成：{action}", "Done: {action}"),
    "dialog.cancel": ("取消", "Cancel"),
    "dialog.save": ("保存", "Save"),
    "dialog.create": ("创建草稿", "Create draft"),
    "dialog.preview": ("预览账单", "Preview schedule"),
    "dialog.code": ("合同编号（留空自动编号）", "Contract code (empty: numbered for you)"),
    "dialog.tariff": ("电价（元/kWh）", "Electricity tariff (CNY/kWh)"),
    "dialog.terms": ("合同条款（JSON）", "Terms (JSON)"),
    "dialog.deposits": ("押金（JSON）", "Deposits (JSON)"),
    "dialog.bad_input": ("输入有误：{message}", "Please check: {message}"),
    "dialog.reason": ("原因", "Reason"),
    "dialog.delete_draft": ("删除草稿 {code}？", "Delete draft {code}?"),
    "dialog.effective_from": ("生效日期", "Effective from"),
    "dialog.note": ("变更说明", "What changes"),
    "dialog.renew_end": ("结束日期（留空：与原租期等长）", "End (empty: as long as the old term)"),
    "dialog.last_day": ("最后租用日", "Last day"),
    "dialog.penalty": ("违约金（元）", "Penalty (CNY)"),
    "terms.title": ("合同条款", "Terms"),
    "terms.shown": ("第 {n} 版（{status}）", "Version {n} ({status})"),
    "terms.lease_start": ("交付日", "Handover"),
    "terms.rent_start": ("计租日", "Rent start"),
    "terms.end": ("到期日", "End"),
    "terms.item": ("费用项", "Fee item"),
    "terms.kind": ("类别", "Kind"),
    "terms.price": ("单价", "Price"),
    "terms.area": ("计费面积", "Area"),
    "terms.escalation": ("递增", "Escalation"),
    "terms.free_rent": ("免租期", "Rent-free"),
    "terms.free_window": ("{start} 至 {end}：{items}", "{start} to {end}: {items}"),
    "terms.payment": ("付款", "Payment"),
    "terms.proration": ("不足月", "Part months"),
    "terms.deposits": ("押金", "Deposits"),
    "terms.usage": ("用途限制", "Usage"),
    "terms.clauses": ("特别条款", "Special clauses"),
    "terms.tariff": ("电价", "Electricity tariff"),
    "terms.note": ("变更说明", "Amendment"),
    "terms.none": ("无", "None"),
    "kind.rent": ("租金", "Rent"),
    "kind.property_fee": ("物业费", "Property fee"),
    "kind.parking": ("停车费", "Parking"),
    "kind.advertising": ("广告费", "Advertising"),
    "kind.other": ("其他", "Other"),
    "pricing.per_sqm_day": ("{price} 元/㎡/天", "CNY {price}/m²/day"),
    "pricing.per_sqm_month": ("{price} 元/㎡/月", "CNY {price}/m²/month"),
    "pricing.fixed_month": ("{price} 元/月", "CNY {price}/month"),
    "area.gross": ("建筑面积", "Gross"),
    "area.net": ("套内面积", "Net"),
    "area.rentable": ("计租面积", "Rentable"),
    "escalation.percent": ("每 {months} 个月 +{value}%", "+{value}% every {months} months"),
    "escalation.amount": ("每 {months} 个月 +{value}", "+{value} every {months} months"),
    "escalation.compound": ("（复利）", " (compound)"),
    "escalation.step": ("{date} 起 {price}", "{price} from {date}"),
    "cycle.monthly": ("月付", "Monthly"),
    "cycle.quarterly": ("季付", "Quarterly"),
    "cycle.half_yearly": ("半年付", "Half-yearly"),
    "cycle.yearly": ("年付", "Yearly"),
    "due.days_before_start": ("账期开始前 {days} 天", "{days} days before the period"),
    "due.day_of_month_before": ("上月 {day} 日", "day {day} of the month before"),
    "due.day_of_start_month": ("当月 {day} 日", "day {day} of the month"),
    "proration.actual_days": ("按当月实际天数", "by the month's actual days"),
    "proration.thirty_day": ("每月按 30 天", "30-day months"),
    "schedule.title": ("收费计划", "Charge schedule"),
    "schedule.stored": ("已生成的应收", "Stored charges"),
    "schedule.compiled": ("按条款试算", "Compiled from the terms"),
    "schedule.due": ("应收日", "Due"),
    "schedule.period": ("账期", "Period"),
    "schedule.amount": ("金额", "Amount"),
    "schedule.posted": ("已入账", "Posted"),
    "schedule.total": ("合计 {amount}", "Total {amount}"),
    "schedule.none": ("没有费用。", "No charges."),
    "diff.title": ("变更差异（自 {date} 起）", "Amendment difference (from {date})"),
    "diff.change": ("变动", "Change"),
    "diff.added": ("新增", "Added"),
    "diff.removed": ("删除", "Removed"),
    "diff.changed": ("修改", "Changed"),
    "diff.old": ("原金额", "Before"),
    "diff.new": ("新金额", "After"),
    "diff.applied": ("签署后", "On signing"),
    "diff.regenerated": ("重新生成", "regenerated"),
    "diff.kept": ("保留原账（已入账，需调整）", "kept (posted: needs an adjustment)"),
    "diff.totals": (
        "原 {old} → 新 {new}，差额 {difference}",
        "{old} → {new}, difference {difference}",
    ),
    "diff.none": ("本次变更不改变任何费用。", "The amendment changes no charge."),
    "approvals.title": ("审批记录", "Approvals"),
    "approvals.none": ("暂无审批记录。", "No approvals yet."),
    "approvals.step": ("轮次/步骤", "Round/step"),
    "approvals.decision": ("结果", "Decision"),
    "approvals.who": ("审批人", "By"),
    "approvals.when": ("时间", "When"),
    "approvals.reason": ("意见", "Note"),
    "decision.approved": ("通过", "Approved"),
    "decision.rejected": ("驳回", "Rejected"),
    "settlement.title": ("退租结算（最后租用日 {date}）", "Settlement (last day {date})"),
    "settlement.kind": ("类型", "Kind"),
    "line.outstanding": ("未结费用", "Outstanding"),
    "line.credit": ("退还", "Credit"),
    "line.penalty": ("违约金", "Penalty"),
    "line.deposit": ("押金抵扣", "Deposit"),
    "settlement.pays": ("租户应付 {amount}", "The tenant pays {amount}"),
    "settlement.refund": ("应退租户 {amount}", "Refund to the tenant {amount}"),
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

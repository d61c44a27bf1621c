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
    "nav.dashboard": ("运营看板", "Dashboard"),
    "nav.board": ("房态图", "Vacancy board"),
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
    "board.title": ("房态图", "Vacancy board"),
    "board.site": ("园区 / 街区", "Site"),
    "board.building": ("楼栋", "Building"),
    "board.on": ("日期", "Date"),
    "board.no_sites": ("还没有园区或街区。", "No sites yet."),
    "board.no_buildings": ("这个园区还没有楼栋。", "This site has no buildings yet."),
    "board.no_floors": ("这栋楼还没有楼层。", "This building has no floors yet."),
    "board.empty_floor": ("本层暂无单元", "No units on this floor"),
    "board.by_area": ("出租率（按面积）", "Occupancy by area"),
    "board.by_count": ("出租率（按套数）", "Occupancy by count"),
    "board.let_area": ("已租 {let} / {total} m²", "{let} of {total} m² let"),
    "board.let_units": ("已租 {let} / {total} 套", "{let} of {total} units let"),
    "board.area": ("{area} m²", "{area} m²"),
    "board.expires": ("到期 {date}", "Ends {date}"),
    "board.rent": ("{rent}/m²·月", "{rent}/m²·month"),
    "status.vacant": ("空置", "Vacant"),
    "status.reserved": ("预定", "Reserved"),
    "status.leased": ("已签约", "Leased"),
    "status.fitting_out": ("装修中", "Fitting out"),
    "status.awaiting_acceptance": ("待验收", "Awaiting acceptance"),
    "status.in_operation": ("营业中", "In operation"),
    "status.moving_out": ("退租中", "Moving out"),
    "rent.free_rent": ("免租期", "Rent-free"),
    "rent.billing": ("计租中", "Billing"),
    "rent.suspended": ("暂停计租", "Rent suspended"),
    "mobile.title": ("我的用电", "My electricity"),
    "mobile.meter": ("电表 {code}", "Meter {code}"),
    "mobile.charge": ("本月电费", "This month's electricity"),
    "mobile.usage": ("用电 {kwh} kWh × {tariff}", "{kwh} kWh × {tariff}"),
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

"""A contract's printable document (合同文本): the version's terms in Chinese, with its charge
schedule as the compiler makes it, from a template per contract type (office or street shop).

The type follows the units: a contract with any shop unit is a street-shop lease. Only the
clauses that differ between the types live in `TEMPLATES`; the rest is one layout for both.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session

from cloud.documents.model import Block, Document, Fields, Heading, Paragraph, Table
from cloud.documents.render import Format, Rendered, render_template
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.leasing.contracts import service
from cloud.leasing.contracts.models import Contract, ContractVersion
from cloud.leasing.terms import Charge, compile_schedule
from cloud.leasing.terms_schemas import ContractTerms, FeeItem, PeriodicEscalation
from cloud.properties.models import UnitKind

Kind = Literal["office", "shop"]

TEMPLATES: dict[Kind, dict[str, str]] = {
    "office": {
        "title": "写字楼租赁合同",
        "use": "乙方承租上述房屋用于办公，未经甲方书面同意不得改变用途。",
        "care": "乙方应合理使用并爱护房屋及公共设施，遵守大厦管理规定；装修方案须经甲方书面同意。",
    },
    "shop": {
        "title": "商铺租赁合同",
        "use": "乙方承租上述商铺用于合法经营，经营范围以营业执照为准，"
        "未经甲方书面同意不得改变业态。",
        "care": "乙方应遵守街区统一的营业时间、招牌与外立面、消防及环境卫生管理规定，"
        "门前区域不得占道经营；装修及招牌设置方案须经甲方书面同意。",
    },
}
KIND_NAMES = {
    "rent": "租金",
    "property_fee": "物业费",
    "parking": "停车费",
    "advertising": "广告费",
}
PRICING = {
    "per_m2_per_day": "元/m²/天",
    "per_m2_per_month": "元/m²/月",
    "fixed_per_month": "元/月",
}
AREA_NAMES = {"gross": "建筑面积", "net": "套内面积", "rentable": "计租面积"}
CYCLES = {"monthly": "按月", "quarterly": "按季", "half_yearly": "按半年", "yearly": "按年"}


@dataclass(frozen=True)
class ContractContext:
    """Everything the contract templates print."""

    kind: Kind
    org_name: str
    code: str
    version: int
    tenant_code: str
    tenant_name: str
    terms: ContractTerms
    schedule: list[Charge]
    deposits: list[tuple[str, Decimal]]
    electricity_tariff: Decimal
    usage_restrictions: str
    special_clauses: str


def contract_document(
    *, session: Session, actor: Actor, code: str, number: int | None = None, format: Format = "pdf"
) -> Rendered:
    """The document of a visible contract's version `number` (default: the one in force, or the
    draft before signing), as PDF, or HTML when asked or when no Chinese font is installed."""
    contract = service.get_contract(session=session, actor=actor, code=code)
    if number is None:
        version = service.current_version(contract)
    else:
        version = service.get_version(session=session, actor=actor, code=code, number=number)
    org = identity_service.get_org(session=session, actor=actor)
    return render_template(build, context_of(contract, version, org.name), format=format)


def context_of(contract: Contract, version: ContractVersion, org_name: str) -> ContractContext:
    terms = service.terms_of(version)
    shop = any(unit.kind == UnitKind.shop for unit in version.units)
    return ContractContext(
        kind="shop" if shop else "office",
        org_name=org_name,
        code=contract.code,
        version=version.number,
        tenant_code=contract.tenant.code,
        tenant_name=contract.tenant.name,
        terms=terms,
        schedule=compile_schedule(terms),
        deposits=[(d["item"], Decimal(d["amount"])) for d in version.deposits],
        electricity_tariff=version.electricity_tariff,
        usage_restrictions=version.usage_restrictions,
        special_clauses=version.special_clauses,
    )


def build(ctx: ContractContext) -> Document:
    """The contract's document from the template of its type."""
    template = TEMPLATES[ctx.kind]
    terms = ctx.terms
    number = f"{ctx.code}" + (f"（第 {ctx.version} 版）" if ctx.version > 1 else "")
    blocks: list[Block] = [
        Heading(template["title"], 0),
        Fields(
            (
                ("合同编号", number),
                ("出租方（甲方）", ctx.org_name),
                ("承租方（乙方）", f"{ctx.tenant_name}（{ctx.tenant_code}）"),
            )
        ),
        Heading("第一条 租赁标的"),
        _units(terms),
        Paragraph(template["use"]),
        Heading("第二条 租赁期限"),
        Paragraph(
            f"交付日 {terms.lease_start}，计租日 {terms.rent_start}，租赁期至 {terms.end} 止"
            "（含首尾两日）。"
        ),
        Heading("第三条 租金及费用"),
        _fees(terms),
        *_free_rent(terms),
        Paragraph(
            f"付款周期：{CYCLES[terms.payment_cycle]}，{_due(terms)}。"
            f"电费按实际用电量计收，单价 {ctx.electricity_tariff.normalize():f} 元/kWh。"
        ),
        Heading("第四条 押金"),
        *_deposits(ctx),
        Heading("第五条 收费明细"),
        *_schedule(ctx.schedule),
        Heading("第六条 使用要求"),
        Paragraph(template["care"]),
    ]
    if ctx.usage_restrictions.strip():
        blocks += [Heading("用途限制", 2), Paragraph(ctx.usage_restrictions.strip())]
    if ctx.special_clauses.strip():
        blocks += [Heading("第七条 特别条款"), Paragraph(ctx.special_clauses.strip())]
    blocks += [
        Heading("签署"),
        Table(
            ("甲方（盖章）", "乙方（盖章）"),
            (
                (
                    f"{ctx.org_name}\n\n代表签字：\n日期：",
                    f"{ctx.tenant_name}\n\n代表签字：\n日期：",
                ),
            ),
        ),
    ]
    return Document(
        title=f"{template['title']} {ctx.code}",
        blocks=tuple(blocks),
        footer=f"{ctx.code} · 本合同一式两份，甲乙双方各执一份，具同等法律效力。",
    )


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _units(terms: ContractTerms) -> Table:
    rows = tuple((u.code, f"{u.gross}", f"{u.net}", f"{u.rentable}") for u in terms.units)
    total = sum((u.rentable for u in terms.units), Decimal(0))
    rows += (("合计", "", "", f"{total}"),)
    return Table(
        ("单元", "建筑面积 m²", "套内面积 m²", "计租面积 m²"),
        rows,
        align=("left", "right", "right", "right"),
        widths=(2, 1, 1, 1),
    )


def _fees(terms: ContractTerms) -> Table:
    rows = tuple(
        (
            item.name,
            KIND_NAMES.get(item.kind, "其他"),
            f"{item.price.normalize():f} {PRICING[item.pricing]}"
            + ("" if item.pricing == "fixed_per_month" else f"（按{AREA_NAMES[item.area_type]}）"),
            _escalation(item),
        )
        for item in terms.fee_items
    )
    return Table(("项目", "类别", "单价", "调价"), rows, widths=(2, 1, 3, 3))


def _escalation(item: FeeItem) -> str:
    escalation = item.escalation
    if escalation is None:
        return "不调整"
    if isinstance(escalation, PeriodicEscalation):
        step = (
            f"{escalation.value.normalize():f}%"
            if escalation.by == "percent"
            else f"{escalation.value.normalize():f} 元"
        )
        how = "（复利）" if escalation.compound and escalation.by == "percent" else ""
        return f"自计租日起每 {escalation.every_months} 个月上调 {step}{how}"
    return "；".join(f"{s.from_date} 起 {s.price.normalize():f}" for s in escalation.steps)


def _free_rent(terms: ContractTerms) -> list[Block]:
    if not terms.free_rent:
        return []
    lines = [
        f"{w.start} 至 {w.end}：免收{'、'.join(w.items) if w.items else '租金'}"
        for w in terms.free_rent
    ]
    return [Paragraph("免租期：" + "；".join(lines) + "。")]


def _due(terms: ContractTerms) -> str:
    due = terms.due
    if due.rule == "days_before_start":
        return f"每期于期初前 {due.days} 日支付" if due.days else "每期于期初当日支付"
    if due.rule == "day_of_month_before":
        return f"每期于上月 {due.day} 日前支付"
    return f"每期于当月 {due.day} 日前支付"


def _deposits(ctx: ContractContext) -> list[Block]:
    if not ctx.deposits:
        return [Paragraph("本合同不收取押金。")]
    total = sum((amount for _, amount in ctx.deposits), Decimal("0.00"))
    rows = tuple((item, money(amount)) for item, amount in ctx.deposits)
    return [
        Table(
            ("押金项目", "金额（元）"), rows + (("合计", money(total)),), align=("left", "right")
        ),
        Paragraph("押金于合同终止、乙方结清全部费用并返还房屋后无息退还。"),
    ]


def _schedule(schedule: list[Charge]) -> list[Block]:
    rows = tuple(
        (str(c.due_date), str(c.period_start), str(c.period_end), c.item, money(c.amount))
        for c in schedule
    )
    total = sum((c.amount for c in schedule), Decimal("0.00"))
    return [
        Table(
            ("应付日", "起", "止", "项目", "金额（元）"),
            rows + (("合计", "", "", "", money(total)),),
            align=("left", "left", "left", "left", "right"),
            widths=(2, 2, 2, 2, 2),
        )
    ]

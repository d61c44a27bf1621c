"""A bill's printable document (缴费通知单): the org and tenant, each line with its metering
(kWh between the opening and closing register readings), the total, what is paid and what is
still owed, and how to pay — as PDF with an embedded Chinese font, or printable HTML.

It is read through `arrears.get_bill`, so it is scoped like the bill itself: a tenant gets only
its own bills, and another tenant's bill is not found.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from cloud.billing import arrears
from cloud.billing.schemas import BillDetail, BillLine
from cloud.documents.capitals import capital_amount
from cloud.documents.model import Document, Fields, Heading, Paragraph, Table
from cloud.documents.render import Format, Rendered, render_template
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor

TITLE = "缴费通知单"
PAY_PATH = "/m/pay"
KINDS = {"late_fee": "违约金", "refund": "退款"}
BASES = {"area": "按面积", "headcount": "按人数", "usage": "按用量"}


@dataclass(frozen=True)
class BillContext:
    """Everything the bill's document prints."""

    org_name: str
    bill: BillDetail
    printed_on: date

    @property
    def paid(self) -> Decimal:
        return self.bill.total - self.bill.outstanding


def bill_document(*, session: Session, actor: Actor, code: str, format: Format = "pdf") -> Rendered:
    """The document of a visible bill, as PDF, or HTML when asked or when no Chinese font is
    installed (`Rendered.note` then says so)."""
    bill = arrears.get_bill(session=session, actor=actor, code=code)
    org = identity_service.get_org(session=session, actor=actor)
    today = identity_service.org_today(session=session, actor=actor)
    return render_template(build, BillContext(org.name, bill, today), format=format)


def build(ctx: BillContext) -> Document:
    bill = ctx.bill
    return Document(
        title=f"{TITLE} {bill.code}",
        blocks=(
            Heading(TITLE, 0),
            Fields(
                (
                    ("收费单位", ctx.org_name),
                    ("租户", f"{bill.tenant_name}（{bill.tenant_code}）"),
                    ("账单编号", bill.code),
                    ("账期", f"{bill.period_start} 至 {bill.period_end}"),
                    ("出账日期", str(bill.issued_on)),
                    ("缴费截止日", str(bill.due_date)),
                )
            ),
            Heading("费用明细"),
            _lines(bill),
            Fields(
                (
                    ("本期应缴", f"¥{money(bill.total)}"),
                    ("已缴", f"¥{money(ctx.paid)}"),
                    ("未缴", f"¥{money(bill.outstanding)}"),
                    ("未缴（大写）", "人民币" + capital_amount(bill.outstanding)),
                )
            ),
            Heading("缴费方式"),
            Paragraph(_how_to_pay(bill)),
        ),
        footer=f"{ctx.org_name} · {bill.code} · 打印于 {ctx.printed_on}",
    )


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _lines(bill: BillDetail) -> Table:
    rows = tuple(
        (
            _item(line),
            _period(line),
            _quantity(line),
            _unit_price(line),
            money(line.amount),
        )
        for line in bill.lines
    )
    rows += (("合计", "", "", "", money(bill.total)),)
    return Table(
        ("项目", "计费期间", "数量 / 读数", "单价（元）", "金额（元）"),
        rows,
        align=("left", "left", "left", "right", "right"),
        widths=(2, 3, 4, 2, 2),
    )


def _item(line: BillLine) -> str:
    return line.item or KINDS.get(line.kind, line.kind)


def _period(line: BillLine) -> str:
    if line.period_start is None or line.period_end is None:
        return ""
    return f"{line.period_start} 至 {line.period_end}"


def _quantity(line: BillLine) -> str:
    """A metered line's energy with the register readings it is the difference of."""
    detail = line.detail or {}
    if "kwh" in detail and "opening" in detail:
        ratio = detail.get("ct_ratio", "1")
        text = f"{detail['kwh']} kWh\n表 {detail.get('meter', '')}：{detail['opening']} → "
        text += f"{detail['closing']}"
        text += "" if _decimal(ratio) == 1 else f"，倍率 {ratio}"
        return text + (f"\n换表 {detail['exchanges']}" if "exchanges" in detail else "")
    if "kwh_total" in detail:  # a share of a common meter (公摊)
        basis = BASES.get(detail.get("basis", ""), "")
        return f"公摊表 {detail.get('meter', '')} 共 {detail['kwh_total']} kWh，{basis}分摊"
    if "work" in detail:
        return detail["work"]
    return ""


def _unit_price(line: BillLine) -> str:
    """The per-kWh price of a line priced at a flat tariff; a tiered or time-of-use plan is
    named instead, its price varying within the line."""
    tariff = (line.detail or {}).get("tariff")
    if tariff is None:
        return ""
    price = _decimal(tariff)
    return tariff if price is None else f"{price.normalize():f}/kWh"


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _how_to_pay(bill: BillDetail) -> str:
    if bill.outstanding <= 0:
        return "本账单已缴清，感谢您的支持。"
    # No spaces: a PDF paragraph is justified by stretching them, which tears Chinese lines apart.
    return (
        f"请于{bill.due_date}前缴清未缴金额¥{money(bill.outstanding)}：登录租户端，打开"
        f"“在线缴费”页面（{PAY_PATH}）选择本账单支付；或转账至收费单位账户，并在附言中注明"
        f"账单编号{bill.code}。逾期未缴的，按合同约定计收违约金。"
    )

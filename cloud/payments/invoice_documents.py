"""An invoice's document (发票): seller and buyer with their tax details, the number and date,
the lines with their tax, and the total in figures and in capital numerals (价税合计大写).

`InvoiceTemplate` is the built-in provider's `DocumentRenderer`: the printable HTML it returns is
what is stored when the invoice is issued; the PDF is drawn from the same template on demand,
from the issued invoice and its request, which never change once issued.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from cloud.documents.capitals import capital_amount
from cloud.documents.model import Document, Fields, Heading, Table
from cloud.documents.render import HTML, to_html
from cloud.identity.models import Org
from cloud.payments.models import InvoiceRequest

TITLE = "发票"
# VAT on leasing real estate for a general taxpayer; the amount asked for includes it.
TAX_RATE = Decimal("0.09")
FEN = Decimal("0.01")
UNREGISTERED = "（未登记）"


@dataclass(frozen=True)
class Party:
    name: str
    tax_id: str = ""
    address: str = ""  # address and phone
    bank: str = ""  # bank and account number


@dataclass(frozen=True)
class InvoiceLine:
    item: str
    gross: Decimal  # tax included, as asked for
    rate: Decimal

    @property
    def net(self) -> Decimal:
        return (self.gross / (1 + self.rate)).quantize(FEN, ROUND_HALF_UP)

    @property
    def tax(self) -> Decimal:
        return self.gross - self.net  # so net and tax always add up to what was asked


@dataclass(frozen=True)
class InvoiceContext:
    number: str
    issued_on: date
    seller: Party
    buyer: Party
    lines: tuple[InvoiceLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.gross for line in self.lines), Decimal("0.00"))


class InvoiceTemplate:
    """The 发票 as printable HTML through the `DocumentRenderer` seam, and as PDF."""

    content_type = HTML

    def __init__(self, seller: dict[str, str] | None = None) -> None:
        """`seller`: the details kept with an invoice when issued (`invoices.seller_snapshot`);
        without them, the org's name alone at the default rate."""
        self.seller = seller or {}

    def render(self, *, org: Org, request: InvoiceRequest, number: str, issued_on: date) -> str:
        return to_html(self.document(org=org, request=request, number=number, issued_on=issued_on))

    def document(
        self, *, org: Org, request: InvoiceRequest, number: str, issued_on: date
    ) -> Document:
        return build(self.context(org=org, request=request, number=number, issued_on=issued_on))

    def context(
        self, *, org: Org, request: InvoiceRequest, number: str, issued_on: date
    ) -> InvoiceContext:
        buyer = Party(request.buyer_name, request.tax_id, request.address, request.bank)
        kept = self.seller
        seller = Party(
            kept.get("name", org.name),
            kept.get("tax_id", ""),
            kept.get("address", ""),
            kept.get("bank", ""),
        )
        rate = Decimal(kept.get("tax_rate", TAX_RATE))
        line = InvoiceLine(request.description, request.amount, rate)
        return InvoiceContext(number, issued_on, seller, buyer, (line,))


def build(ctx: InvoiceContext) -> Document:
    rows = tuple(
        (line.item, money(line.net), percent(line.rate), money(line.tax), money(line.gross))
        for line in ctx.lines
    )
    net = sum((line.net for line in ctx.lines), Decimal("0.00"))
    tax = sum((line.tax for line in ctx.lines), Decimal("0.00"))
    rows += (("合计", money(net), "", money(tax), money(ctx.total)),)
    return Document(
        title=f"{TITLE} {ctx.number}",
        blocks=(
            Heading(TITLE, 0),
            Fields((("发票号码", ctx.number), ("开票日期", f"{ctx.issued_on:%Y年%m月%d日}"))),
            Heading("购买方"),
            _party(ctx.buyer),
            Heading("销售方"),
            _party(ctx.seller),
            Heading("项目"),
            Table(
                ("项目名称", "金额（不含税）", "税率", "税额", "价税合计"),
                rows,
                align=("left", "right", "right", "right", "right"),
                widths=(4, 2, 1, 2, 2),
            ),
            Fields(
                (
                    ("价税合计（大写）", "ⓧ " + capital_amount(ctx.total)),
                    ("价税合计（小写）", f"¥{money(ctx.total)}"),
                )
            ),
        ),
        footer=f"{ctx.seller.name} · {ctx.number}",
    )


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _party(party: Party) -> Fields:
    return Fields(
        (
            ("名称", party.name),
            ("纳税人识别号", party.tax_id or UNREGISTERED),
            ("地址、电话", party.address or "—"),
            ("开户行及账号", party.bank or "—"),
        )
    )

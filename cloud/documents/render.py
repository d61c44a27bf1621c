"""Rendering a `Document`: PDF (fpdf2, the Chinese font embedded as a subset) or printable HTML.

`render` falls back to HTML, and says so in `Rendered.note`, when a PDF is asked for and no
Chinese font is installed: a PDF without one would show empty boxes for every character.
"""

import html
import logging
from dataclasses import dataclass
from typing import Literal

from fpdf import FPDF
from fpdf.enums import Align as PdfAlign
from fpdf.fonts import FontFace

from cloud.documents.fonts import INSTALL_HINT, FontFile, find_cjk_font
from cloud.documents.model import C, Document, Fields, Heading, Paragraph, Table, Template

Format = Literal["pdf", "html"]
PDF = "application/pdf"
HTML = "text/html; charset=utf-8"
FAMILY = "cjk"
SIZES = {0: 16.0, 1: 12.5, 2: 11.0}
BODY = 10.0

# fontTools narrates every table it cannot subset (a CJK font's embedded bitmaps) at WARNING.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Rendered:
    content: bytes
    media_type: str
    extension: str  # "pdf" or "html"
    note: str | None = None  # why it is not what was asked for


def render(document: Document, *, format: Format = "pdf", font: FontFile | None = None) -> Rendered:
    """The document as PDF (with `font`, or one found on the system) or as HTML."""
    if format == "html":
        return Rendered(to_html(document).encode(), HTML, "html")
    font = font or find_cjk_font()
    if font is None:
        note = f"no Chinese font installed ({INSTALL_HINT}): printable HTML instead of PDF"
        return Rendered(to_html(document).encode(), HTML, "html", note)
    return Rendered(to_pdf(document, font), PDF, "pdf")


def render_template(
    template: Template[C], context: C, *, format: Format = "pdf", font: FontFile | None = None
) -> Rendered:
    """A template filled with its context, rendered (see `render`)."""
    return render(template(context), format=format, font=font)


def to_pdf(document: Document, font: FontFile) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_title(document.title)
    for style in ("", "B"):  # tables draw their heading row in "B"; one face serves both
        pdf.add_font(FAMILY, style=style, fname=str(font.path), collection_font_number=font.index)
    pdf.add_page()
    for block in document.blocks:
        _pdf_block(pdf, block)
    if document.footer:
        pdf.ln(4)
        pdf.set_font(FAMILY, size=8)
        pdf.multi_cell(0, 5, document.footer, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _pdf_block(pdf: FPDF, block: Heading | Paragraph | Fields | Table) -> None:
    if isinstance(block, Heading):
        pdf.ln(2 if block.level else 0)
        pdf.set_font(FAMILY, size=SIZES.get(block.level, BODY))
        align = PdfAlign.C if block.level == 0 else PdfAlign.L
        pdf.multi_cell(
            0,
            SIZES.get(block.level, BODY) * 0.6,
            block.text,
            align=align,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(1)
    elif isinstance(block, Paragraph):
        pdf.set_font(FAMILY, size=BODY)
        pdf.multi_cell(0, 5.5, block.text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    elif isinstance(block, Fields):
        pdf.set_font(FAMILY, size=BODY)
        with pdf.table(
            col_widths=(1, 3), first_row_as_headings=False, borders_layout="NONE", line_height=5.5
        ) as table:
            for label, value in block.pairs:
                row = table.row()
                row.cell(label)
                row.cell(value)
        pdf.ln(1)
    else:
        _pdf_table(pdf, block)


def _pdf_table(pdf: FPDF, block: Table) -> None:
    pdf.set_font(FAMILY, size=BODY - 1)
    widths = block.widths or tuple(1 for _ in block.columns)
    aligns = [_align(a) for a in block.align] or [PdfAlign.L] * len(block.columns)
    with pdf.table(
        col_widths=widths,
        line_height=5.2,
        headings_style=FontFace(emphasis=None, fill_color=(235, 235, 235)),
        text_align=tuple(aligns),
    ) as table:
        heading = table.row()
        for name in block.columns:
            heading.cell(name)
        for cells in block.rows:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(2)


def _align(align: str) -> PdfAlign:
    return {"left": PdfAlign.L, "right": PdfAlign.R, "center": PdfAlign.C}[align]


CSS = """
body { font-family: "WenQuanYi Zen Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei",
  sans-serif; max-width: 180mm; margin: 12mm auto; font-size: 10.5pt; line-height: 1.6; }
h1 { text-align: center; font-size: 16pt; } h2 { font-size: 12.5pt; } h3 { font-size: 11pt; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 10px; }
table.grid th, table.grid td { border: 1px solid #999; padding: 2px 6px; }
table.grid th { background: #eee; font-weight: normal; }
table.fields td { padding: 1px 6px 1px 0; vertical-align: top; }
.r { text-align: right; font-variant-numeric: tabular-nums; } .c { text-align: center; }
footer { font-size: 8pt; color: #555; margin-top: 16px; }
@media print { body { margin: 0 auto; } }
"""


def to_html(document: Document) -> str:
    """A standalone HTML page that prints like the PDF (the browser's own fonts draw it)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{_e(document.title)}</title><style>{CSS}</style></head><body>",
    ]
    for block in document.blocks:
        parts.append(_html_block(block))
    if document.footer:
        parts.append(f"<footer>{_e(document.footer)}</footer>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_block(block: Heading | Paragraph | Fields | Table) -> str:
    if isinstance(block, Heading):
        tag = f"h{min(block.level + 1, 3)}"
        return f"<{tag}>{_e(block.text)}</{tag}>"
    if isinstance(block, Paragraph):
        return "<p>" + "<br>".join(_e(line) for line in block.text.splitlines()) + "</p>"
    if isinstance(block, Fields):
        rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in block.pairs)
        return f'<table class="fields">{rows}</table>'
    classes = [{"right": ' class="r"', "center": ' class="c"'}.get(a, "") for a in block.align]
    classes += [""] * (len(block.columns) - len(classes))
    head = "".join(f"<th>{_e(c)}</th>" for c in block.columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td{k}>{_e(v)}</td>" for k, v in zip(classes, row, strict=True))
        + "</tr>"
        for row in block.rows
    )
    return f'<table class="grid"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)

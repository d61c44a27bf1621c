"""Documents render to a PDF whose Chinese text a reader gets back, with the font embedded, or to
printable HTML saying why when no Chinese font is installed."""

import pytest

from cloud.documents import fonts, render
from cloud.documents.model import Document, Fields, Heading, Paragraph, Table
from tests.cloud.documents.pdf_text import pdf_fonts, pdf_text
from tests.conftest import need_service

DOC = Document(
    title="测试文件",
    blocks=(
        Heading("房屋租赁合同", 0),
        Fields((("承租方", "深圳市前海测试科技有限公司"),)),
        Paragraph("第一行说明\n第二行 <b>不是标签</b>"),
        Table(
            ("项目", "金额（元）"),
            (("租金", "12,345.67"), ("物业费", "1,000.00")),
            align=("left", "right"),
        ),
    ),
    footer="本合同一式两份",
)


@pytest.fixture
def font() -> fonts.FontFile:
    found = fonts.find_cjk_font()
    if found is None:
        need_service(f"no Chinese font installed ({fonts.INSTALL_HINT})")
    assert found is not None
    return found


def test_the_pdf_holds_the_chinese_text_and_amounts(font: fonts.FontFile) -> None:
    rendered = render.render(DOC, font=font)
    assert rendered.media_type == "application/pdf" and rendered.note is None
    assert rendered.content.startswith(b"%PDF-")
    text = pdf_text(rendered.content)
    for expected in (
        "房屋租赁合同",
        "深圳市前海测试科技有限公司",
        "第二行",
        "12,345.67",
        "本合同一式两份",
    ):
        assert expected in text
    assert "<b>" in text  # text is text, never markup


def test_the_font_is_embedded_as_a_subset(font: fonts.FontFile) -> None:
    listing = pdf_fonts(render.render(DOC, font=font).content)
    line = next(row for row in listing.splitlines() if "+" in row)  # subset names: ABCDEF+Name
    assert "CID TrueType" in line
    assert " yes yes yes " in line  # embedded, subset, with a Unicode map (text can be copied)


def test_without_a_chinese_font_it_is_printable_html_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render, "find_cjk_font", lambda: None)
    rendered = render.render(DOC)
    assert rendered.media_type.startswith("text/html") and rendered.extension == "html"
    assert rendered.note is not None and "fonts-wqy-zenhei" in rendered.note
    page = rendered.content.decode()
    assert "深圳市前海测试科技有限公司" in page and "12,345.67" in page
    assert "&lt;b&gt;不是标签&lt;/b&gt;" in page


def test_html_can_be_asked_for(font: fonts.FontFile) -> None:
    rendered = render.render(DOC, format="html", font=font)
    assert rendered.note is None
    assert '<td class="r">12,345.67</td>' in rendered.content.decode()


def test_a_table_row_must_fill_its_columns() -> None:
    with pytest.raises(ValueError, match="2 columns"):
        Table(("a", "b"), (("only one",),))


def test_an_explicit_font_file_is_preferred(tmp_path: object, font: fonts.FontFile) -> None:
    assert fonts.find_cjk_font(font.path) == fonts.FontFile(font.path)


def test_any_domain_fills_a_template_with_its_own_context(font: fonts.FontFile) -> None:
    """What billing will do with a bill: its own context, its own template, the same renderer."""

    def bill(lines: list[tuple[str, str]]) -> Document:
        return Document(
            title="缴费通知单",
            blocks=(Heading("缴费通知单", 0), Table(("项目", "金额（元）"), tuple(lines))),
        )

    rendered = render.render_template(bill, [("三月电费", "1,234.50")], font=font)
    text = pdf_text(rendered.content)
    assert "缴费通知单" in text and "三月电费" in text and "1,234.50" in text

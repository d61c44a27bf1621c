"""Finance reports and the receivables ageing as Excel workbooks: one generic "columns + rows
→ workbook" writer, fed by the same service calls the JSON endpoints answer from (so the role
and org checks are theirs). Money goes in as Decimal so no fen is lost to a float."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from cloud.billing import arrears, reports
from cloud.billing.labels import AGEING_COLUMNS, DIMENSIONS, REPORT_COLUMNS, REPORTS
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.web.i18n import TABLE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY = "#,##0.00"
RATE = "0.00%"
# Columns whose values are shares (0.9924), not yuan.
RATES = {"collection_rate"}
BUCKETS = ("not_due", "d0_30", "d31_60", "d61_90", "d90_plus", "total")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    number_format: str | None = None  # None: text


def label(key: str) -> str:
    """A header in both languages, as "中文 English", from the one translation table."""
    zh, en = TABLE[key]
    return f"{zh} {en}"


def workbook(
    *,
    title: str,
    heading: str,
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, object]],
    totals: Mapping[str, object] | None = None,
) -> bytes:
    """One sheet named `title`: `heading` (what and which period) in the first row, the
    header in bold in the second, then `rows`, then `totals` (in bold) when given."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = title[:31]  # Excel's limit on sheet names
    sheet.append([heading])
    sheet["A1"].font = Font(bold=True)
    sheet.append([c.header for c in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        _append(sheet, columns, row)
    if totals is not None:
        _append(sheet, columns, totals)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(14, len(column.header))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _append(sheet: Worksheet, columns: Sequence[Column], row: Mapping[str, object]) -> None:
    sheet.append([row.get(c.key) for c in columns])
    for cell, column in zip(sheet[sheet.max_row], columns, strict=False):
        if column.number_format and cell.value is not None:
            cell.number_format = column.number_format


def report_workbook(
    *,
    session: Session,
    actor: Actor,
    name: reports.ReportName,
    start: date,
    end: date,
    by: reports.Dimension,
) -> bytes:
    """The report `reports.report` answers, as a workbook (finance, admin and staff)."""
    found = reports.report(session=session, actor=actor, name=name, start=start, end=end, by=by)
    columns = [Column("key", label(DIMENSIONS[found.by]))] + [
        Column(c, label(REPORT_COLUMNS[c]), RATE if c in RATES else MONEY) for c in found.columns
    ]
    rows = [{"key": r.key, **r.values} for r in found.rows]
    totals: dict[str, object] = {"key": label("exports.totals"), **found.totals}
    what = label(REPORTS[name])
    return workbook(
        title=f"{name} {found.start:%Y%m%d}-{found.end:%Y%m%d}",
        heading=f"{what} {found.start.isoformat()} – {found.end.isoformat()}",
        columns=columns,
        rows=rows,
        totals=totals,
    )


def ageing_workbook(*, session: Session, actor: Actor, as_of: date | None = None) -> bytes:
    """Receivables outstanding on `as_of` (the org's today when None) by tenant and age."""
    as_of = as_of or identity_service.org_today(session=session, actor=actor)
    found = arrears.ageing(session=session, actor=actor, as_of=as_of)
    columns = [
        Column("tenant_code", label("billing.col_tenant")),
        Column("tenant_name", label("exports.tenant_name")),
    ] + [Column(b, label(AGEING_COLUMNS[b]), MONEY) for b in BUCKETS]
    totals: dict[str, Decimal | str] = {
        "tenant_code": label("exports.totals"),
        **{b: getattr(found.totals, b) for b in BUCKETS},
    }
    return workbook(
        title=f"ageing {as_of:%Y%m%d}",
        heading=f"{label('billing.ageing')} {TABLE['billing.as_of'][0].format(date=as_of)}",
        columns=columns,
        rows=[r.model_dump() for r in found.rows],
        totals=totals,
    )

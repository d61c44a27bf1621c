"""The workbook's shape: one sheet per kind of row, a header row of field names, one row per
thing. Reading turns every cell into the text pydantic parses (so a date typed as text and a
date cell read alike); writing puts dates and amounts in as Excel dates and numbers."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from cloud.errors import Invalid

COLUMNS: dict[str, tuple[str, ...]] = {
    "tenants": ("code", "name"),
    "units": (
        "code",
        "site_code",
        "building_code",
        "floor",
        "kind",
        "rentable_area_m2",
        "gross_area_m2",
        "net_area_m2",
        "active_from",
    ),
    "contracts": (
        "code",
        "tenant_code",
        "status",
        "unit_codes",
        "lease_start",
        "rent_start",
        "end",
        "rent_per_m2_month",
        "property_fee_per_m2_month",
        "payment_cycle",
        "electricity_tariff",
        "deposits",
        "usage_restrictions",
        "special_clauses",
        "terms_json",
    ),
}
"""Sheets in the order they are imported: a unit's contract needs the unit and the tenant."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "tenants": ("code", "name"),
    "units": ("code", "site_code", "building_code", "floor", "rentable_area_m2"),
    "contracts": ("code", "tenant_code"),
}
"""Columns a sheet's header must have; the others may be left out."""


@dataclass(frozen=True)
class Row:
    sheet: str
    number: int  # as Excel shows it: the header is row 1
    values: dict[str, str]


def read_rows(content: bytes) -> list[Row]:
    """Every non-blank row of the known sheets, in import order; Invalid for a file that is
    not an .xlsx workbook or a sheet whose header misses a column."""
    try:
        book = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise Invalid(f"not an Excel (.xlsx) workbook: {exc}", field="file") from None
    rows: list[Row] = []
    for sheet, columns in COLUMNS.items():
        if sheet in book.sheetnames:
            rows.extend(_sheet_rows(sheet, columns, book[sheet].iter_rows(values_only=True)))
    book.close()
    if not rows:
        known = ", ".join(COLUMNS)
        raise Invalid(f"the workbook has no rows on a sheet named {known}", field="file")
    return rows


def _sheet_rows(
    sheet: str, columns: tuple[str, ...], cells: Iterator[tuple[Any, ...]]
) -> Iterator[Row]:
    header = [str(c).strip() if c is not None else "" for c in next(cells, ())]
    missing = [c for c in REQUIRED[sheet] if c not in header]
    if missing:
        raise Invalid(f"sheet {sheet}: no column {', '.join(missing)}", field="file")
    for number, cells_of_row in enumerate(cells, start=2):
        values = {
            name: text
            for name, cell in zip(header, cells_of_row, strict=False)
            if name in columns and (text := cell_text(cell)) != ""
        }
        if values:
            yield Row(sheet, number, values)


def cell_text(cell: object) -> str:
    """A cell as the text a person would type: dates as ISO, whole numbers without `.0`."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    return str(cell).strip()


def write_workbook(rows: dict[str, Iterable[dict[str, object]]]) -> bytes:
    """A workbook with a sheet per kind (header row in bold) holding `rows` in that shape."""
    book = Workbook()
    for blank in list(book.worksheets):  # the sheet a new workbook starts with
        book.remove(blank)
    for sheet, columns in COLUMNS.items():
        ws = book.create_sheet(sheet)
        ws.append(columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows.get(sheet, ()):
            ws.append([_cell(row.get(column)) for column in columns])
        for i, column in enumerate(columns):
            ws.column_dimensions[ws.cell(1, i + 1).column_letter].width = max(12, len(column) + 2)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, Decimal | date | int | float) or value is None:
        return value
    return str(value)

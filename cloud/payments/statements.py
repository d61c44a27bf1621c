"""Reading bank statements (CSV or Excel) through a column mapping into credit lines; a row that
cannot be read is reported with its row number and why, and the others are still read."""

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import load_workbook

from cloud.errors import Invalid
from cloud.payments.schemas import BadRow, ColumnMapping

FEN = Decimal("0.01")
XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx file is a zip archive


@dataclass(frozen=True)
class StatementRow:
    row_no: int
    booked_on: date
    amount: Decimal
    payer_name: str
    reference: str
    bank_txn_id: str
    fingerprint: str


@dataclass(frozen=True)
class ParsedStatement:
    rows_read: int
    lines: list[StatementRow]
    bad_rows: list[BadRow]


def parse_statement(*, filename: str, content: bytes, mapping: ColumnMapping) -> ParsedStatement:
    """The credit lines of a statement file; rows without a credit amount (money going out)
    are skipped, rows that cannot be read are listed in `bad_rows`."""
    if not content.strip():
        raise Invalid(f"{filename} is empty", field="file")
    table = _xlsx_rows(content) if content.startswith(XLSX_MAGIC) else _csv_rows(content)
    header = next(table, None)
    if header is None:
        raise Invalid(f"{filename} has no header row", field="file")
    columns = _columns(header, mapping)
    lines: list[StatementRow] = []
    bad: list[BadRow] = []
    seen: Counter[str] = Counter()
    rows_read = 0
    for row_no, row in enumerate(table, start=2):
        if all(_text(cell) == "" for cell in row):
            continue
        rows_read += 1
        values = {name: row[i] if i < len(row) else None for name, i in columns.items()}
        try:
            line = _line(row_no, values, mapping, seen)
        except ValueError as error:
            bad.append(BadRow(row=row_no, reason=str(error)))
            continue
        if line is not None:
            lines.append(line)
    return ParsedStatement(rows_read=rows_read, lines=lines, bad_rows=bad)


def _csv_rows(content: bytes) -> Iterator[Sequence[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("gb18030")  # Chinese banks' exports are often GBK
    yield from csv.reader(io.StringIO(text))


def _xlsx_rows(content: bytes) -> Iterator[Sequence[Any]]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise Invalid(f"not a readable Excel file: {error}", field="file") from None
    try:
        sheet = book.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        book.close()


def _columns(header: Sequence[Any], mapping: ColumnMapping) -> dict[str, int]:
    names = [_text(cell) for cell in header]
    wanted = {
        "booked_on": mapping.booked_on,
        "amount": mapping.amount,
        "payer_name": mapping.payer_name,
        "reference": mapping.reference,
    }
    if mapping.bank_txn_id:
        wanted["bank_txn_id"] = mapping.bank_txn_id
    missing = [title for title in wanted.values() if title not in names]
    if missing:
        raise Invalid(
            f"the statement has no column {', '.join(missing)} (it has {', '.join(names)})",
            field="mapping",
        )
    return {field: names.index(title) for field, title in wanted.items()}


def _line(
    row_no: int, values: dict[str, Any], mapping: ColumnMapping, seen: Counter[str]
) -> StatementRow | None:
    amount = _amount(values["amount"])
    if amount is None:
        return None
    booked_on = _date(values["booked_on"], mapping.date_format)
    payer, reference = _text(values["payer_name"]), _text(values["reference"])
    txn = _text(values.get("bank_txn_id"))
    if txn:
        identity = f"txn|{txn}"
    else:
        # Without the bank's id, equal lines in one file are told apart by their order, so a
        # second import of the file finds the same fingerprints.
        base = f"{booked_on}|{amount}|{payer}|{reference}"
        seen[base] += 1
        identity = f"{base}|{seen[base]}"
    return StatementRow(
        row_no=row_no,
        booked_on=booked_on,
        amount=amount,
        payer_name=payer[:200],
        reference=reference[:200],
        bank_txn_id=txn[:64],
        fingerprint=hashlib.sha256(identity.encode()).hexdigest(),
    )


def _amount(cell: Any) -> Decimal | None:
    if cell is None or _text(cell) == "":
        return None
    raw = cell if isinstance(cell, int | float) else _text(cell).replace(",", "").replace("¥", "")
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise ValueError(f"amount {_text(cell)!r} is not a number") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"amount {_text(cell)!r} is not a positive credit")
    if amount != amount.quantize(FEN):
        raise ValueError(f"amount {_text(cell)!r} has more than two decimal places")
    return amount.quantize(FEN)


def _date(cell: Any, date_format: str) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    if not text:
        raise ValueError("the date is empty")
    try:
        return datetime.strptime(text, date_format).date()
    except ValueError:
        raise ValueError(f"date {text!r} is not like {date_format}") from None


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell).strip()

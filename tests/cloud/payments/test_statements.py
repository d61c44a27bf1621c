"""Reading statement files: encodings, number formats, rows that cannot be read."""

from datetime import date
from decimal import Decimal

import pytest

from cloud.errors import Invalid
from cloud.payments.schemas import ColumnMapping
from cloud.payments.statements import parse_statement

MAPPING = ColumnMapping(bank_txn_id=None, date_format="%Y%m%d")


def parse(text: str, encoding: str = "utf-8"):  # type: ignore[no-untyped-def]
    return parse_statement(filename="s.csv", content=text.encode(encoding), mapping=MAPPING)


def test_gbk_export_with_thousands_separators_and_equal_lines() -> None:
    text = (
        "交易日期,贷方金额,对方户名,摘要\n"
        '20260310,"1,234.50",星河科技有限公司,3月租金\n'
        "20260310,¥88.00,星河科技有限公司,水费\n"
        "20260310,¥88.00,星河科技有限公司,水费\n"
        ",,,\n"
    )
    parsed = parse(text, "gb18030")
    assert parsed.rows_read == 3 and parsed.bad_rows == []
    assert [(r.row_no, r.booked_on, r.amount) for r in parsed.lines] == [
        (2, date(2026, 3, 10), Decimal("1234.50")),
        (3, date(2026, 3, 10), Decimal("88.00")),
        (4, date(2026, 3, 10), Decimal("88.00")),
    ]
    # Two equal payments on one day are two lines, and the same two again on re-reading.
    prints = [r.fingerprint for r in parsed.lines]
    assert len(set(prints)) == 3
    assert [r.fingerprint for r in parse(text, "gb18030").lines] == prints


def test_bad_rows_are_reported_by_row_number() -> None:
    parsed = parse(
        "交易日期,贷方金额,对方户名,摘要\n20260310,1.234,A,B\n,5.00,A,B\n20260311,5.00,A,B\n"
    )
    assert [(b.row, b.reason) for b in parsed.bad_rows] == [
        (2, "amount '1.234' has more than two decimal places"),
        (3, "the date is empty"),
    ]
    assert [r.row_no for r in parsed.lines] == [4]


def test_a_file_without_the_mapped_columns_or_rows_is_refused() -> None:
    with pytest.raises(Invalid, match="no column 贷方金额"):
        parse("交易日期,金额,对方户名,摘要\n20260310,1.00,A,B\n")
    with pytest.raises(Invalid, match="is empty"):
        parse("   ")
    with pytest.raises(Invalid, match="not a readable Excel file"):
        parse_statement(filename="x.xlsx", content=b"PK\x03\x04garbage", mapping=MAPPING)

"""大写金额 golden cases, worked out by hand from the settlement rules' own examples."""

from decimal import Decimal

import pytest

from cloud.documents.capitals import capital_amount

GOLDEN = [
    ("0.05", "伍分"),
    ("0.50", "伍角整"),
    ("0.00", "零元整"),
    ("1.05", "壹元零伍分"),
    ("10", "壹拾元整"),
    ("10.01", "壹拾元零壹分"),
    ("100.10", "壹佰元零壹角整"),
    ("1000.01", "壹仟元零壹分"),
    ("1010", "壹仟零壹拾元整"),
    ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
    ("1409.50", "壹仟肆佰零玖元伍角整"),
    ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
    ("10005", "壹万零伍元整"),
    # the rules' own example: zeros ending a group (here 万) are not written
    ("107000.53", "壹拾万柒仟元零伍角叁分"),
    ("1000000.00", "壹佰万元整"),
    ("2003400.56", "贰佰万叁仟肆佰元零伍角陆分"),
    ("100000005", "壹亿零伍元整"),
    ("100010000", "壹亿零壹万元整"),
    ("120003000.07", "壹亿贰仟万叁仟元零柒分"),
    ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("-3.20", "负叁元贰角整"),
]


@pytest.mark.parametrize(("amount", "words"), GOLDEN)
def test_golden_amounts(amount: str, words: str) -> None:
    assert capital_amount(Decimal(amount)) == words


def test_trailing_zero_decimals_do_not_change_the_words() -> None:
    assert capital_amount(Decimal("10")) == capital_amount(Decimal("10.00"))


@pytest.mark.parametrize("amount", ["0.001", "12.345", "NaN", "Infinity"])
def test_an_amount_that_is_not_whole_fen_is_refused(amount: str) -> None:
    with pytest.raises(ValueError):
        capital_amount(Decimal(amount))


def test_a_trillion_is_refused() -> None:
    with pytest.raises(ValueError, match="trillion"):
        capital_amount(Decimal("1000000000000"))

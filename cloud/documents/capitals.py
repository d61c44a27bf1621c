"""Amounts in Chinese capital numerals (大写金额), as cheques, invoices and bills print them.

The rules are those of the People's Bank's settlement rules (支付结算办法): 壹 is always written
before 拾 (壹拾元, never 拾元); a run of zeros inside the integer part is one 零; zeros that end the
integer part or one of its four-digit groups are not written (壹拾万柒仟元, the rules' example);
a 零 stands after 元 when the 元 digit is zero and 角 is not (壹仟陆佰捌拾元零叁角贰分) and when
角 is zero and 分 is not (壹仟元零壹分); an amount ending at 元 or 角 ends with 整. The conversion
is exact: an amount with more than two decimal places is refused, never rounded.
"""

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("仟", "佰", "拾", "")  # inside a four-digit group, highest first
GROUPS = ("", "万", "亿")  # the groups' units, lowest first
LIMIT = Decimal(10) ** 12  # NUMERIC(14, 2) holds less than a trillion yuan
FEN = Decimal("0.01")


def capital_amount(amount: Decimal) -> str:
    """`amount` in yuan as 大写金额; a negative amount is prefixed with 负."""
    if not amount.is_finite() or amount % FEN != 0:
        raise ValueError(f"{amount} is not a whole number of fen")
    if abs(amount) >= LIMIT:
        raise ValueError(f"{amount} is a trillion yuan or more")
    sign = "负" if amount < 0 else ""
    fen_total = int(abs(amount) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    return sign + _yuan(yuan) + _fraction(yuan, jiao, fen)


def _yuan(yuan: int) -> str:
    if yuan == 0:
        return ""
    groups = []
    rest = yuan
    while rest:
        groups.append(rest % 10000)
        rest //= 10000
    out = ""
    skipped = False  # a group of zeros between written groups
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            skipped = bool(out)
            continue
        if out and (skipped or group < 1000):
            out += "零"  # zeros between this group and the one above
        out += _group(group) + GROUPS[index]
        skipped = False
    return out + "元"


def _group(group: int) -> str:
    """One to four digits, zeros inside collapsed to one 零 and trailing zeros left out."""
    out, zero = "", False
    for place, digit in zip(PLACES, f"{group:04d}", strict=True):
        if digit == "0":
            zero = bool(out)
            continue
        if zero:
            out += "零"
        out += DIGITS[int(digit)] + place
        zero = False
    return out


def _fraction(yuan: int, jiao: int, fen: int) -> str:
    if jiao == 0 and fen == 0:
        return "零元整" if yuan == 0 else "整"
    out = ""
    if yuan and (yuan % 10 == 0 or jiao == 0):
        out += "零"  # the 元 digit is zero, or 角 is: the zero is written once
    if jiao:
        out += DIGITS[jiao] + "角"
    return out + (DIGITS[fen] + "分" if fen else "整")

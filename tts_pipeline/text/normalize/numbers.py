"""Chinese readings of Arabic numbers: cardinals, decimals, digit strings, years, fractions.

Pure functions over digit strings (ASCII ``0-9`` only; callers fold full-width digits first).
Conventions (those of WeTextProcessing / NeMo zh, see tests/data/normalize_zh_cases.tsv):

* 十 leads without 一 only at the very start of a number (10 → 十, 101111 → 十万一千一百一十一)
  and takes 一 inside (110 → 一百一十, 50011 → 五万零一十一).
* One 零 stands for any run of zeros inside a number (1001 → 一千零一, 1000001 → 一百万零一).
* A leading 2 before 百/千/万/亿 reads 两 (200 → 两百, 20000 → 两万, 2391 → 两千三百九十一), a 2
  inside reads 二 (1234 → 一千二百三十四). A bare 2 reads 二 unless the caller knows a measure
  word follows (2个 → 两个); that choice is the caller's (see ``bare_two``).
"""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"
# Group magnitudes, every four digits. Past 万亿 a "number" is an ID, not a quantity.
GROUP_UNITS = ("", "万", "亿", "万亿")
MAX_CARDINAL_DIGITS = 4 * len(GROUP_UNITS)
PLACE_UNITS = ("千", "百", "十", "")


def digit_string(digits: str, one: str = "一") -> str:
    """Read digit by digit (phone numbers, codes, years). ``one="幺"`` for phone numbers."""
    return "".join(one if d == "1" else DIGITS[int(d)] for d in digits if d.isascii())


def year(digits: str) -> str:
    """2020 → 二零二零, 86 → 八六: years are read digit by digit."""
    return digit_string(digits)


def _group(group: str, *, leading: bool, lead_two: str) -> str:
    """Read one group of up to four digits (no magnitude)."""
    group = group.rjust(4, "0")
    out: list[str] = []
    pending_zero = False
    started = False
    for place, d in enumerate(group):
        if d == "0":
            pending_zero = started
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        first = leading and not started
        unit = PLACE_UNITS[place]
        if first and unit == "十" and d == "1":
            out.append("十")  # 10 → 十, 15 → 十五: no 一 at the start of a number
        elif first and unit in ("千", "百") and d == "2":
            out.append(lead_two + unit)
        else:
            out.append(DIGITS[int(d)] + unit)
        started = True
    return "".join(out)


def cardinal(digits: str, *, bare_two: str = "二", lead_two: str = "两") -> str:
    """Read an integer digit string as a Chinese cardinal.

    ``bare_two`` is the reading of the number 2 alone (两 before a measure word), ``lead_two``
    the reading of a leading 2 before 百/千/万/亿 (两 by convention, 二 for ordinals).
    Leading zeros and strings longer than 万亿 are read digit by digit.
    """
    if not digits:
        return ""
    if len(digits) > 1 and digits.startswith("0"):
        return digit_string(digits)
    if len(digits) > MAX_CARDINAL_DIGITS:
        return digit_string(digits)
    if digits == "0":
        return "零"
    if digits == "2":
        return bare_two
    groups: list[str] = []
    rest = digits
    while rest:
        groups.append(rest[-4:])
        rest = rest[:-4]
    groups.reverse()
    out: list[str] = []
    skipped_zero_group = False
    for index, group in enumerate(groups):
        magnitude = GROUP_UNITS[len(groups) - 1 - index]
        value = int(group)
        if value == 0:
            skipped_zero_group = bool(out)
            continue
        if out and (skipped_zero_group or value < 1000):
            out.append("零")  # 10001 → 一万零一, 100000001000 → 一千亿零一千
        leading = not out
        if leading and value == 2 and magnitude:
            out.append(lead_two)  # 2万 → 两万, 2亿 → 两亿
        else:
            out.append(_group(group, leading=leading, lead_two=lead_two))
        out.append(magnitude)
        skipped_zero_group = False
    return "".join(out)


def decimal(number: str, *, bare_two: str = "二", lead_two: str = "两") -> str:
    """Read "12.5" → 十二点五, "2391.2318" → 两千三百九十一点二三一八, "1,200" → 一千二百.

    The fraction is read digit by digit; a 2 with a fraction reads 二 (2.5 → 二点五).
    """
    number = number.replace(",", "")
    whole, dot, frac = number.partition(".")
    if not dot:
        return cardinal(whole, bare_two=bare_two, lead_two=lead_two)
    head = cardinal(whole or "0", bare_two="二", lead_two=lead_two)
    return head + "点" + digit_string(frac) if frac else head


def signed(number: str, *, bare_two: str = "二", lead_two: str = "两") -> str:
    """A decimal with an optional leading minus (负) or plus (正)."""
    sign = ""
    if number[:1] in "-+":
        sign = "负" if number[0] == "-" else "正"
        number = number[1:]
    return sign + decimal(number, bare_two=bare_two, lead_two=lead_two)


def ordinal(number: str) -> str:
    """第2 → 第二, 第200 → 第二百: ordinals never use 两."""
    return decimal(number, bare_two="二", lead_two="二")


def fraction(numerator: str, denominator: str) -> str:
    """3/4 → 四分之三 (numerators read 二, never 两: 2/3 → 三分之二)."""
    return (
        decimal(denominator, bare_two="二", lead_two="二")
        + "分之"
        + decimal(numerator, bare_two="二", lead_two="二")
    )


def percent(number: str) -> str:
    """12.5 → 百分之十二点五, -3 → 负百分之三."""
    sign = ""
    if number[:1] in "-+":
        sign = "负" if number[0] == "-" else "正"
        number = number[1:]
    return sign + "百分之" + decimal(number, bare_two="二", lead_two="二")


def approximately(prefix: str, zeros: int) -> str:
    """A number with unknown trailing digits: ("3", 1) → 三十多, ("1", 2) → 一百多.

    Falls back to 若干 when the prefix says nothing (0) or the number would be absurdly long.
    """
    if not prefix.isascii() or not prefix.isdigit() or len(prefix) + zeros > 12:
        return "若干"
    value = int(prefix)
    if value == 0 or zeros == 0:
        return "若干"
    return cardinal(str(value * 10**zeros)) + "多"

"""Chinese rule sets for how much: money, percentages, fractions, ranges, arithmetic, ordinals,
units, symbols and every other number."""

from __future__ import annotations

import re
from functools import cache

from tts_pipeline.text.normalize import numbers, tables
from tts_pipeline.text.normalize.spans import Context, Rule
from tts_pipeline.text.normalize.zh.patterns import (
    NUM,
    SIGN,
    count,
    sign,
    two,
    unit_alternation,
)

# ---------------------------------------------------------------------------------------------
# money: ¥13.5 → 十三点五元, $1.5万 → 一点五万美元, 100USD → 一百美元


@cache
def money_rules() -> tuple[Rule, ...]:
    table = tables.currencies()
    prefix = tables.alternation(table)
    suffix = tables.alternation(c for c, v in table.items() if v.position == "both")
    before = re.compile(
        rf"(?<![A-Za-z])(?P<cur>{prefix})\s?(?P<sign>-)?(?P<num>{NUM})(?P<mag>[万亿千百]*)"
    )
    after = re.compile(rf"(?<![0-9.])(?P<num>{NUM})\s?(?P<cur>{suffix})(?![A-Za-z])")

    def render(match: re.Match[str], _context: Context) -> str:
        groups = match.groupdict()
        currency = table[groups["cur"]].spoken
        magnitude = groups.get("mag") or ""
        spoken = numbers.decimal(groups["num"], bare_two=two(magnitude or currency))
        return sign(groups.get("sign")) + spoken + magnitude + currency

    return (Rule("money_prefix", before, render), Rule("money_suffix", after, render))


# ---------------------------------------------------------------------------------------------
# percent: 12.5% → 百分之十二点五, -3% → 负百分之三, 3%-5% / 3-5% → 百分之三到百分之五

PERCENT_RULES = (
    Rule(
        "percent_range",
        re.compile(
            rf"(?<![0-9.])(?P<a>(?:{SIGN})?{NUM})%?\s*[-~至到—–]\s*(?P<b>-?{NUM})\s?%(?![0-9])"
        ),
        lambda m, _c: numbers.percent(m.group("a")) + "到" + numbers.percent(m.group("b")),
    ),
    Rule(
        "percent",
        re.compile(rf"(?<![0-9.])(?P<n>(?:(?<![0-9A-Za-z)\]])[-+])?{NUM})\s?(?P<p>[%‰])"),
        lambda m, _c: numbers.percent(m.group("n")).replace(
            "百分之", "千分之" if m.group("p") == "‰" else "百分之"
        ),
    ),
)

# ---------------------------------------------------------------------------------------------
# fractions: 3/4 → 四分之三, -1/3 → 负三分之一, 1又1/5 → 一又五分之一

FRACTION_RULES = (
    Rule(
        "fraction",
        re.compile(rf"(?<![0-9./])(?P<sign>{SIGN})?(?P<a>[0-9]+)/(?P<b>[0-9]+)(?![0-9/])"),
        lambda m, _c: sign(m.group("sign")) + numbers.fraction(m.group("a"), m.group("b")),
    ),
)

# ---------------------------------------------------------------------------------------------
# ranges: 3-5个 / 3~5 / 3至5 → 三到五(个), 2020-2024年 → 二零二零到二零二四年


@cache
def range_rules() -> tuple[Rule, ...]:
    units = tables.units()
    pattern = re.compile(
        rf"(?<![0-9.])(?P<a>{NUM})\s*[-~至到—–]\s*(?P<b>{NUM})(?![0-9])"
        rf"(?:\s?(?P<unit>{unit_alternation()})(?![A-Za-z]))?"
    )

    def is_year(number: str, strict: bool) -> bool:
        # Before 年 any 1000–2999 is a year; without it only 1900–2099 (1000-2000 is a span).
        if len(number) != 4 or not number.isdigit():
            return False
        return number[:2] in ("19", "20") if strict else number[0] in "12"

    def render(match: re.Match[str], context: Context) -> str:
        a, b, unit = match.group("a"), match.group("b"), match.group("unit")
        if unit:
            spoken_unit = units[unit].spoken
            two = units[unit].two
            return (
                numbers.decimal(a, bare_two=two) + "到" + numbers.decimal(b, bare_two=two)
            ) + spoken_unit
        after = context.after
        measure = tables.measure_pattern().match(after)
        strict = not after.startswith("年")
        if is_year(a, strict) and is_year(b, strict) and not (strict and measure):
            return numbers.year(a) + "到" + numbers.year(b)
        return count(a, after) + "到" + count(b, after)

    return (Rule("range", pattern, render),)


# ---------------------------------------------------------------------------------------------
# math: 1+2=3 → 一加二等于三, 3×4 → 三乘四, 1920x1080 → 一千九百二十乘一千零八十


@cache
def math_rules() -> tuple[Rule, ...]:
    ops = {s.symbol: s.spoken for s in tables.symbols().values() if s.where == "between"}
    op = r"(?:[+=×*÷<>]|(?<=[0-9])x(?=[0-9]))"
    pattern = re.compile(
        rf"(?<![0-9.])(?P<first>(?:{SIGN})?{NUM})(?P<rest>(?:\s*{op}\s*-?{NUM})+)(?![0-9])"
    )
    step = re.compile(rf"\s*(?P<op>{op})\s*(?P<n>-?{NUM})")

    def render(match: re.Match[str], _context: Context) -> str:
        spoken = numbers.signed(match.group("first"))
        # Search the whole string (not the group alone) so x's look-behind sees the digit.
        for part in step.finditer(match.string, match.start("rest"), match.end("rest")):
            spoken += ops[part.group("op")] + numbers.signed(part.group("n"))
        return spoken

    return (Rule("math", pattern, render),)


# ---------------------------------------------------------------------------------------------
# ordinals: 第36个 → 第三十六个, 第2 → 第二 (never 两)

ORDINAL_RULES = (
    Rule(
        "ordinal",
        re.compile(rf"第\s?(?P<n>{NUM})"),
        lambda m, _c: "第" + numbers.ordinal(m.group("n")),
    ),
)

# ---------------------------------------------------------------------------------------------
# units: 25kg → 二十五千克, 120m² → 一百二十平方米, 10km/h → 每小时十公里, -5℃ → 零下五摄氏度


@cache
def unit_rules() -> tuple[Rule, ...]:
    units = tables.units()
    alt = unit_alternation()
    pattern = re.compile(
        rf"(?<![0-9.])(?P<sign>{SIGN})?(?P<num>{NUM})\s?(?P<unit>{alt})"
        rf"(?:/(?P<per>{alt}))?(?![A-Za-z])"
    )

    def render(match: re.Match[str], _context: Context) -> str:
        unit = units[match.group("unit")]
        sign = match.group("sign")
        spoken = numbers.decimal(match.group("num"), bare_two=unit.two) + unit.spoken
        if sign:
            spoken = ("零下" if unit.kind == "temp" else "负") + spoken
        per = match.group("per")
        return "每" + units[per].spoken + spoken if per else spoken

    return (Rule("unit", pattern, render),)


# ---------------------------------------------------------------------------------------------
# cardinals: everything else that is a number; 2 reads 两 before a measure word


def _cardinal(match: re.Match[str], context: Context) -> str:
    return sign(match.group("sign")) + count(match.group("num"), context.after)


CARDINAL_RULES = (
    Rule("cardinal", re.compile(rf"(?<![0-9.])(?P<sign>{SIGN})?(?P<num>{NUM})"), _cardinal),
    # Anything still holding a digit (a stray "1." or ".5") reads digit by digit.
    Rule("digits", re.compile(r"[0-9]+"), lambda m, _c: numbers.digit_string(m.group(0))),
)


@cache
def symbol_rules() -> tuple[Rule, ...]:
    table = {s.symbol: s.spoken for s in tables.symbols().values() if s.where == "any"}
    pattern = re.compile("|".join(re.escape(s) for s in table))
    return (Rule("symbol", pattern, lambda m, _c: table[m.group(0)]),)

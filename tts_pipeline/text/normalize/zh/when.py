"""Chinese rule sets for when things happen: dates, times, scores, years, months and days."""

from __future__ import annotations

import re
from functools import cache

from tts_pipeline.text.normalize import numbers, tables
from tts_pipeline.text.normalize.spans import Context, Rule
from tts_pipeline.text.normalize.zh.patterns import (
    NUM,
    cues,
)

# ---------------------------------------------------------------------------------------------
# dates: 2024-01-02, 2024/01/02, 2024.01.02, 2024/01, 08-08


def _ymd(match: re.Match[str], _context: Context) -> str:
    year, month, day = match.group("y"), match.group("m"), match.group("d")
    spoken = numbers.year(year) + "年" + numbers.cardinal(str(int(month))) + "月"
    return spoken + (numbers.cardinal(str(int(day))) + "日" if day else "")


DATE_RULES = (
    Rule(
        "date_ymd",
        re.compile(
            r"(?<![0-9.])(?P<y>[12][0-9]{3})(?P<s>[-/.])(?P<m>1[0-2]|0?[1-9])(?P=s)"
            r"(?P<d>3[01]|[12][0-9]|0?[1-9])(?![0-9])"
        ),
        _ymd,
    ),
    Rule(
        "date_ym",
        re.compile(
            r"(?<![0-9.])(?P<y>[12][0-9]{3})[-/](?P<m>1[0-2]|0?[1-9])(?P<d>)(?![0-9]|[-/.][0-9])"
        ),
        _ymd,
    ),
    Rule(
        "date_md",
        # Only zero-padded (08-08): 12-23 is a range.
        re.compile(r"(?<![0-9./-])(?P<m>0[1-9])[-/](?P<d>3[01]|[12][0-9]|0[1-9])(?![0-9./-])"),
        lambda m, _c: (
            numbers.cardinal(str(int(m.group("m"))))
            + "月"
            + numbers.cardinal(str(int(m.group("d"))))
            + "日"
        ),
    ),
)

# ---------------------------------------------------------------------------------------------
# scores: 中国1-2 → 中国一比二, 比分3:2 → 比分三比二 (only after a score cue)


@cache
def score_rules() -> tuple[Rule, ...]:
    pattern = re.compile(
        rf"(?P<cue>{cues('score')})(?P<sp>\s*)(?P<a>[0-9]{{1,3}})\s*[-:]\s*(?P<b>[0-9]{{1,3}})"
        r"(?![0-9.])"
    )

    def render(match: re.Match[str], context: Context) -> str | None:
        if tables.measure_pattern().match(context.after):
            return None  # 中国1-2个 is a range
        a, b = numbers.cardinal(match.group("a")), numbers.cardinal(match.group("b"))
        return match.group("cue") + a + "比" + b

    return (Rule("score", pattern, render),)


# ---------------------------------------------------------------------------------------------
# times: 10:30 → 十点三十分, 10:05 → 十点零五分, 8:00 a.m. → 上午八点; other a:b → a比b


def _clock_part(value: str, unit: str) -> str:
    if value == "00":
        return ""
    if value.startswith("0"):
        return "零" + numbers.digit_string(value[1]) + unit
    return numbers.cardinal(value) + unit


def _time(match: re.Match[str], _context: Context) -> str:
    hour, minute, second = match.group("h"), match.group("m"), match.group("s")
    ampm = (match.group("ampm") or "").lower()
    spoken = "上午" if ampm == "a" else "下午" if ampm == "p" else ""
    spoken += numbers.cardinal(str(int(hour)), bare_two="两") + "点"
    if second and second != "00":
        spoken += (_clock_part(minute, "分") or "零分") + _clock_part(second, "秒")
    else:
        spoken += _clock_part(minute, "分")
    return spoken


TIME_RULES = (
    Rule(
        "time",
        re.compile(
            r"(?<![0-9.:])(?P<h>[01]?[0-9]|2[0-4]):(?P<m>[0-5][0-9])(?::(?P<s>[0-5][0-9]))?"
            r"(?![0-9:])(?:\s?(?P<ampm>[AaPp])\.?[Mm]\.?(?![A-Za-z]))?"
        ),
        _time,
    ),
    Rule(
        "ratio",
        # Not a time of day (78:96, 1:1000): a ratio or a score.
        re.compile(rf"(?<![0-9.:])(?P<a>{NUM}):(?P<b>{NUM})(?![0-9])"),
        lambda m, _c: numbers.decimal(m.group("a")) + "比" + numbers.decimal(m.group("b")),
    ),
)

# ---------------------------------------------------------------------------------------------
# years: 2020年 → 二零二零年, 86年8月 → 八六年, 公元前202年 → 公元前二零二年, 90后 → 九零后

YEAR_RULES = (
    Rule(
        "year_ad",
        re.compile(r"(?P<cue>公元前?)(?P<y>[0-9]{1,4})(?=年)"),
        lambda m, _c: m.group("cue") + numbers.year(m.group("y")),
    ),
    Rule(
        "year",
        # 1000–2999 before 年 is a year, unless 年 starts a duration (1000年来, 2000年之久).
        re.compile(r"(?<![0-9.])[12][0-9]{3}(?=\s?年(?!来|间|之久|历史|的历史))"),
        lambda m, _c: numbers.year(m.group(0)),
    ),
    Rule(
        "year_short",
        # Two digits before 年 are a year only when a month follows (86年8月); 20年后 is a span.
        re.compile(r"(?<![0-9.])[0-9]{2}(?=年[0-9]{1,2}月)"),
        lambda m, _c: numbers.year(m.group(0)),
    ),
    Rule(
        "generation",
        re.compile(r"(?<![0-9.])[0-9]0(?=后(?![来面]))"),
        lambda m, _c: numbers.year(m.group(0)),
    ),
)

# ---------------------------------------------------------------------------------------------
# month and day: 1月2日 → 一月二日, 8月18号 → 八月十八号 (2 is 二 here, never 两)

MONTH_DAY_RULES = (
    Rule(
        "month",
        re.compile(r"(?<![0-9.])(?:1[0-2]|0?[1-9])(?=月)"),
        lambda m, _c: numbers.cardinal(str(int(m.group(0)))),
    ),
    Rule(
        "day",
        re.compile(r"(?<![0-9.])(?:3[01]|[12][0-9]|0?[1-9])(?=[日号])"),
        lambda m, _c: numbers.cardinal(str(int(m.group(0)))),
    ),
)

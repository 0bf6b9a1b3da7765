"""Chinese (Mandarin) text normalization: written text → the words a narrator says.

Pure and deterministic. The text runs through small named rule sets in a fixed order (see
``RULE_ORDER``); each rule rewrites what it recognizes into spoken Chinese and freezes it, so a
later rule never re-reads it (spans.py). Readings follow the public conventions of
WeTextProcessing and NeMo zh where they exist (tests/data/normalize_zh_cases.tsv shows them,
with every deliberate deviation noted). Tables live in ``data/``: units, currencies, measure
words (两 vs 二), cue words (phone, code, score, link), math symbols, and the placeholder policy.

Choices where no convention exists:

* Times read 十点三十分 / 十点零五分 / 十点 (on the hour, no 整), a.m./p.m. → 上午/下午.
* Phone numbers read digit by digit with 1 as 幺 — landlines too (010 → 零幺零, as people say
  it; WeTextProcessing reads 零一零). Codes after 编号/邮编/… and digit strings of 13+ digits
  (ID cards, bank cards) read digit by digit with 一; an ID card's final X reads 叉.
* A URL reads 网址 and an e-mail address 邮箱地址; right after a cue such as 地址/网址/邮箱
  (and an optional colon) it is dropped, since the cue already says a link is there.
* A minus before a temperature reads 零下 (-5℃ → 零下五摄氏度), elsewhere 负.
* Latin words and acronyms (AI, GDP, iPhone, 5G → 五G) are kept for the engine to spell.
* Every output has no ASCII digit and no placeholder letter (a final sweep guarantees it), and
  normalizing an output again changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache

from tts_pipeline.normalize import Normalized, PlaceholderHit, numbers, placeholders, tables
from tts_pipeline.normalize.fills import FillCursor, FillMap, as_fill_map
from tts_pipeline.normalize.spans import Context, Edit, Rule, Spans
from tts_pipeline.text.script import simplified

# A number as written: 1,200 (ASCII separators in groups of three), 12, 12.5.
NUM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
# A minus sign only where it cannot be a dash between two words or numbers (COVID-19, 3-5).
SIGN = r"(?<![0-9A-Za-z)\]])-"
CJK = r"\u3400-\u9fff"

# ---------------------------------------------------------------------------------------------
# Folding (length-preserving, so offsets into the input stay valid)

_FULLWIDTH = str.maketrans(
    {chr(0xFF10 + i): chr(0x30 + i) for i in range(10)}
    | {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}
    | {"％": "%", "＄": "$", "＠": "@", "\u2212": "-"}
)
# Full-width punctuation that is part of a number only next to digits: 22：58 and 1／4 (between
# two digits), 3～5 and －3 (beside one). Elsewhere it is Chinese punctuation and stays (电话：…).
_NEAR_DIGIT = str.maketrans({"：": ":", "／": "/", "．": ".", "～": "~", "－": "-", "＋": "+"})
_NEAR_DIGIT_RE = re.compile(r"(?<=[0-9])[：／．](?=[0-9])|(?<=[0-9%])[～－＋]|[～－＋](?=[0-9])")
# １，２００: a full-width comma between full-width digit groups is a thousands separator.
_FULLWIDTH_THOUSANDS = re.compile(r"(?<![０-９])[０-９]{1,3}(?:，[０-９]{3})+(?![０-９])")


def fold(text: str) -> str:
    """Full-width digits, letters and number punctuation → ASCII, one character for one."""
    text = _FULLWIDTH_THOUSANDS.sub(lambda m: m.group(0).replace("，", ","), text)
    text = text.translate(_FULLWIDTH)
    return _NEAR_DIGIT_RE.sub(lambda m: m.group(0).translate(_NEAR_DIGIT), text)


# ---------------------------------------------------------------------------------------------
# Small helpers


def _cues(kind: str) -> str:
    return tables.alternation(tables.cues()[kind])


def _two(after: str) -> str:
    return tables.two_before(after)


def _count(number: str, after: str) -> str:
    """A quantity: 2 reads 两 before a measure word (2个), 二 otherwise."""
    return numbers.decimal(number, bare_two=_two(after))


def _sign(sign: str | None) -> str:
    return "负" if sign == "-" else "正" if sign == "+" else ""


def _unit_alternation() -> str:
    return tables.alternation(tables.units())


# ---------------------------------------------------------------------------------------------
# web: URLs and e-mail addresses are never read character by character

_URL_CHARS = rf"[^\s\u3000-\u303f\uff00-\uffef{CJK}“”‘’<>\"'（）《》【】]"


@cache
def web_rules() -> tuple[Rule, ...]:
    tld = _cues("tld")
    # Both start with a letter or digit: a rewrite never starts with punctuation (see the star
    # rule in placeholders.py). Digits around a bare domain do not matter (2a.com, a.com2):
    # they become Chinese, and a second pass must decide the same way.
    email = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
    url = re.compile(
        # Latin text glued to the front (xyzhttp://…) goes with the link, so what is left
        # beside it is decided the same on a second pass.
        rf"[A-Za-z0-9.-]*(?i:(?:https?|ftp)://|www\.){_URL_CHARS}+"
        rf"|(?<![A-Za-z@._-])(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+(?i:{tld})(?![A-Za-z-])(?:/{_URL_CHARS}*)?"
    )
    lead = re.compile(rf"{_cues('link')}(?P<sep>\s*[:：]?\s*)$")

    def render(spoken: str) -> Callable[[re.Match[str], Context], Edit]:
        def _render(match: re.Match[str], context: Context) -> Edit:
            # Sentence punctuation right after a link is not part of it.
            end = match.start() + len(match.group(0).rstrip(".,;:!?)]"))
            cue = lead.search(context.raw_before)
            if cue:
                return Edit(match.start() - len(cue.group("sep")), end, "")
            return Edit(match.start(), end, spoken)

        return _render

    return (Rule("email", email, render("邮箱地址")), Rule("url", url, render("网址")))


# ---------------------------------------------------------------------------------------------
# id_card: 18-character ID numbers (the last may be X) before X is taken for a placeholder

ID_CARD = Rule(
    "id_card",
    re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])"),
    lambda m, _c: (
        numbers.digit_string(m.group(0)[:17])
        + ("叉" if m.group(0)[17] in "Xx" else numbers.digit_string(m.group(0)[17]))
    ),
)

# ---------------------------------------------------------------------------------------------
# codes: a number in quotes names a scheme, not a quantity: “1255”工作思路 → 一二五五,
# “1+X”证书 → 一加X, “12345”热线 → 一二三四五. Its letters stay letters (X is no placeholder
# here); the spoken form is recognized again so a second pass leaves it as it is.

_OPEN_QUOTE = "“\"「『‘'"
_CLOSE_QUOTE = "”\"」』’'"
_CN_DIGIT = "零〇一二三四五六七八九"
CODE_RULES = (
    Rule(
        "code",
        re.compile(
            rf"(?<=[{_OPEN_QUOTE}])(?:[0-9]+(?:\s*\+\s*(?:[0-9]+|[A-Za-z]{{1,2}}))+|[0-9]{{3,}})"
            rf"(?=[{_CLOSE_QUOTE}])"
        ),
        lambda m, _c: re.sub(
            r"\s*\+\s*|[0-9]+",
            lambda part: "加" if "+" in part.group(0) else numbers.digit_string(part.group(0)),
            m.group(0),
        ),
    ),
    Rule(
        "code_spoken",
        re.compile(
            rf"(?<=[{_OPEN_QUOTE}])[{_CN_DIGIT}]+(?:加(?:[{_CN_DIGIT}]+|[A-Za-z]{{1,2}}))+"
            rf"(?=[{_CLOSE_QUOTE}])"
        ),
        lambda m, _c: m.group(0),
    ),
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
        rf"(?P<cue>{_cues('score')})(?P<sp>\s*)(?P<a>[0-9]{{1,3}})\s*[-:]\s*(?P<b>[0-9]{{1,3}})"
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
# phones and codes: digit by digit (幺 in phone numbers)


def _dial(digits: str, one: str) -> str:
    plus = "加" if digits.startswith("+") else ""
    return plus + numbers.digit_string(re.sub(r"[^0-9]", "", digits), one=one)


@cache
def phone_rules() -> tuple[Rule, ...]:
    phone_cue, code_cue = _cues("phone"), _cues("code")
    cued = re.compile(
        rf"(?:(?P<phone>{phone_cue})|(?P<code>{code_cue}))"
        r"(?P<sep>[：:\s]*(?:是|为)?[：:\s]*)(?P<num>\+?[0-9](?:[0-9]|[ -](?=[0-9]))*)"
        r"(?![0-9.])"
    )

    def render_cued(match: re.Match[str], context: Context) -> str | None:
        number = match.group("num")
        if sum(ch.isdigit() for ch in number) < 3:
            return None  # 打2个 is a count
        if tables.measure_pattern().match(context.after):
            return None  # 打200个电话, 编号100年 are quantities
        cue = match.group("phone") or match.group("code")
        one = "幺" if match.group("phone") else "一"
        return cue + match.group("sep") + _dial(number, one)

    return (
        Rule("phone_cue", cued, render_cued),
        Rule(
            "mobile",
            re.compile(r"(?<![0-9])(?:\+?86[-\s]?)?1[3-9][0-9](?:[-\s]?[0-9]{4}){2}(?![0-9])"),
            lambda m, _c: _dial(m.group(0), "幺"),
        ),
        Rule(
            "landline",
            re.compile(r"(?<![0-9-])(?:\(0[0-9]{2,3}\)|0[0-9]{2,3}-)[0-9]{7,8}(?![0-9])"),
            lambda m, _c: _dial(m.group(0), "幺"),
        ),
        Rule(
            "service_number",
            re.compile(r"(?<![0-9-])[48]00-?[0-9]{3}-?[0-9]{4}(?![0-9])"),
            lambda m, _c: _dial(m.group(0), "幺"),
        ),
        Rule(
            "long_digits",
            # 13+ digits is an ID or card number, not a quantity anyone says.
            re.compile(r"(?<![0-9.,])[0-9]{13,}(?![0-9])"),  # past 万亿 (see numbers.py)
            lambda m, _c: numbers.digit_string(m.group(0)),
        ),
        Rule(
            "dotted_digits",
            # 127.0.0.1, 1.2.3: read each part digit by digit, the dots as 点.
            re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+){2,}(?![0-9])"),
            lambda m, _c: "点".join(numbers.digit_string(p) for p in m.group(0).split(".")),
        ),
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
        spoken = numbers.decimal(groups["num"], bare_two=_two(magnitude or currency))
        return _sign(groups.get("sign")) + spoken + magnitude + currency

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
        lambda m, _c: _sign(m.group("sign")) + numbers.fraction(m.group("a"), m.group("b")),
    ),
)

# ---------------------------------------------------------------------------------------------
# ranges: 3-5个 / 3~5 / 3至5 → 三到五(个), 2020-2024年 → 二零二零到二零二四年


@cache
def range_rules() -> tuple[Rule, ...]:
    units = tables.units()
    pattern = re.compile(
        rf"(?<![0-9.])(?P<a>{NUM})\s*[-~至到—–]\s*(?P<b>{NUM})(?![0-9])"
        rf"(?:\s?(?P<unit>{_unit_alternation()})(?![A-Za-z]))?"
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
        return _count(a, after) + "到" + _count(b, after)

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
    alt = _unit_alternation()
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
    return _sign(match.group("sign")) + _count(match.group("num"), context.after)


CARDINAL_RULES = (
    Rule("cardinal", re.compile(rf"(?<![0-9.])(?P<sign>{SIGN})?(?P<num>{NUM})"), _cardinal),
    # Anything still holding a digit (a stray "1." or ".5") reads digit by digit.
    Rule("digits", re.compile(r"[0-9]+"), lambda m, _c: numbers.digit_string(m.group(0))),
)


@cache
def list_mark_rules() -> tuple[Rule, ...]:
    """① → 第一 (a pause after it when text follows directly): list numbers as ordinals."""

    def render(match: re.Match[str], context: Context) -> str:
        spoken = "第" + numbers.ordinal(str(int(unicodedata.numeric(match.group(0)))))
        follows = context.after[:1]
        return (
            spoken + "，" if follows and (follows.isalnum() or follows in _OPEN_QUOTE) else spoken
        )

    return (Rule("list_mark", re.compile(tables.list_marks()), render),)


@cache
def markup_rules() -> tuple[Rule, ...]:
    """Stray markup (*, #, ■, ★, ●, …) never reaches the voice."""
    pattern = re.compile("[" + "".join(re.escape(m) for m in tables.markup()) + "]+")
    return (Rule("markup", pattern, lambda _m, _c: ""),)


@cache
def symbol_rules() -> tuple[Rule, ...]:
    table = {s.symbol: s.spoken for s in tables.symbols().values() if s.where == "any"}
    pattern = re.compile("|".join(re.escape(s) for s in table))
    return (Rule("symbol", pattern, lambda m, _c: table[m.group(0)]),)


# ---------------------------------------------------------------------------------------------
# The pipeline


@cache
def rule_sets() -> dict[str, tuple[Rule, ...]]:
    """Every named rule set, in the order the pipeline applies them."""
    return {
        "web": web_rules(),
        "id_card": (ID_CARD,),
        "codes": CODE_RULES,
        "placeholders": (placeholders.RULE,),
        "dates": DATE_RULES,
        "scores": score_rules(),
        "times": TIME_RULES,
        "phones": phone_rules(),
        "money": money_rules(),
        "percent": PERCENT_RULES,
        "fractions": FRACTION_RULES,
        "math": math_rules(),
        "ranges": range_rules(),
        "years": YEAR_RULES,
        "month_day": MONTH_DAY_RULES,
        "ordinals": ORDINAL_RULES,
        "units": unit_rules(),
        "list_marks": list_mark_rules(),
        "cardinals": CARDINAL_RULES,
        "symbols": symbol_rules(),
        "markup": markup_rules(),
    }


RULE_ORDER: tuple[str, ...] = (
    "web",
    "id_card",
    "codes",
    "placeholders",
    "dates",
    "scores",
    "times",
    "phones",
    "money",
    "percent",
    "fractions",
    "math",
    "ranges",
    "years",
    "month_day",
    "ordinals",
    "units",
    "list_marks",
    "cardinals",
    "symbols",
    "markup",
)


def apply_rule_set(name: str, text: str) -> str:
    """Run one named rule set alone on ``text`` (after folding): for testing a category."""
    spans = Spans.of(fold(text))
    for rule in rule_sets()[name]:
        spans.apply(rule)
    return spans.text()


@cache
def _fill_kind(key: str) -> str:
    """The policy kind a fill key would have had unfilled (XX中学 → name), else "fill"."""
    folded = fold(key)
    match = placeholders.CANDIDATE.search(folded)
    if not match:
        return "fill"
    reading = placeholders.classify(match.group(0), folded[: match.start()], folded[match.end() :])
    return reading.kind if reading.kind != "keep" else "fill"


def _fill_rule(fills: FillMap, cursor: FillCursor) -> Rule | None:
    pattern = fills.pattern
    if pattern is None:
        return None

    def render(match: re.Match[str], _context: Context) -> Edit | None:
        entry = fills.entry_of(match)
        value = cursor.next_value(entry)
        if value is None:
            return None  # the list ran out: this occurrence keeps the default reading
        spoken = _normalize(value, None, FillCursor()).spoken
        return Edit(match.start(), match.end(), spoken, kind=_fill_kind(entry.key), filled=True)

    return Rule("fills", pattern, render)


def _normalize(text: str, fills: FillMap | None, cursor: FillCursor) -> Normalized:
    # Traditional characters are read as simplified: the tables, the offline voice's word list
    # and polyphone table are simplified (same length, so offsets still point into ``text``).
    spans = Spans.of(fold(simplified(text)))
    if fills:
        rule = _fill_rule(fills, cursor)
        if rule is not None:
            spans.apply(rule)
    sets = rule_sets()
    for name in RULE_ORDER:
        for rule in sets[name]:
            spans.apply(rule)
    spoken = placeholders.sweep(spans.text())
    hits = tuple(
        PlaceholderHit(
            text=text[hit.start : hit.end],
            spoken=hit.spoken,
            start=hit.start,
            end=hit.end,
            kind=hit.kind,
            filled=hit.filled,
        )
        for hit in sorted(spans.hits, key=lambda h: h.start)
    )
    return Normalized(original=text, spoken=spoken, placeholders=hits)


def normalize_zh(text: str, fills: FillMap | object | None = None) -> Normalized:
    """Normalize one Chinese text. ``fills``: a FillMap (or a plain mapping), or None."""
    return _normalize(text, as_fill_map(fills), FillCursor())


def normalize_zh_all(
    texts: Sequence[str], fills: FillMap | object | None = None
) -> list[Normalized]:
    """Normalize a document's utterances in order; fill-in positions count across all of them."""
    fill_map = as_fill_map(fills)
    cursor = FillCursor()
    return [_normalize(text, fill_map, cursor) for text in texts]

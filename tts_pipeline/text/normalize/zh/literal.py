"""Chinese rule sets for what is read as written or digit by digit: web addresses, ID card
numbers, phone numbers, codes, and code numbers in quotes."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from tts_pipeline.text.normalize import numbers, tables
from tts_pipeline.text.normalize.spans import Context, Edit, Rule
from tts_pipeline.text.normalize.zh.patterns import (
    CJK,
    CLOSE_QUOTE,
    OPEN_QUOTE,
    cues,
)

# ---------------------------------------------------------------------------------------------
# web: URLs and e-mail addresses are never read character by character

_URL_CHARS = rf"[^\s\u3000-\u303f\uff00-\uffef{CJK}“”‘’<>\"'（）《》【】]"


@cache
def web_rules() -> tuple[Rule, ...]:
    tld = cues("tld")
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
    lead = re.compile(rf"{cues('link')}(?P<sep>\s*[:：]?\s*)$")

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

_CN_DIGIT = "零〇一二三四五六七八九"


def _code(match: re.Match[str], _context: Context) -> str:
    return re.sub(
        r"\s*\+\s*|[0-9]+",
        lambda part: "加" if "+" in part.group(0) else numbers.digit_string(part.group(0)),
        match.group(0),
    )


CODE_RULES = (
    Rule(
        "code",
        re.compile(
            rf"(?<=[{OPEN_QUOTE}])(?:[0-9]+(?:\s*\+\s*(?:[0-9]+|[A-Za-z]{{1,2}}))+|[0-9]{{3,}})"
            rf"(?=[{CLOSE_QUOTE}])"
        ),
        _code,
    ),
    Rule(
        "code_spoken",
        re.compile(
            rf"(?<=[{OPEN_QUOTE}])[{_CN_DIGIT}]+(?:加(?:[{_CN_DIGIT}]+|[A-Za-z]{{1,2}}))+"
            rf"(?=[{CLOSE_QUOTE}])"
        ),
        lambda m, _c: m.group(0),
    ),
)

# ---------------------------------------------------------------------------------------------
# phones and codes: digit by digit (幺 in phone numbers)


def _dial(digits: str, one: str) -> str:
    plus = "加" if digits.startswith("+") else ""
    return plus + numbers.digit_string(re.sub(r"[^0-9]", "", digits), one=one)


@cache
def phone_rules() -> tuple[Rule, ...]:
    phone_cue, code_cue = cues("phone"), cues("code")
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

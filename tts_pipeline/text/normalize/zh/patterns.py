"""What the Chinese rule sets share: how a number and a sign are written, the length-preserving
fold to ASCII, and the table lookups every rule set uses."""

from __future__ import annotations

import re

from tts_pipeline.text.normalize import numbers, tables

# A number as written: 1,200 (ASCII separators in groups of three), 12, 12.5.
NUM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
# A minus sign only where it cannot be a dash between two words or numbers (COVID-19, 3-5).
SIGN = r"(?<![0-9A-Za-z)\]])-"
CJK = r"\u3400-\u9fff"
# Quotation marks around a code (“1+X”) and before a list item's text.
OPEN_QUOTE = "“\"「『‘'"
CLOSE_QUOTE = "”\"」』’'"

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


def cues(kind: str) -> str:
    return tables.alternation(tables.cues()[kind])


def two(after: str) -> str:
    return tables.two_before(after)


def count(number: str, after: str) -> str:
    """A quantity: 2 reads 两 before a measure word (2个), 二 otherwise."""
    return numbers.decimal(number, bare_two=two(after))


def sign(sign: str | None) -> str:
    return "负" if sign == "-" else "正" if sign == "+" else ""


def unit_alternation() -> str:
    return tables.alternation(tables.units())

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
from functools import cache

from tts_pipeline.text.normalize import placeholders
from tts_pipeline.text.normalize.fills import FillCursor, FillMap, as_fill_map
from tts_pipeline.text.normalize.result import Normalized, PlaceholderHit
from tts_pipeline.text.normalize.spans import Context, Edit, Rule, Spans
from tts_pipeline.text.normalize.zh import amounts, literal, marks, when
from tts_pipeline.text.normalize.zh.patterns import fold
from tts_pipeline.text.script import simplified


@cache
def rule_sets() -> dict[str, tuple[Rule, ...]]:
    """Every named rule set, in the order the pipeline applies them."""
    return {
        "web": literal.web_rules(),
        "id_card": (literal.ID_CARD,),
        "codes": literal.CODE_RULES,
        "placeholders": (placeholders.RULE,),
        "dates": when.DATE_RULES,
        "scores": when.score_rules(),
        "times": when.TIME_RULES,
        "phones": literal.phone_rules(),
        "money": amounts.money_rules(),
        "percent": amounts.PERCENT_RULES,
        "fractions": amounts.FRACTION_RULES,
        "math": amounts.math_rules(),
        "ranges": amounts.range_rules(),
        "years": when.YEAR_RULES,
        "month_day": when.MONTH_DAY_RULES,
        "ordinals": amounts.ORDINAL_RULES,
        "units": amounts.unit_rules(),
        "list_marks": marks.list_mark_rules(),
        "cardinals": amounts.CARDINAL_RULES,
        "symbols": amounts.symbol_rules(),
        "markup": marks.markup_rules(),
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


def normalize_zh_next(text: str, fills: FillMap | None, cursor: FillCursor) -> Normalized:
    """Normalize the next text of a document: fill-ins by position continue from ``cursor``
    (the occurrences counted in the texts before), which this advances."""
    return _normalize(text, fills, cursor)

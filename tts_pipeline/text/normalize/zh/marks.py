"""Chinese rule sets for the marks a page puts in a text: one-character list numbers (① → 第一)
and stray markup (*, #, ■, ★, ●), which never reaches the voice. Both tables are data
(``data/list_marks.tsv``, ``data/markup.tsv``)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from tts_pipeline.text.normalize import numbers, tables
from tts_pipeline.text.normalize.spans import Context, Rule
from tts_pipeline.text.normalize.zh.patterns import OPEN_QUOTE


def _list_mark(match: re.Match[str], context: Context) -> str:
    spoken = "第" + numbers.ordinal(str(int(unicodedata.numeric(match.group(0)))))
    follows = context.after[:1]
    # ①加强学习: the number and the item's text are two phrases, as 第一，加强学习.
    return spoken + "，" if follows and (follows.isalnum() or follows in OPEN_QUOTE) else spoken


@cache
def list_mark_rules() -> tuple[Rule, ...]:
    """① → 第一 (a pause after it when text follows directly): list numbers as ordinals."""
    return (Rule("list_mark", re.compile(tables.list_marks()), _list_mark),)


@cache
def markup_rules() -> tuple[Rule, ...]:
    """Stray markup (*, #, ■, ★, ●, …) never reaches the voice."""
    pattern = re.compile("[" + "".join(re.escape(m) for m in tables.markup()) + "]+")
    return (Rule("markup", pattern, lambda _m, _c: ""),)

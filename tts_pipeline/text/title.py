"""The speech's title: chosen by what a title looks like, not by being the first line.

A web page puts its own lines above a speech and repeats the speech's title two or three
times. The title is the line before the salutation (各位… / 同志们：) and above the first
sentence that looks most like a title (data/title.toml: title words, "在…上的…", a heading
style, its place); its copies and the page lines above it are not speech. With no such line the
document's title field or the input's name is the title: it names the files, but only a title
of the text (or --title) is spoken. Pure functions.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from tts_pipeline.text.chrome import match_form

DATA = Path(__file__).parent / "data" / "title.toml"

# Where the title came from: a line of the text, the document's title field (HTML <title>,
# Word's), the input's name (a file's, or "stdin"), or --title.
TitleOrigin = Literal["text", "title field", "file name", "option"]
# The titles that are the speech's own, and so are spoken; the others only name the files.
SPOKEN_ORIGINS: frozenset[TitleOrigin] = frozenset({"text", "option"})
# Rule names of the lines that go with the title (shown in `plan` beside each).
REPEATED = "repeated-title"
ABOVE = "above-title"
REPLACED = "replaced-title"
# A title ends no sentence inside it.
_SENTENCE_END = re.compile(r"[。;]|[,、:]$")
# A line of speech (a sentence said; not ! or ?, which titles have too): the title stands above
# the first one.
_SPOKEN_SENTENCE = re.compile(r"[。;]|\.(\s|$)")
_SECTION_MARK = re.compile(
    r"^(第[一二三四五六七八九十百零〇两\d]+[,、:.]|[一二三四五六七八九十]+[、.]|\(\S{1,3}\))"
)
# A page's name after the title in its <title>: "讲话_公文范文_某某网", "讲话 - 某某文库".
_PAGE_NAME_SEPARATOR = re.compile(r"\s*(?:_|\||｜| - | – | — |--)\s*")


@dataclass(frozen=True)
class TitleRules:
    keywords: tuple[str, ...]
    occasion: re.Pattern[str]
    salutation: re.Pattern[str]
    subtitle: re.Pattern[str]
    max_lines_before_salutation: int
    max_lines_without_salutation: int
    max_chars: int
    similar_copy: float


@cache
def title_rules() -> TitleRules:
    with DATA.open("rb") as handle:
        raw = tomllib.load(handle)
    return TitleRules(
        keywords=tuple(raw["keywords"]),
        occasion=re.compile(raw["occasion"]),
        salutation=re.compile(raw["salutation"]),
        subtitle=re.compile(raw["subtitle"]),
        max_lines_before_salutation=raw["max_lines_before_salutation"],
        max_lines_without_salutation=raw["max_lines_without_salutation"],
        max_chars=raw["max_chars"],
        similar_copy=raw["similar_copy"],
    )


@dataclass(frozen=True)
class TitleLine:
    """A line of the document as the title finder sees it: its text and heading level."""

    text: str
    level: int = 0  # 1–6 for a heading (Word heading style, Markdown #, HTML h1–h6)


@dataclass(frozen=True)
class TitleChoice:
    """The title, where it came from, and the lines that go with it (not spoken as body)."""

    title: str
    origin: TitleOrigin
    lines: tuple[int, ...] = ()  # the title's own line(s) in the document (with a subtitle: two)
    removed: tuple[tuple[int, str], ...] = ()  # (line, rule): its copies, the lines above it


def choose_title(
    lines: Sequence[TitleLine],
    *,
    file_name: str,
    title_field: str | None = None,
    override: str | None = None,
    drop_extra: bool = True,
) -> TitleChoice:
    """Choose the title among ``lines``; ``title_field`` is the document's own title (HTML
    <title>, Word's document title), ``file_name`` the last resort, ``override`` wins.
    With ``drop_extra`` False (--keep-all) the title's copies and the lines above it stay."""
    rules = title_rules()
    folded = [match_form(line.text) for line in lines]
    salutation = next(
        (
            i
            for i, text in enumerate(folded[: rules.max_lines_before_salutation + 1])
            if rules.salutation.match(text)
        ),
        None,
    )
    found = _best_line(lines, folded, salutation, rules)
    origin: TitleOrigin
    own: tuple[int, ...]
    if found is None:
        title, origin, own = _fallback(title_field, file_name, rules), "file name", ()
        if title_field and title != file_name:
            origin = "title field"
    else:
        index, joined = found
        own = (joined, index) if joined is not None else (index,)
        title = "".join(lines[i].text for i in own)
        origin = "text"
    removed: dict[int, str] = {}
    if drop_extra and found is not None:
        first = min(own)
        start = _zone(salutation, len(lines), rules)[0]
        key = _key(title)
        for i in range(start, first):
            removed[i] = (
                REPEATED if _is_copy(_key(folded[i]), key, near=True, rules=rules) else ABOVE
            )
        head_end = salutation if salutation is not None else max(own) + 1
        for i, text in enumerate(folded):
            if i in own or i in removed:
                continue
            if _is_copy(_key(text), key, near=i < head_end, rules=rules):
                removed[i] = REPEATED
    if override is not None:
        override = " ".join(override.split())
        if found is not None:
            removed.update((i, REPLACED) for i in own)
        return TitleChoice(override, "option", (), tuple(sorted(removed.items())))
    return TitleChoice(title, origin, own, tuple(sorted(removed.items())))


def _zone(salutation: int | None, count: int, rules: TitleRules) -> tuple[int, int]:
    """The lines where the title may stand: before the salutation, or the first few."""
    if salutation is None:
        return 0, min(count, rules.max_lines_without_salutation)
    return max(0, salutation - rules.max_lines_before_salutation), salutation


def _best_line(
    lines: Sequence[TitleLine],
    folded: Sequence[str],
    salutation: int | None,
    rules: TitleRules,
) -> tuple[int, int | None] | None:
    """(title line, main-title line joined before a subtitle) or None."""
    start, end = _zone(salutation, len(lines), rules)
    # Not below the speech's first sentence: a heading there is a section's, not the title.
    end = next((i for i in range(start, end) if _SPOKEN_SENTENCE.search(folded[i])), end)
    best: tuple[int, int] | None = None  # (score, line)
    for i in range(start, end):
        if not _title_shaped(folded[i], rules):
            continue
        score = _score(folded[i], lines[i].level, rules)
        if salutation is not None and i == salutation - 1:
            score += 1
        qualifies = score >= 3 or salutation is not None or _leads(i, folded, rules)
        # Ties go to the later line: the copy nearest the salutation is the speech's own.
        if qualifies and (best is None or score >= best[0]):
            best = (score, i)
    if best is None:
        return None
    index = best[1]
    above = index - 1
    if (
        rules.subtitle.match(folded[index])
        and above >= start
        and _title_shaped(folded[above], rules)
        and not rules.subtitle.match(folded[above])
    ):
        return index, above
    return index, None


def _score(folded: str, level: int, rules: TitleRules) -> int:
    score = 0
    lowered = folded.lower()
    if any(word in lowered for word in rules.keywords):
        score += 3
    if rules.occasion.search(folded):
        score += 3
    if level == 1:
        score += 3
    elif level > 1:
        score += 1
    if 6 <= len(folded) <= 50:
        score += 1
    return score


def _title_shaped(folded: str, rules: TitleRules) -> bool:
    return (
        1 <= len(folded) <= rules.max_chars
        and not _SENTENCE_END.search(folded)
        and not _SECTION_MARK.match(folded)
        and not rules.salutation.match(folded)
    )


def _leads(index: int, folded: Sequence[str], rules: TitleRules) -> bool:
    """With no salutation, a short first line above longer text is a title."""
    if index != 0 or len(folded) < 2 or len(folded[0]) > 40:
        return False
    after = folded[1]
    return len(after) > len(folded[0]) or bool(re.search(r"[。.!?！？]$", after))


def _key(text: str) -> str:
    """A line reduced to what makes it the same title: no spaces, punctuation or symbols."""
    return "".join(
        ch
        for ch in match_form(text).lower()
        if not unicodedata.category(ch).startswith(("P", "S", "Z"))
    )


def _is_copy(candidate: str, title: str, *, near: bool, rules: TitleRules) -> bool:
    if not candidate or not title:
        return False
    if candidate == title:
        return True
    # "讲话_公文范文_某某网": the title with the page's name after it.
    if len(title) >= 8 and candidate.startswith(title) and len(candidate) - len(title) <= 24:
        return True
    if not near or len(candidate) > rules.max_chars:
        return False
    ratio = difflib.SequenceMatcher(None, candidate, title, autojunk=False).ratio()
    return ratio >= rules.similar_copy


def _fallback(title_field: str | None, file_name: str, rules: TitleRules) -> str:
    """The document's title field when it looks like a speech's title, else the file's name."""
    if title_field:
        first = _PAGE_NAME_SEPARATOR.split(" ".join(title_field.split()))[0].strip()
        folded = match_form(first)
        if _title_shaped(folded, rules) and _score(folded, 0, rules) >= 3:
            return first
    return file_name

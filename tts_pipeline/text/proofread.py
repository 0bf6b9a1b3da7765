"""Proofreading: near misses of fixed official phrases, the typos a narrator silently corrects.

A near miss is a span of text one character away from a phrase of the shipped table
(``data/phrases.txt``): one character replaced, missing or extra. It is flagged, with the phrase
as its suggestion, unless the span is itself a phrase of the table or a word of the segmenter's
(jieba's) dictionary, or the difference is better explained as ordinary language:

* the first or last character missing, or one extra before or after, leaves the phrase or a
  shorter one (高质量发挥 is 高质量发 + 挥, not 高质量发展 with 展 replaced);
* a short phrase (under six characters) whose first or last character makes a word with the
  text around it is not there as a unit (教育国际化 is not 教育强国 missing 强), and its first or
  last character replaced is another phrase (的发展阶段 is not 新发展阶段) unless the dictionary
  knows the phrase as one word (an idiom: 再接再励) or the two characters sound alike;
* a replaced character that makes a dictionary word with its neighbours is ordinary language
  (素质教师 is not 素质教育; 全面从严治军 is not 全面从严治党), unless it sounds like the
  phrase's (立德数人: a pinyin input method's slip, though 数人 is a word);
* an extra character is a typo when it doubles its neighbour (不忘初初心); otherwise only in a
  long phrase, and not when it is a particle or conjunction (中华民族的伟大复兴) or makes a word
  (从严格治党: 严格).

Only Chinese characters count as edits: the separators of a compound phrase (、，；,;) match each
other, so 不忘初心，牢记使命 is the phrase 不忘初心、牢记使命 as written.

Finding candidates is fast: each phrase is indexed by the first two characters of its halves,
and a one-character edit leaves one half intact, so one scan of the text finds every half and
checks the other half beside it. The dictionary (``word_list``: a sorted word list searched by
bisection) and the character readings (pypinyin's table) are read and asked about candidates
only.
"""

from __future__ import annotations

import importlib.util
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from tts_pipeline.engines.local_zh.frontend.text import is_han
from tts_pipeline.text.word_list import Dictionary, default_words

# Separators between the parts of a compound phrase; all of them match 、.
SEPARATORS = "、，,；;"
_CANONICAL = str.maketrans(dict.fromkeys(SEPARATORS, "、"))
# An extra one of these inside a phrase is ordinary grammar, not a typo (的伟大复兴).
PARTICLES = frozenset("的地得了着过和与及并而也都就要把被让将对向在之是为以其所")
MIN_PHRASE = 4  # Chinese characters; shorter phrases have too many legitimate neighbours
# From this length on, a phrase's first or last character replaced is a typo, not another phrase.
CLOSED_LENGTH = 6


@dataclass(frozen=True)
class TypoFlag:
    """A likely typo: ``text`` (offsets ``start``/``end`` in the text proofread) and the same
    span corrected (``suggestion``), a near miss of ``phrase``."""

    start: int
    end: int
    text: str
    suggestion: str
    phrase: str


@dataclass(frozen=True)
class _Edit:
    """One character of a phrase changed: ``kind`` "replace" | "missing" | "extra" at text
    offset ``at``; ``char`` is the phrase's character (replace, missing) or the text's (extra)."""

    kind: str
    at: int
    char: str
    inner: bool  # not at the phrase's first or last character


class PhraseTable:
    """The fixed phrases, indexed for near-miss search by the first two characters of their
    halves."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases = tuple(dict.fromkeys(p.translate(_CANONICAL) for p in phrases))
        self.known = frozenset(self.phrases)
        # first two characters of a half → (half, phrase, whether it is the left half)
        self._halves: dict[str, list[tuple[str, str, bool]]] = {}
        for phrase in self.phrases:
            if len(phrase) < MIN_PHRASE:
                raise ValueError(f"phrase {phrase!r} is shorter than {MIN_PHRASE} characters")
            cut = len(phrase) // 2
            for half, left in ((phrase[:cut], True), (phrase[cut:], False)):
                self._halves.setdefault(half[:2], []).append((half, phrase, left))

    def scan(self, text: str) -> tuple[list[_Candidate], list[tuple[int, int]]]:
        """Every span one Chinese character away from a phrase, and the spans that are phrases."""
        canon = text.translate(_CANONICAL)
        found: dict[tuple[int, int, str], _Edit] = {}
        exact: list[tuple[int, int]] = []
        for j in range(len(canon) - 1):
            for half, phrase, left in self._halves.get(canon[j : j + 2], ()):
                if not canon.startswith(half, j):
                    continue
                if left and canon.startswith(phrase, j):
                    exact.append((j, j + len(phrase)))
                    continue
                for start, end, edit in _around(canon, j, len(half), phrase, left):
                    found.setdefault((start, end, phrase), edit)
        candidates = [
            _Candidate(s, e, p, edit)
            for (s, e, p), edit in found.items()
            if canon[s:e] not in self.known
        ]
        return candidates, exact


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    phrase: str
    edit: _Edit


def _around(
    canon: str, j: int, size: int, phrase: str, left: bool
) -> Iterable[tuple[int, int, _Edit]]:
    """Spans around the intact half at ``j`` that are one edit away from ``phrase``."""
    cut = len(phrase) // 2
    if left:  # the other half follows
        other = phrase[cut:]
        for delta in (0, -1, 1):
            end = j + size + len(other) + delta
            if end <= len(canon):
                edit = _one_edit(canon[j + size : end], other, cut, j + size, len(phrase))
                if edit is not None:
                    yield j, end, edit
    else:  # the other half precedes
        other = phrase[:cut]
        for delta in (0, -1, 1):
            start = j - len(other) - delta
            if start >= 0:
                edit = _one_edit(canon[start:j], other, 0, start, len(phrase))
                if edit is not None:
                    yield start, j + size, edit


def _one_edit(written: str, part: str, base: int, offset: int, length: int) -> _Edit | None:
    """How ``written`` (at text ``offset``) differs from ``part`` (at phrase position ``base``
    of a phrase of ``length`` characters) by exactly one Chinese character, or None."""
    n, m = len(written), len(part)
    p = 0
    while p < min(n, m) and written[p] == part[p]:
        p += 1
    if n == m:
        if p == n or written[p + 1 :] != part[p + 1 :] or not _han2(written[p], part[p]):
            return None
        return _Edit("replace", offset + p, part[p], 0 < base + p < length - 1)
    longer, shorter = (part, written) if n < m else (written, part)
    if abs(n - m) != 1 or longer[p + 1 :] != shorter[p:]:
        return None
    # The character left out may be any of a run of equal ones (更高 against 更更高): prefer
    # one inside the phrase.
    q = p
    while q > 0 and longer[q - 1] == longer[p]:
        q -= 1
    limit = length - 1 if n < m else length
    inner = [i for i in range(q, p + 1) if 0 < base + i < limit]
    i = inner[0] if inner else p
    if not is_han(longer[i]):
        return None
    return _Edit("missing" if n < m else "extra", offset + i, longer[i], bool(inner))


def _han2(a: str, b: str) -> bool:
    return is_han(a) and is_han(b)


def read_phrases(lines: Iterable[str]) -> list[str]:
    """Phrases of a table file: one per line, ``#`` comments and blank lines skipped."""
    return [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]


@cache
def default_table() -> PhraseTable:
    text = resources.files("tts_pipeline.text").joinpath("data/phrases.txt").read_text("utf-8")
    return PhraseTable(read_phrases(text.splitlines()))


def find_typos(
    text: str, table: PhraseTable | None = None, dictionary: Dictionary | None = None
) -> list[TypoFlag]:
    """The likely typos in ``text``, in order (see the module doc); at most one per span."""
    table = table or default_table()
    words = dictionary if dictionary is not None else default_words()
    candidates, exact = table.scan(text)
    flags: list[TypoFlag] = []
    taken: list[tuple[int, int]] = []
    # The longest phrase first: it is the strongest evidence, and its span covers the others'.
    for c in sorted(candidates, key=lambda c: (-len(c.phrase), c.start)):
        if any(c.start < e and s < c.end for s, e in taken):
            continue
        if _inside_a_phrase(c.edit, exact) or not _plausible(text, c, words):
            continue
        taken.append((c.start, c.end))
        flags.append(TypoFlag(c.start, c.end, text[c.start : c.end], _fixed(text, c), c.phrase))
    return sorted(flags, key=lambda f: f.start)


def _inside_a_phrase(edit: _Edit, exact: Sequence[tuple[int, int]]) -> bool:
    """The edit would change text that is a phrase of the table as written (谢谢大家 is not a
    near miss of itself one character on)."""
    if edit.kind == "missing":
        return any(s < edit.at < e for s, e in exact)
    return any(s <= edit.at < e for s, e in exact)


def _plausible(text: str, c: _Candidate, words: Dictionary) -> bool:
    """Whether a near miss is a typo rather than a word or ordinary language (module doc)."""
    edit, closed = c.edit, _closed(c.phrase, words)
    written = text[edit.at] if edit.kind == "replace" else ""
    short = len(c.phrase.replace("、", "")) < CLOSED_LENGTH
    if text[c.start : c.end] in words:
        return False
    # A short phrase's first or last character makes a word with the text outside it: the
    # span is not a unit (教育国际化 is not 教育强国 missing 强; 隆重开幕 is not 隆重召开).
    if short and (_word_at(text, c.start - 1, words) or _word_at(text, c.end - 1, words)):
        return False
    # The first or last character missing or extra leaves the phrase or a shorter one; a short
    # phrase's first or last character replaced is another phrase (的发展阶段), unless it sounds
    # the same (甘为人题 against 甘为人梯).
    edge_typo = edit.kind == "replace" and (closed or _homophones(written, edit.char))
    if not edit.inner and not edge_typo:
        return False
    if edit.kind == "missing":
        return True
    if edit.kind == "extra":
        if edit.char in (text[edit.at - 1 : edit.at], text[edit.at + 1 : edit.at + 2]):
            return True  # a doubled character
        if edit.char in PARTICLES or not closed:
            return False
        return not _makes_word(text, c, words)
    # A replaced character that makes a word with its neighbours is ordinary language
    # (素质教师 against 素质教育), unless it sounds like the phrase's: the typing slip of a
    # pinyin input method (立德数人 against 立德树人, though 数人 is a word).
    return not _makes_word(text, c, words) or _homophones(written, edit.char)


def _makes_word(text: str, c: _Candidate, words: Dictionary) -> bool:
    """Whether the character at the edit makes a dictionary word of two or three characters
    with its neighbours (inside the span; one further out at the phrase's first or last)."""
    at = c.edit.at
    lo = c.start if c.edit.inner else max(0, c.start - 1)
    hi = c.end if c.edit.inner else min(len(text), c.end + 1)
    for size in (2, 3):
        for i in range(max(lo, at - size + 1), min(at, hi - size) + 1):
            if _all_han(text[i : i + size]) and text[i : i + size] in words:
                return True
    return False


@cache
def _homophones(a: str, b: str) -> bool:
    """Whether two characters share a reading (tones aside)."""
    return bool(a and b and _readings(a) & _readings(b))


@cache
def _readings(char: str) -> frozenset[str]:
    """A character's readings without tones (ü as v), from pypinyin's character table."""
    marked = _reading_table().get(str(ord(char)), "")
    plain = unicodedata.normalize("NFD", marked).replace("u\u0308", "v").replace("ü", "v")
    return frozenset(
        "".join(ch for ch in r if not unicodedata.combining(ch)) for r in plain.split(",") if r
    )


@cache
def _reading_table() -> dict[str, str]:
    """pypinyin's character readings (code point → "zhōng,zhòng"), read from its data file:
    importing pypinyin also loads its phrase dictionary, which takes ten times as long."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:  # pragma: no cover - pypinyin is a dependency
        return {}
    table: dict[str, str] = json.loads(
        (Path(spec.origin).parent / "pinyin_dict.json").read_text(encoding="utf-8")
    )
    return table


def _closed(phrase: str, words: Dictionary) -> bool:
    """Whether a phrase's first and last characters are fixed: it is long, or an idiom the
    dictionary knows as one word (a short phrase such as 新发展阶段 also comes as 的发展阶段)."""
    return len(phrase.replace("、", "")) >= CLOSED_LENGTH or phrase in words


def _word_at(text: str, i: int, words: Dictionary) -> bool:
    """Whether ``text[i:i+2]`` is a two-character dictionary word."""
    pair = text[i : i + 2] if i >= 0 else ""
    return len(pair) == 2 and _all_han(pair) and pair in words


def _all_han(text: str) -> bool:
    return all(is_han(ch) for ch in text)


def _apply(text: str, edit: _Edit) -> str:
    if edit.kind == "replace":
        return text[: edit.at] + edit.char + text[edit.at + 1 :]
    if edit.kind == "missing":
        return text[: edit.at] + edit.char + text[edit.at :]
    return text[: edit.at] + text[edit.at + 1 :]


def _fixed(text: str, c: _Candidate) -> str:
    """The candidate's span with the edit undone."""
    edit = c.edit
    return _apply(text[c.start : c.end], _Edit(edit.kind, edit.at - c.start, edit.char, edit.inner))


def fix_typos(text: str, flags: Sequence[TypoFlag]) -> str:
    """``text`` with every flag's suggestion in place of its span (flags must not overlap)."""
    pieces: list[str] = []
    cursor = 0
    for flag in sorted(flags, key=lambda f: f.start):
        pieces.append(text[cursor : flag.start])
        pieces.append(flag.suggestion)
        cursor = flag.end
    pieces.append(text[cursor:])
    return "".join(pieces)

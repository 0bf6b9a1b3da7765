"""Where written forms (a lexicon's keys) occur in a text: leftmost, longest first, never
overlapping, and a whole-word form only where it stands as a word.

A whole-word form must not continue a run of Latin letters or digits where it begins or ends
with one ("AI" is not in "MAIL"), and must begin and end on word boundaries where it begins or
ends with a Chinese character (单 is not in 简单). Word boundaries come from ``segment``, which
splits a run of Chinese characters into words: the front end's jieba segmenter, which both the
front end and the text stages pass in, so both find the same occurrences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, groupby
from typing import Generic, Protocol, TypeVar

from tts_pipeline.engines.local_zh.frontend.text import is_han

# Splits a run of Chinese characters into words.
Segmenter = Callable[[str], list[str]]


class Keyed(Protocol):
    """Anything with a written form to look for."""

    @property
    def text(self) -> str: ...

    @property
    def whole_word(self) -> bool: ...


K = TypeVar("K", bound=Keyed)


@dataclass(frozen=True)
class Occurrence(Generic[K]):
    start: int
    end: int
    item: K


def find_occurrences(text: str, items: Sequence[K], segment: Segmenter) -> list[Occurrence[K]]:
    """Where ``items``' written forms occur in ``text`` (see the module doc); ``segment`` is
    called only if a whole-word form with a Chinese edge is found."""
    by_first: dict[str, list[K]] = {}
    for item in sorted(items, key=lambda i: -len(i.text)):
        if item.text:
            by_first.setdefault(item.text[0], []).append(item)
    if not by_first:
        return []
    boundaries: set[int] | None = None
    found: list[Occurrence[K]] = []
    i = 0
    while i < len(text):
        for item in by_first.get(text[i], ()):
            end = i + len(item.text)
            if not text.startswith(item.text, i):
                continue
            if item.whole_word:
                if not _latin_clear(text, i, end):
                    continue
                if is_han(text[i]) or is_han(text[end - 1]):
                    if boundaries is None:
                        boundaries = word_boundaries(text, segment)
                    if not _han_clear(text, i, end, boundaries):
                        continue
            found.append(Occurrence(i, end, item))
            i = end
            break
        else:
            i += 1
    return found


def word_boundaries(text: str, segment: Segmenter) -> set[int]:
    """Offsets in ``text`` where a word begins or ends, by segmenting each run of Chinese
    characters (other characters are boundaries anyway)."""
    cuts: set[int] = set()
    offset = 0
    for han, run in groupby(text, key=is_han):
        chars = "".join(run)
        if han:
            cuts.add(offset)
            cuts.update(offset + end for end in accumulate(map(len, segment(chars))))
        offset += len(chars)
    return cuts


def is_latin(char: str) -> bool:
    """A Latin letter or a digit (the edges that make a form whole-word by default)."""
    return char.isascii() and char.isalnum()


def _latin_clear(text: str, start: int, end: int) -> bool:
    """A Latin/digit edge must not continue a longer run of letters or digits."""
    if is_latin(text[start]) and start > 0 and is_latin(text[start - 1]):
        return False
    return not (is_latin(text[end - 1]) and end < len(text) and is_latin(text[end]))


def _han_clear(text: str, start: int, end: int, boundaries: set[int]) -> bool:
    if is_han(text[start]) and start not in boundaries:
        return False
    return not (is_han(text[end - 1]) and end not in boundaries)

"""``--chapters SPEC``: which chapters of a plan are rendered.

A SPEC names chapters by their number as ``tts-pipeline plan`` shows them (1 is the first,
which holds the title): ``3``, ``2-4``, ``1,3,7``, ``5-`` (5 to the last). The plan keeps the
document's chapters, numbering and utterance ids; the chapters not chosen keep no utterance, so
nothing of them is synthesized and the programme's chapter list shows only the chosen ones.

Pure: parsing and selecting touch nothing but their arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from tts_pipeline.errors import SettingsError
from tts_pipeline.text.segment import Plan

_PART = re.compile(r"^(\d+)(?:\s*-\s*(\d*))?$")
MAX_CHAPTER_NUMBER = 9999


@dataclass(frozen=True)
class ChapterSelection:
    """The chapter numbers a SPEC names: ranges (first, last), last None for "to the end"."""

    spec: str
    ranges: tuple[tuple[int, int | None], ...]

    def numbers(self, count: int) -> tuple[int, ...]:
        """The chosen numbers among chapters 1..``count``, in order."""
        return tuple(
            n
            for n in range(1, count + 1)
            if any(a <= n <= (b if b is not None else count) for a, b in self.ranges)
        )

    def missing(self, count: int) -> tuple[int, ...]:
        """Numbers the SPEC names that are no chapter of a document of ``count`` chapters."""
        named = [n for a, b in self.ranges for n in range(a, (b if b is not None else a) + 1)]
        return tuple(sorted({n for n in named if n > count}))


def parse_chapter_spec(spec: str) -> ChapterSelection:
    """``3``, ``2-4``, ``1,3,7``, ``5-`` → a ChapterSelection, or one SettingsError line."""
    example = "use chapter numbers as `tts-pipeline plan` shows them, e.g. 3, 2-4 or 1,3,7"
    ranges: list[tuple[int, int | None]] = []
    for part in spec.split(","):
        match = _PART.match(part.strip())
        if match is None:
            raise SettingsError(f"--chapters {spec!r} is malformed: {example}")
        first = int(match.group(1))
        last = None if match.group(2) == "" else int(match.group(2) or first)
        if first < 1 or (last is not None and last < first) or first > MAX_CHAPTER_NUMBER:
            raise SettingsError(
                f"--chapters {spec!r}: {part.strip()!r} is no range of chapters; {example}"
            )
        ranges.append((first, None if last is None else min(last, MAX_CHAPTER_NUMBER)))
    return ChapterSelection(spec.strip(), tuple(ranges))


def select_chapters(plan: Plan, selection: ChapterSelection) -> Plan:
    """``plan`` with only the chosen chapters' utterances (and their placeholders, unspeakable
    text, lexicon hits and typos); the last chosen utterance ends the programme (no pause after
    it). A SPEC that matches no chapter is one SettingsError line."""
    count = len(plan.chapters)
    chosen = selection.numbers(count)
    if not chosen:
        raise SettingsError(
            f"--chapters {selection.spec} matches no chapter: the document has {count} "
            f"chapter{'s' if count != 1 else ''} (1-{count}; `tts-pipeline plan` lists them)"
        )
    chapters = tuple(
        c if number in chosen else replace(c, utterances=())
        for number, c in enumerate(plan.chapters, 1)
    )
    last = chapters[chosen[-1] - 1]
    if last.utterances and last.utterances[-1].pause_after:
        ending = replace(last.utterances[-1], pause_after=0.0)
        chapters = tuple(
            replace(c, utterances=(*c.utterances[:-1], ending)) if c is last else c
            for c in chapters
        )
    kept = {u.id for c in chapters for u in c.utterances}
    return replace(
        plan,
        chapters=chapters,
        placeholders=tuple(p for p in plan.placeholders if p.utterance in kept),
        unspeakable=tuple(x for x in plan.unspeakable if x.utterance in kept),
        lexicon=tuple(h for h in plan.lexicon if h.utterance in kept),
        typos=tuple(t for t in plan.typos if t.utterance in kept),
        selected=chosen,
    )


def selection_warnings(plan: Plan, selection: ChapterSelection | None) -> tuple[str, ...]:
    """A warning when the SPEC names chapters the document does not have (others matched)."""
    if selection is None:
        return ()
    missing = selection.missing(len(plan.chapters))
    if not missing:
        return ()
    names = ", ".join(map(str, missing[:5])) + (" …" if len(missing) > 5 else "")
    return (
        f"--chapters {selection.spec}: the document has {len(plan.chapters)} chapters; "
        f"no chapter {names}",
    )

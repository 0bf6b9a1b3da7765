"""Document → Plan: paragraphs become utterances with spoken text and the pause after each.

Pure: the same document and settings always give the same plan.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from tts_pipeline.document import Document
from tts_pipeline.normalize import PlaceholderHit, normalize_all
from tts_pipeline.text.chrome import RemovedLine
from tts_pipeline.voices import Pauses

# Utterances longer than this (characters) are split at sentence ends. Well under edge-tts's
# request limit (~4,000 bytes ≈ 1,300 CJK characters) and short enough for steady prosody.
MAX_UTTERANCE_CHARS = 300

SENTENCE_SPLIT = re.compile(r"(?<=[。！？；!?;…])(?![”’」』》）)\]\"'。！？；!?;…])|(?<=[.](?=\s))")
CLAUSE_SPLIT = re.compile(r"(?<=[，、,：:])")


@dataclass(frozen=True)
class Utterance:
    """One synthesis unit: a paragraph or a sentence-bounded piece of one."""

    id: str
    text: str  # as written (after cleaning)
    spoken: str  # what the narrator says
    pause_after: float  # seconds of silence after it
    chapter: int
    paragraph: int  # index within the chapter; -1 for the document title
    kind: str = "body"  # "title" | "heading" | "body"


@dataclass(frozen=True)
class PlanChapter:
    title: str
    kind: str
    utterances: tuple[Utterance, ...]


@dataclass(frozen=True)
class PlannedPlaceholder:
    text: str
    spoken: str
    utterance: str
    kind: str
    filled: bool


@dataclass(frozen=True)
class Plan:
    title: str
    language: str
    chapters: tuple[PlanChapter, ...]
    removed: tuple[RemovedLine, ...] = field(default=())  # not read aloud, with the rule
    placeholders: tuple[PlannedPlaceholder, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())  # what the reader skipped (tables, text boxes)

    @property
    def utterances(self) -> list[Utterance]:
        return [u for c in self.chapters for u in c.utterances]

    def to_json(self) -> dict[str, Any]:
        """The `plan --json` shape (stable; documented in the README)."""
        return {
            "title": self.title,
            "chapters": [
                {
                    "title": c.title,
                    "utterances": [
                        {
                            "id": u.id,
                            "text": u.text,
                            "spoken": u.spoken,
                            "pause_after": u.pause_after,
                        }
                        for u in c.utterances
                    ],
                }
                for c in self.chapters
            ],
            "removed": self.removed_json(),
            "placeholders": [
                {"text": p.text, "spoken": p.spoken, "utterance": p.utterance}
                for p in self.placeholders
            ],
        }

    def removed_json(self) -> list[dict[str, str]]:
        return [{"text": line.text, "rule": line.rule} for line in self.removed]

    def placeholder_details(self) -> list[dict[str, Any]]:
        return [asdict(p) for p in self.placeholders]


def split_long(text: str, limit: int = MAX_UTTERANCE_CHARS) -> list[str]:
    """Split text longer than ``limit`` at sentence ends; a longer sentence at clause marks;
    a longer clause at the limit. Pieces are packed greedily up to the limit."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for sentence in _split_keep(text, SENTENCE_SPLIT):
        if len(sentence) <= limit:
            pieces.append(sentence)
            continue
        for clause in _split_keep(sentence, CLAUSE_SPLIT):
            pieces.extend(clause[i : i + limit] for i in range(0, len(clause), limit))
    return _pack(pieces, limit)


def _split_keep(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [p for p in (s.strip() for s in pattern.split(text)) if p]


def _pack(pieces: list[str], limit: int) -> list[str]:
    packed: list[str] = []
    for piece in pieces:
        joiner = " " if packed and _needs_space(packed[-1], piece) else ""
        if packed and len(packed[-1]) + len(joiner) + len(piece) <= limit:
            packed[-1] = packed[-1] + joiner + piece
        else:
            packed.append(piece)
    return packed


def _needs_space(left: str, right: str) -> bool:
    return left[-1:].isascii() and right[:1].isascii()


@dataclass(frozen=True)
class _Draft:
    id: str
    text: str
    chapter: int
    paragraph: int
    kind: str
    ends: str  # "title" | "sentence" | "paragraph" | "chapter" | "end"


def _drafts(document: Document, limit: int) -> list[_Draft]:
    drafts = [_Draft("c01-title", document.title, 0, -1, "title", "title")]
    for ci, chapter in enumerate(document.chapters):
        items: list[tuple[int, str, str]] = []  # (paragraph, kind, text)
        if chapter.heading:
            items.append((0, "heading", chapter.title))
        offset = 1 if chapter.heading else 0
        items.extend((pi + offset, "body", p) for pi, p in enumerate(chapter.paragraphs))
        for n, (pi, kind, paragraph) in enumerate(items):
            pieces = split_long(paragraph, limit)
            for si, piece in enumerate(pieces):
                last_piece = si == len(pieces) - 1
                last_item = n == len(items) - 1
                ends = "sentence"
                if last_piece:
                    ends = "title" if kind == "heading" else "paragraph"
                    if last_item:
                        ends = "chapter"
                uid = f"c{ci + 1:02d}-p{pi + 1:03d}" + (f"-s{si + 1}" if len(pieces) > 1 else "")
                drafts.append(_Draft(uid, piece, ci, pi, kind, ends))
    if drafts[-1].ends == "chapter":
        drafts[-1] = _Draft(**{**asdict(drafts[-1]), "ends": "end"})
    return drafts


def build_plan(
    document: Document,
    pauses: Pauses | None = None,
    fills: Any | None = None,
    limit: int = MAX_UTTERANCE_CHARS,
) -> Plan:
    pauses = pauses or Pauses()
    drafts = _drafts(document, limit)
    normalized = normalize_all([d.text for d in drafts], language=document.language, fills=fills)
    gap = {
        "title": pauses.title,
        "sentence": pauses.sentence,
        "paragraph": pauses.paragraph,
        "chapter": pauses.chapter,
        "end": 0.0,
    }
    utterances = [
        Utterance(
            id=d.id,
            text=d.text,
            spoken=n.spoken,
            pause_after=gap[d.ends],
            chapter=d.chapter,
            paragraph=d.paragraph,
            kind=d.kind,
        )
        for d, n in zip(drafts, normalized, strict=True)
    ]
    placeholders = tuple(
        _planned(hit, d.id)
        for d, n in zip(drafts, normalized, strict=True)
        for hit in n.placeholders
    )
    chapters = tuple(
        PlanChapter(
            title=chapter.title,
            kind=chapter.kind,
            utterances=tuple(u for u in utterances if u.chapter == ci),
        )
        for ci, chapter in enumerate(document.chapters)
    )
    return Plan(
        title=document.title,
        language=document.language,
        chapters=chapters,
        removed=document.removed,
        placeholders=placeholders,
        notes=document.notes,
    )


def _planned(hit: PlaceholderHit, utterance_id: str) -> PlannedPlaceholder:
    return PlannedPlaceholder(hit.text, hit.spoken, utterance_id, hit.kind, hit.filled)

"""Document → Plan: paragraphs become utterances with spoken text and the pause after each.

Pure: the same document and settings always give the same plan.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from tts_pipeline.document import Document
from tts_pipeline.normalize import PlaceholderHit, normalize_all
from tts_pipeline.text.lexicon import Pronunciation
from tts_pipeline.text.respell import Respelling, pronounce, respell, unsupported_warnings
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
    # The lexicon's readings that occur in ``spoken`` (engines that take pinyin use them).
    pronunciations: tuple[Pronunciation, ...] = ()


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
class PlannedLexiconHit:
    text: str
    spoken: str
    utterance: str
    kind: str  # text.respell: replaced | homophone | pinyin | unsupported


@dataclass(frozen=True)
class PlannedTypo:
    text: str
    suggestion: str
    utterance: str
    fixed: bool  # --fix-typos: the suggestion is spoken


@dataclass(frozen=True)
class Plan:
    title: str
    language: str
    chapters: tuple[PlanChapter, ...]
    removed: tuple[str, ...] = field(default=())
    placeholders: tuple[PlannedPlaceholder, ...] = field(default=())
    lexicon: tuple[PlannedLexiconHit, ...] = field(default=())
    typos: tuple[PlannedTypo, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())  # e.g. pinyin the engine cannot take

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
            "removed": list(self.removed),
            "placeholders": [
                {"text": p.text, "spoken": p.spoken, "utterance": p.utterance}
                for p in self.placeholders
            ],
            "lexicon": [
                {"text": h.text, "spoken": h.spoken, "utterance": h.utterance} for h in self.lexicon
            ],
            "typos": [
                {"text": t.text, "suggestion": t.suggestion, "utterance": t.utterance}
                for t in self.typos
            ],
        }

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
    respelling: Respelling | None = None,
) -> Plan:
    pauses = pauses or Pauses()
    respelling = respelling or Respelling()
    drafts = _drafts(document, limit)
    respelled = [respell(d.text, respelling, document.language) for d in drafts]
    normalized = normalize_all([r.text for r in respelled], language=document.language, fills=fills)
    pronounced = [pronounce(n.spoken, respelling) for n in normalized]
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
            pronunciations=p[0],
        )
        for d, n, p in zip(drafts, normalized, pronounced, strict=True)
    ]
    hits = [
        (d.id, hit)
        for d, r, p in zip(drafts, respelled, pronounced, strict=True)
        for hit in (*r.hits, *p[1])
    ]
    typos = tuple(
        PlannedTypo(t.text, t.suggestion, d.id, respelling.fix_typos)
        for d, r in zip(drafts, respelled, strict=True)
        for t in r.typos
    )
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
        lexicon=tuple(PlannedLexiconHit(h.text, h.spoken, uid, h.kind) for uid, h in hits),
        typos=typos,
        warnings=unsupported_warnings(respelling.engine, hits),
    )


def _planned(hit: PlaceholderHit, utterance_id: str) -> PlannedPlaceholder:
    return PlannedPlaceholder(hit.text, hit.spoken, utterance_id, hit.kind, hit.filled)

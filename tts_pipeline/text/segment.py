"""Document → Plan: paragraphs become utterances with spoken text and the pause after each.

Pure: the same document and settings always give the same plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tts_pipeline.engines.base import Speakability
from tts_pipeline.text.chrome import RemovedLine
from tts_pipeline.text.document import Document
from tts_pipeline.text.normalize import DocumentNormalizer, PlaceholderHit
from tts_pipeline.text.normalize.fills import FillMap, fold_text
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
class UnspeakableText:
    """Text of an utterance that the voice cannot say (it is left out), as it stands in the
    spoken text; ``silent``: the utterance has nothing the voice can say (it is silence)."""

    text: str
    utterance: str
    silent: bool


@dataclass(frozen=True)
class Plan:
    title: str
    language: str
    chapters: tuple[PlanChapter, ...]
    removed: tuple[RemovedLine, ...] = field(default=())  # not read aloud, each with its rule
    placeholders: tuple[PlannedPlaceholder, ...] = field(default=())
    unspeakable: tuple[UnspeakableText, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())  # what the reader skipped, where the title is from

    @property
    def utterances(self) -> list[Utterance]:
        return [u for c in self.chapters for u in c.utterances]

    @property
    def says_nothing(self) -> bool:
        """True when the voice can say nothing of any utterance."""
        silent = {x.utterance for x in self.unspeakable if x.silent}
        return all(u.id in silent for u in self.utterances)

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
            "removed": [{"text": line.text, "rule": line.rule} for line in self.removed],
            "placeholders": [
                {"text": p.text, "spoken": p.spoken, "utterance": p.utterance}
                for p in self.placeholders
            ],
            "unspeakable": [
                {"text": x.text, "utterance": x.utterance, "silent": x.silent}
                for x in self.unspeakable
            ],
        }


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
class _Piece:
    """Written text and what is said for it."""

    text: str
    spoken: str
    placeholders: tuple[PlaceholderHit, ...] = ()


@dataclass(frozen=True)
class _Draft:
    id: str
    piece: _Piece
    chapter: int
    paragraph: int
    kind: str
    ends: str  # "title" | "sentence" | "paragraph" | "chapter" | "end"


def _drafts(document: Document, limit: int, normalizer: DocumentNormalizer) -> list[_Draft]:
    items = (
        [("c01-title", 0, -1, "title", document.title, "title")] if document.title_spoken else []
    )
    for ci, chapter in enumerate(document.chapters):
        entries: list[tuple[int, str, str]] = []  # (paragraph, kind, text)
        if chapter.heading:
            entries.append((0, "heading", chapter.title))
        offset = 1 if chapter.heading else 0
        entries.extend((pi + offset, "body", p) for pi, p in enumerate(chapter.paragraphs))
        for n, (pi, kind, text) in enumerate(entries):
            ends = "title" if kind == "heading" else "paragraph"
            if n == len(entries) - 1:
                ends = "chapter"
            items.append((f"c{ci + 1:02d}-p{pi + 1:03d}", ci, pi, kind, text, ends))
    drafts: list[_Draft] = []
    for base, ci, pi, kind, text, ends in items:
        pieces = [p for w in split_long(text, limit) for p in _spoken_pieces(w, normalizer, limit)]
        for si, piece in enumerate(pieces):
            uid = base + (f"-s{si + 1}" if len(pieces) > 1 else "")
            last = si == len(pieces) - 1
            drafts.append(_Draft(uid, piece, ci, pi, kind, ends if last else "sentence"))
    if drafts[-1].ends == "chapter":
        drafts[-1] = replace(drafts[-1], ends="end")
    return drafts


# ---------------------------------------------------------------------------------------------
# Spoken text within the limit. Paragraphs are split by their written length before they are
# normalized; a fill-in or a spelled-out number can still make the spoken text longer. Such a
# piece is normalized again in smaller pieces where it stands (same fill-ins): its sentences,
# else its clauses, else its halves, cut where no number, word or fill-in key is cut; and the
# pieces are packed again up to the limit. Pieces that fit are never touched, so a document
# whose spoken text fits is planned exactly as before.

# Characters a cut must not separate (numbers, Latin words, links, placeholders), on text folded
# to ASCII digits and letters.
_TOKEN_CHAR = re.compile(r"[0-9A-Za-z.,:;%/+\-~×@_#&=*]")


def _spoken_pieces(text: str, normalizer: DocumentNormalizer, limit: int) -> list[_Piece]:
    pieces = _fit(text, normalizer, limit)
    return pieces if len(pieces) == 1 else _pack_pieces(pieces, limit)


def _fit(text: str, normalizer: DocumentNormalizer, limit: int) -> list[_Piece]:
    mark = normalizer.checkpoint()
    normalized = normalizer(text)
    if len(normalized.spoken) <= limit:
        return [_Piece(text, normalized.spoken, normalized.placeholders)]
    parts = _finer(text, normalizer.fills)
    if parts is None:
        return _forced(text, normalized.spoken, normalized.placeholders, limit)
    normalizer.rewind(mark)
    return [piece for part in parts for piece in _fit(part, normalizer, limit)]


def _finer(text: str, fills: FillMap | None) -> list[str] | None:
    """``text`` in smaller pieces: its sentences, else its clauses, else two halves; None when
    it cannot be cut."""
    for pattern in (SENTENCE_SPLIT, CLAUSE_SPLIT):
        parts = _split_keep(text, pattern)
        if len(parts) > 1:
            return parts
    folded = fold_text(text)
    inside = {
        i for start, end in (fills.spans(text) if fills else []) for i in range(start + 1, end)
    }
    cuts = [
        i
        for i in range(1, len(text))
        if i not in inside
        and not _TOKEN_CHAR.match(folded[i - 1])
        and not _TOKEN_CHAR.match(folded[i])
    ]
    if not cuts:
        return None
    cut = min(cuts, key=lambda i: abs(2 * i - len(text)))
    parts = [p for p in (text[:cut].strip(), text[cut:].strip()) if p]
    return parts if parts != [text] else None


def _forced(
    text: str, spoken: str, placeholders: tuple[PlaceholderHit, ...], limit: int
) -> list[_Piece]:
    """A text that cannot be cut (one fill-in key, one long run of digits and signs) whose
    spoken text is too long: the spoken text is cut, the written text at the same proportions
    (or, too short for that, each piece shows what it says)."""
    said = split_long(spoken, limit)
    pieces: list[_Piece] = []
    done = 0
    for i, part in enumerate(said):
        start = round(len(text) * done / len(spoken))
        done += len(part)
        end = len(text) if i == len(said) - 1 else round(len(text) * done / len(spoken))
        written = text[start:end].strip() or part
        pieces.append(_Piece(written, part, placeholders if i == 0 else ()))
    return pieces


def _pack_pieces(pieces: list[_Piece], limit: int) -> list[_Piece]:
    """Consecutive pieces joined while both the written and the spoken text fit ``limit``."""
    packed: list[_Piece] = []
    for piece in pieces:
        if packed:
            last = packed[-1]
            text_joiner = " " if _needs_space(last.text, piece.text) else ""
            said_joiner = " " if _needs_space(last.spoken, piece.spoken) else ""
            text = last.text + text_joiner + piece.text
            spoken = last.spoken + said_joiner + piece.spoken
            if len(text) <= limit and len(spoken) <= limit:
                shift = len(last.text) + len(text_joiner)
                moved = tuple(
                    replace(hit, start=hit.start + shift, end=hit.end + shift)
                    for hit in piece.placeholders
                )
                packed[-1] = _Piece(text, spoken, last.placeholders + moved)
                continue
        packed.append(piece)
    return packed


def build_plan(
    document: Document,
    pauses: Pauses | None = None,
    fills: Any | None = None,
    limit: int = MAX_UTTERANCE_CHARS,
    speakability: Callable[[str], Speakability] | None = None,
) -> Plan:
    """The plan of ``document``; ``speakability`` (an engine's, for the voice) says what of
    each utterance's spoken text the voice cannot say."""
    pauses = pauses or Pauses()
    drafts = _drafts(document, limit, DocumentNormalizer(document.language, fills))
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
            text=d.piece.text,
            spoken=d.piece.spoken,
            pause_after=gap[d.ends],
            chapter=d.chapter,
            paragraph=d.paragraph,
            kind=d.kind,
        )
        for d in drafts
    ]
    placeholders = tuple(_planned(hit, d.id) for d in drafts for hit in d.piece.placeholders)
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
        unspeakable=_unspeakable(utterances, speakability) if speakability else (),
        notes=document.notes,
    )


def _unspeakable(
    utterances: list[Utterance], speakability: Callable[[str], Speakability]
) -> tuple[UnspeakableText, ...]:
    found: list[UnspeakableText] = []
    for u in utterances:
        verdict = speakability(u.spoken)
        found.extend(UnspeakableText(text, u.id, verdict.silent) for text in verdict.unspeakable)
        if verdict.silent and not verdict.unspeakable:  # nothing at all to say (no text)
            found.append(UnspeakableText("", u.id, True))
    return tuple(found)


def _planned(hit: PlaceholderHit, utterance_id: str) -> PlannedPlaceholder:
    return PlannedPlaceholder(hit.text, hit.spoken, utterance_id, hit.kind, hit.filled)

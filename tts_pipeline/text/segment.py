"""Document → Plan: paragraphs become utterances with spoken text and the pause after each.

Each piece of written text is respelled (``respell``: typos, the user's lexicon), then
normalized, within the limit (``pieces``); the pinyin of the lexicon that occurs in the spoken
text goes with the utterance. Pure: the same document and settings always give the same plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tts_pipeline.engines.base import Pronunciation, Speakability
from tts_pipeline.text.chrome import RemovedLine
from tts_pipeline.text.document import Document
from tts_pipeline.text.normalize import DocumentNormalizer, PlaceholderHit
from tts_pipeline.text.pieces import (
    MAX_UTTERANCE_CHARS,
    Piece,
    Respeller,
    split_long,
    spoken_pieces,
)
from tts_pipeline.text.respell import (
    PlannedLexiconHit,
    PlannedTypo,
    Respelling,
    pronounce,
    respell,
)
from tts_pipeline.voices import Pauses


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
    lexicon: tuple[PlannedLexiconHit, ...] = field(default=())  # every lexicon entry used
    typos: tuple[PlannedTypo, ...] = field(default=())  # every likely typo
    notes: tuple[str, ...] = field(default=())  # what the reader skipped, where the title is from
    # The chapter numbers (1-based) chosen with --chapters; None: every chapter. The chapters
    # not chosen are kept (numbering and ids stay the document's) without utterances.
    selected: tuple[int, ...] | None = None

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
        data: dict[str, Any] = {
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
            "lexicon": [h.to_json() for h in self.lexicon],
            "typos": [t.to_json() for t in self.typos],
        }
        if self.selected is not None:
            data["selected_chapters"] = list(self.selected)
        return data


@dataclass(frozen=True)
class _Draft:
    id: str
    piece: Piece
    chapter: int
    paragraph: int
    kind: str
    ends: str  # "title" | "sentence" | "paragraph" | "chapter" | "end"


def _drafts(
    document: Document, limit: int, normalizer: DocumentNormalizer, respeller: Respeller
) -> list[_Draft]:
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
        pieces = [
            p
            for w in split_long(text, limit)
            for p in spoken_pieces(w, normalizer, respeller, limit)
        ]
        for si, piece in enumerate(pieces):
            uid = base + (f"-s{si + 1}" if len(pieces) > 1 else "")
            last = si == len(pieces) - 1
            drafts.append(_Draft(uid, piece, ci, pi, kind, ends if last else "sentence"))
    if drafts[-1].ends == "chapter":
        drafts[-1] = replace(drafts[-1], ends="end")
    return drafts


def build_plan(
    document: Document,
    pauses: Pauses | None = None,
    fills: Any | None = None,
    limit: int = MAX_UTTERANCE_CHARS,
    speakability: Callable[[str], Speakability] | None = None,
    respelling: Respelling | None = None,
) -> Plan:
    """The plan of ``document``; ``speakability`` (an engine's, for the voice) says what of
    each utterance's spoken text the voice cannot say; ``respelling`` (the lexicon, the engine,
    whether to fix typos) what is said instead of what is written."""
    pauses = pauses or Pauses()
    respelling = respelling or Respelling()
    drafts = _drafts(
        document,
        limit,
        DocumentNormalizer(document.language, fills),
        lambda text: respell(text, respelling, document.language),
    )
    pronounced = [pronounce(d.piece.spoken, respelling) for d in drafts]
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
            pronunciations=readings,
        )
        for d, (readings, _) in zip(drafts, pronounced, strict=True)
    ]
    placeholders = tuple(_planned(hit, d.id) for d in drafts for hit in d.piece.placeholders)
    lexicon = tuple(
        PlannedLexiconHit(hit.text, hit.spoken, d.id, hit.kind)
        for d, (_, read) in zip(drafts, pronounced, strict=True)
        for hit in (*d.piece.hits, *read)
    )
    fixed = respelling.fix_typos
    typos = tuple(
        PlannedTypo(t.text, t.suggestion, d.id, fixed) for d in drafts for t in d.piece.typos
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
        unspeakable=_unspeakable(utterances, speakability) if speakability else (),
        lexicon=lexicon,
        typos=typos,
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

"""Respelling: what the narrator changes in the written text before it is normalized and said.

Pure functions of an utterance's text and a ``Respelling`` (the lexicon, the engine, whether to
fix typos):

* ``respell`` (written text, before normalization): proofreads it (Chinese only), applies the
  typo suggestions when asked, then the lexicon's replacements, and, for an engine that takes no
  phonemes, the ``spoken`` homophones of pinyin entries;
* ``pronounce`` (spoken text, after normalization): the pinyin entries that occur in it, as the
  pronunciations the offline voice's front end reads (and that the take key includes), or, for
  an engine that cannot take them, hits that ``plan`` warns about.

The plan keeps what was found per utterance (``PlannedLexiconHit``, ``PlannedTypo``); render
warns about both (``lexicon_warnings``, ``typo_warnings``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tts_pipeline.engines.base import Pronunciation
from tts_pipeline.engines.local_zh.frontend.g2p import segment
from tts_pipeline.engines.local_zh.frontend.occurrences import find_occurrences
from tts_pipeline.engines.registry import PINYIN_ENGINES
from tts_pipeline.text.lexicon import Lexicon, LexiconEntry
from tts_pipeline.text.proofread import TypoFlag, find_typos, fix_typos
from tts_pipeline.text.word_list import Dictionary

# How a lexicon entry was used: its written form replaced (a replacement, or a pinyin entry's
# homophone for an engine without phonemes), read with its pinyin, or left as written because
# the engine cannot take pinyin and the entry gives no homophone.
REPLACED, HOMOPHONE, PINYIN, UNSUPPORTED = "replaced", "homophone", "pinyin", "unsupported"


@dataclass(frozen=True)
class Respelling:
    """How a plan's text is respelled (see the module doc)."""

    lexicon: Lexicon = field(default_factory=Lexicon)
    engine: str = "local-zh"
    pinyin: bool = True  # the engine's front end takes the lexicon's pinyin
    fix_typos: bool = False
    # The segmenter's word list that proofreading asks (None: word_list.default_words()).
    words: Dictionary | None = None

    @classmethod
    def for_engine(
        cls,
        engine: str,
        lexicon: Lexicon | None = None,
        fix_typos: bool = False,
        words: Dictionary | None = None,
    ) -> Respelling:
        """How a plan for a voice of ``engine`` is respelled."""
        return cls(lexicon or Lexicon(), engine, engine in PINYIN_ENGINES, fix_typos, words)


@dataclass(frozen=True)
class LexiconHit:
    """A lexicon entry found in an utterance: ``text`` as written, ``spoken`` what is said
    instead (the replacement, the homophone, the pinyin, or the text itself when unsupported)."""

    text: str
    spoken: str
    kind: str


@dataclass(frozen=True)
class Respelled:
    text: str  # what normalization gets
    typos: tuple[TypoFlag, ...] = ()
    hits: tuple[LexiconHit, ...] = ()


@dataclass(frozen=True)
class PlannedLexiconHit:
    """A lexicon entry used in utterance ``utterance`` (``kind``: how, see LexiconHit)."""

    text: str
    spoken: str
    utterance: str
    kind: str

    def to_json(self) -> dict[str, str]:
        """As `plan --json` and the manifest list it."""
        return {"text": self.text, "spoken": self.spoken, "utterance": self.utterance}


@dataclass(frozen=True)
class PlannedTypo:
    """A likely typo in utterance ``utterance`` and its suggestion; ``fixed``: the suggestion
    is spoken (``--fix-typos``)."""

    text: str
    suggestion: str
    utterance: str
    fixed: bool

    def to_json(self) -> dict[str, str]:
        """As `plan --json` and the manifest list it."""
        return {"text": self.text, "suggestion": self.suggestion, "utterance": self.utterance}


def respell(text: str, respelling: Respelling, language: str = "zh-CN") -> Respelled:
    """Proofread ``text``, fix its typos if asked, and apply the replacements."""
    chinese = language.lower().startswith("zh")
    typos = tuple(find_typos(text, dictionary=respelling.words)) if chinese else ()
    if respelling.fix_typos and typos:
        text = fix_typos(text, typos)
    entries = [e for e in _applying(respelling) if _replaces(e, respelling.pinyin)]
    pieces: list[str] = []
    hits: list[LexiconHit] = []
    cursor = 0
    for found in find_occurrences(text, entries, segment):
        entry = found.item
        spoken = entry.spoken or ""
        pieces += [text[cursor : found.start], spoken]
        hits.append(LexiconHit(entry.text, spoken, HOMOPHONE if entry.pinyin else REPLACED))
        cursor = found.end
    pieces.append(text[cursor:])
    return Respelled("".join(pieces), typos, tuple(hits))


def pronounce(
    spoken: str, respelling: Respelling
) -> tuple[tuple[Pronunciation, ...], tuple[LexiconHit, ...]]:
    """The pinyin entries in ``spoken``: (pronunciations for the engine, hits in order)."""
    entries = [
        e
        for e in _applying(respelling)
        if e.pinyin is not None and (respelling.pinyin or e.spoken is None)
    ]
    found = find_occurrences(spoken, entries, segment)
    if not respelling.pinyin:
        return (), tuple(LexiconHit(f.item.text, f.item.text, UNSUPPORTED) for f in found)
    hits = tuple(LexiconHit(f.item.text, " ".join(f.item.pinyin or ()), PINYIN) for f in found)
    used = {f.item.text: f.item.pronunciation for f in found}
    return tuple(p for _, p in sorted(used.items()) if p is not None), hits


def lexicon_warnings(engine: str, hits: Iterable[PlannedLexiconHit]) -> tuple[str, ...]:
    """One warning per pinyin entry ``engine`` cannot honour, naming the utterances."""
    where: dict[str, list[str]] = {}
    for hit in hits:
        if hit.kind == UNSUPPORTED:
            where.setdefault(hit.text, []).append(hit.utterance)
    return tuple(
        f"the {engine} engine cannot take pinyin: {text!r} ({', '.join(dict.fromkeys(ids))}) "
        f"is read as written; give the lexicon entry a spoken homophone, e.g. "
        f'"{text}" = {{ pinyin = "…", spoken = "…" }}'
        for text, ids in where.items()
    )


def typo_warnings(typos: Iterable[PlannedTypo]) -> tuple[str, ...]:
    """Every typo flag: where, and what the narrator says."""
    return tuple(
        f"{t.utterance}: {t.text!r} spoken as {t.suggestion!r} (--fix-typos)"
        if t.fixed
        else f"{t.utterance}: {t.text!r} looks like a typo of {t.suggestion!r}; "
        "--fix-typos says the suggestion"
        for t in typos
    )


def _applying(respelling: Respelling) -> Sequence[LexiconEntry]:
    return [e for e in respelling.lexicon.entries if e.applies_to(respelling.engine)]


def _replaces(entry: LexiconEntry, pinyin: bool) -> bool:
    """A replacement, or a pinyin entry's homophone where the engine takes no pinyin."""
    return entry.pinyin is None or (not pinyin and entry.spoken is not None)

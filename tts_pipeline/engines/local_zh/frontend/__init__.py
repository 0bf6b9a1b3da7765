"""Mandarin text front end for the offline Baker voice: text → pinyin → Baker phoneme symbols.

Pipeline: tokenize (Han runs, Latin letters, pauses; everything else dropped) → jieba words →
readings (override table, pypinyin phrases, single characters) → tone sandhi → prosodic breaks →
Baker symbols (``sil … sil eos``). All functions are pure and never raise on odd input.

Public API:

* ``text_to_phonemes(text, pronunciations=()) -> list[str]`` Baker symbols for one chunk of
  text (the lexicon's pronunciations read as given).
* ``pinyin_of(text, sandhi=True) -> list[str]`` toned pinyin of every spoken syllable.
* ``syllables_of(text, sandhi=True) -> list[Syllable]`` the same with the characters read.
* ``split_chunks(text, max_units) -> list[Chunk]`` cut long text for the acoustic model.
* ``frontend_version() -> str`` changes whenever the front end could read text differently.
* ``reading(char) -> Reading`` whether a character is said, dropped though it means something,
  or a pause (``engines.speakable``).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from functools import cache
from importlib import metadata

from tts_pipeline.engines.base import Pronunciation
from tts_pipeline.engines.local_zh.frontend.chunks import MAX_CHUNK_UNITS, Chunk, split_chunks
from tts_pipeline.engines.local_zh.frontend.g2p import Syllable, Word, data_path, has_reading
from tts_pipeline.engines.local_zh.frontend.prosody import Phrase, analyze, phrases_to_symbols
from tts_pipeline.engines.local_zh.frontend.text import Pause, is_han
from tts_pipeline.engines.speakable import Reading, combined

__all__ = [
    "MAX_CHUNK_UNITS",
    "Chunk",
    "Pause",
    "Phrase",
    "Syllable",
    "Word",
    "analyze",
    "frontend_version",
    "pinyin_of",
    "reading",
    "split_chunks",
    "syllables_of",
    "text_to_phonemes",
]

# Bump when the code changes how text is read; data-file and library changes are hashed in.
FRONTEND_CODE_VERSION = "3"


def text_to_phonemes(text: str, pronunciations: Sequence[Pronunciation] = ()) -> list[str]:
    """Baker symbols for ``text`` (one sentence or clause is best): ``sil … sil eos``.
    ``pronunciations`` (the user's lexicon) read their words as given, before anything else.

    Returns an empty list when nothing in ``text`` is spoken (punctuation, emoji, empty).
    """
    return phrases_to_symbols(analyze(text, pronunciations=pronunciations))


@cache
def reading(char: str) -> Reading:
    """How the front end takes one character (after NFKC folding, as ``tokenize`` does): said
    (a Han character it has a reading for, a Latin letter it spells, a digit), unsaid (emoji,
    symbols, letters of other scripts, a Han character without a reading: dropped), or quiet
    (punctuation and spaces: pauses at most)."""
    return combined(char, _reading_of_folded)


def _reading_of_folded(char: str) -> Reading:
    if is_han(char):
        return Reading.SAID if has_reading(char) else Reading.UNSAID
    if char.isascii() and char.isalnum():
        return Reading.SAID
    if unicodedata.category(char)[0] in "LNS":
        return Reading.UNSAID
    return Reading.QUIET


def syllables_of(text: str, *, sandhi: bool = True) -> list[Syllable]:
    return [s for phrase in analyze(text, sandhi=sandhi) for w in phrase.words for s in w.syllables]


def pinyin_of(text: str, *, sandhi: bool = True) -> list[str]:
    """Toned pinyin (tone 5 = neutral) of each spoken syllable: one per Han character, one or
    more per Latin letter. ``sandhi=False`` gives dictionary (lexical) tones."""
    return [s.pinyin for s in syllables_of(text, sandhi=sandhi)]


@cache
def frontend_version() -> str:
    digest = hashlib.sha256()
    for name in ("polyphones.tsv", "letters.tsv"):
        digest.update(data_path(name).read_bytes())
    libs = ",".join(f"{lib}-{_version(lib)}" for lib in ("pypinyin", "jieba"))
    return f"zh-frontend-{FRONTEND_CODE_VERSION}+{digest.hexdigest()[:10]} ({libs})"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:  # pragma: no cover - both are dependencies
        return "unknown"

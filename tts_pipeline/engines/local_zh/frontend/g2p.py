"""Han characters → toned pinyin: jieba words, pypinyin's dictionaries, and our override table.

Reading a character right depends on the word it is in (重点 zhòng, 重新 chóng), so text is first
split into words with jieba. Each word is read from, in order of preference:

1. the override table (``polyphones.tsv``): sequences of whole jieba words whose reading
   pypinyin gets wrong in context (为党育人, 我得走, a lone 地 after an adverb, …);
2. pypinyin's phrase dictionary, covering the word with as few dictionary phrases as possible
   (jieba's words are often longer than pypinyin's phrases: 英国首相 = 英国 + 首相);
3. pypinyin's most common reading of each single character.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from tts_pipeline.engines.base import Pronunciation
from tts_pipeline.engines.local_zh.frontend.occurrences import find_occurrences
from tts_pipeline.engines.local_zh.frontend.symbols import split_tone, to_baker

# Longest dictionary phrase we try to match inside a jieba word (longer ones are idioms that
# jieba keeps whole and pypinyin then finds as a whole, or that split fine into shorter ones).
_MAX_PHRASE = 8
_OVERRIDE_COST = 0.9  # an override phrase beats a dictionary phrase of the same span


@dataclass(frozen=True)
class Syllable:
    """One spoken syllable: the character (or letter) it reads and its toned pinyin.

    ``locked`` syllables come with their final, spoken tone (letters, marked overrides):
    tone sandhi leaves them as they are.
    """

    text: str
    pinyin: str
    locked: bool = False

    @property
    def tone(self) -> int:
        return split_tone(self.pinyin)[1]

    def with_tone(self, tone: int) -> Syllable:
        return replace(self, pinyin=f"{split_tone(self.pinyin)[0]}{tone}")


@dataclass(frozen=True)
class Word:
    """A word as the prosody sees it: a jieba word, an override phrase, or an acronym."""

    text: str
    syllables: tuple[Syllable, ...]


@dataclass(frozen=True)
class Overrides:
    """Readings from ``polyphones.tsv``, keyed by the text they apply to."""

    readings: dict[str, tuple[Syllable, ...]]
    longest: int

    def get(self, text: str) -> tuple[Syllable, ...] | None:
        return self.readings.get(text)


def read_table(path: Path) -> list[list[str]]:
    """Rows of a TAB-separated data file, skipping ``#`` comments, blank lines and the header."""
    rows: list[list[str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if cells[0] in ("pattern", "letter"):
            continue  # header
        rows.append([str(number), *cells])
    return rows


def parse_readings(pattern: str, pinyin: str, where: str) -> tuple[Syllable, ...]:
    """``("一是", "yi1! shi4")`` → syllables; a trailing ``!`` locks a syllable against sandhi."""
    readings = pinyin.split()
    if len(readings) != len(pattern):
        raise ValueError(f"{where}: {pattern!r} has {len(pattern)} characters, {pinyin!r}")
    syllables = []
    for char, reading in zip(pattern, readings, strict=True):
        locked = reading.endswith("!")
        reading = reading.rstrip("!")
        if to_baker(reading) is None or not reading[-1].isdigit():
            raise ValueError(f"{where}: {reading!r} is not a toned pinyin syllable")
        syllables.append(Syllable(char, reading, locked))
    return tuple(syllables)


def load_overrides(path: Path) -> Overrides:
    readings: dict[str, tuple[Syllable, ...]] = {}
    for number, pattern, pinyin, *_note in read_table(path):
        where = f"{path.name}:{number}"
        if pattern in readings:
            raise ValueError(f"{where}: {pattern!r} is listed twice")
        readings[pattern] = parse_readings(pattern, pinyin, where)
    return Overrides(readings, max((len(p) for p in readings), default=1))


def data_path(name: str) -> Path:
    return Path(str(resources.files("tts_pipeline.engines.local_zh.frontend") / "data" / name))


@cache
def default_overrides() -> Overrides:
    return load_overrides(data_path("polyphones.tsv"))


@cache
def _tokenizer() -> Any:  # a jieba.Tokenizer (jieba has no type hints)
    with warnings.catch_warnings():
        # jieba's regular expressions have invalid escapes: compiling them warns (a
        # SyntaxWarning on the user's terminal from Python 3.12 on) about code that is not ours.
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        import jieba

    # jieba announces its dictionary loading on stderr; the CLI's output is ours.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def segment(text: str) -> list[str]:
    """jieba words of a run of Han characters (precise mode, HMM for unknown words)."""
    return [w for w in _tokenizer().lcut(text, HMM=True) if w]


@cache
def _char_reading(char: str) -> str | None:
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_tone3

    readings = PINYIN_DICT.get(ord(char))
    if not readings:
        return None
    return _tone3(to_tone3(readings.split(",")[0], neutral_tone_with_five=True))


def has_reading(char: str) -> bool:
    """Whether a Han character has a reading the model can say (else it is skipped). Every
    GB2312 hanzi has one (a test checks): planning ordinary text need not load pypinyin's
    dictionary (most of a second) to know it."""
    return in_gb2312(char) or _char_reading(char) is not None


def in_gb2312(char: str) -> bool:
    """A hanzi of GB2312, the 6,763 characters of everyday simplified Chinese."""
    try:
        return char.encode("gb2312")[0] >= 0xB0
    except UnicodeEncodeError:
        return False


def _tone3(pinyin: str) -> str | None:
    """Keep a reading only if it is a syllable the model can say."""
    return pinyin if to_baker(pinyin) is not None else None


@cache
def _phrase_reading(phrase: str) -> tuple[str, ...] | None:
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.contrib.tone_convert import to_tone3

    entry = PHRASES_DICT.get(phrase)
    if not entry or len(entry) != len(phrase):
        return None
    readings = [_tone3(to_tone3(p[0], neutral_tone_with_five=True)) for p in entry]
    sayable = tuple(r for r in readings if r is not None)
    return sayable if len(sayable) == len(readings) else None


def word_syllables(word: str, overrides: Overrides) -> tuple[Syllable, ...]:
    """Read one jieba word: an override, else the fewest dictionary phrases that cover it."""
    whole = overrides.get(word)
    if whole is not None:
        return whole
    n = len(word)
    # best[i]: cheapest reading of word[i:], as (cost, syllables). Filled right to left; among
    # equal costs the longest first piece wins (forward maximum matching, as dictionaries expect).
    best: list[tuple[float, tuple[Syllable, ...]] | None] = [None] * (n + 1)
    best[n] = (0.0, ())
    for i in range(n - 1, -1, -1):
        for j in range(min(n, i + max(_MAX_PHRASE, overrides.longest)), i, -1):
            rest = best[j]
            if rest is None:
                continue
            piece = _piece(word[i:j], overrides)
            if piece is None:
                continue
            cost = piece[0] + rest[0]
            current = best[i]
            if current is None or cost < current[0] - 1e-9:
                best[i] = (cost, piece[1] + rest[1])
    result = best[0]
    return result[1] if result is not None else ()


def _piece(text: str, overrides: Overrides) -> tuple[float, tuple[Syllable, ...]] | None:
    if len(text) == 1:
        reading = _char_reading(text)
        # A character without a known reading is skipped (cost 1, nothing spoken).
        return 1.0, ((Syllable(text, reading),) if reading else ())
    override = overrides.get(text)
    if override is not None:
        return _OVERRIDE_COST, override
    readings = _phrase_reading(text)
    if readings is None:
        return None
    return 1.0, tuple(Syllable(c, r) for c, r in zip(text, readings, strict=True))


def han_words(
    text: str, overrides: Overrides | None = None, pronunciations: Sequence[Pronunciation] = ()
) -> list[Word]:
    """A run of Han characters → words with their (lexical, pre-sandhi) readings.

    The user's ``pronunciations`` (their lexicon) come first: each occurrence is a word read as
    given, and the text between them is read as usual. Override patterns spanning several jieba
    words apply only where they start and end on jieba word boundaries: "我得" matches 我/得/走
    (děi) but not 我/得到.
    """
    table = overrides if overrides is not None else default_overrides()
    if pronunciations:
        read: list[Word] = []
        cursor = 0
        for found in find_occurrences(text, pronunciations, segment):
            read += han_words(text[cursor : found.start], table)
            reading = found.item
            read.append(
                Word(
                    reading.text, parse_readings(reading.text, " ".join(reading.pinyin), "lexicon")
                )
            )
            cursor = found.end
        return read + han_words(text[cursor:], table)
    pieces = segment(text)
    words: list[Word] = []
    i = 0
    while i < len(pieces):
        match = _longest_override(pieces, i, table)
        if match is not None:
            end, syllables = match
            words.append(Word("".join(pieces[i:end]), syllables))
            i = end
            continue
        syllables = word_syllables(pieces[i], table)
        if syllables:
            words.append(Word(pieces[i], syllables))
        i += 1
    return words


def _longest_override(
    pieces: Sequence[str], start: int, table: Overrides
) -> tuple[int, tuple[Syllable, ...]] | None:
    found: tuple[int, tuple[Syllable, ...]] | None = None
    text = ""
    for end in range(start + 1, len(pieces) + 1):
        text += pieces[end - 1]
        if len(text) > table.longest:
            break
        syllables = table.get(text)
        if syllables is not None:
            found = (end, syllables)
    return found


@cache
def is_dictionary_word(text: str) -> bool:
    """Whether jieba or pypinyin knows ``text`` as a word (used to parse 3-syllable words)."""
    from pypinyin.constants import PHRASES_DICT

    return text in PHRASES_DICT or bool(_tokenizer().FREQ.get(text))

"""Text → phrases of words with readings → the Baker symbol sequence the model was trained on.

The Baker corpus marks prosodic breaks after characters: ``#1`` prosodic word, ``#2`` prosodic
phrase, ``#3`` intonational phrase (usually at a comma), ``#4`` sentence end. Its training
sequences are ``sil``, then per syllable the initial and final, ``#0`` between syllables of a word
or the break mark between words, then ``sil`` (the #4 becomes the closing silence) and ``eos``.
We predict the breaks: ``#1`` between words, ``#2`` to cut long runs of words and at 、,
``#3`` at clause punctuation (and at a sentence end that is not the last one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from tts_pipeline.engines.base import Pronunciation
from tts_pipeline.engines.local_zh.frontend.g2p import (
    Overrides,
    Syllable,
    Word,
    data_path,
    default_overrides,
    han_words,
    parse_readings,
    read_table,
)
from tts_pipeline.engines.local_zh.frontend.sandhi import apply_sandhi
from tts_pipeline.engines.local_zh.frontend.symbols import split_tone, to_baker
from tts_pipeline.engines.local_zh.frontend.text import Kind, Pause, tokenize

# Particles said as part of the word before them (no prosodic-word break in front).
CLITICS = frozenset("的了着过们吗呢吧啊呀地得么嘛啦")
# A prosodic phrase (#2) is cut once it would grow past this many syllables.
MAX_PHRASE_SYLLABLES = 7

_PAUSE_MARK = {Pause.LIST: "#2", Pause.CLAUSE: "#3", Pause.SENTENCE: "#3"}


@dataclass(frozen=True)
class Phrase:
    """Words spoken without a pause, and the break that follows them."""

    words: tuple[Word, ...]
    pause: Pause


@cache
def letter_readings() -> dict[str, tuple[Syllable, ...]]:
    """Letter → locked syllables, from ``letters.tsv``."""
    path = data_path("letters.tsv")
    table: dict[str, tuple[Syllable, ...]] = {}
    for number, letter, pinyin, *_ in read_table(path):
        readings = parse_readings(letter * len(pinyin.split()), pinyin, f"letters.tsv:{number}")
        table[letter.upper()] = tuple(Syllable(letter, s.pinyin, locked=True) for s in readings)
    return table


def latin_word(text: str) -> Word:
    """Spell a run of Latin letters: "GDP" → ji4 di4 pi4 (acronyms are spoken, not dropped)."""
    table = letter_readings()
    syllables = tuple(s for ch in text.upper() for s in table.get(ch, ()))
    return Word(text, syllables)


def analyze(
    text: str,
    *,
    sandhi: bool = True,
    overrides: Overrides | None = None,
    pronunciations: Sequence[Pronunciation] = (),
) -> list[Phrase]:
    """Split text into phrases of words with their readings (``pronunciations`` first)."""
    table = overrides if overrides is not None else default_overrides()
    phrases: list[Phrase] = []
    words: list[Word] = []
    pause = Pause.WORD

    def close() -> None:
        nonlocal words, pause
        spoken = [w for w in words if w.syllables]
        if spoken:
            phrases.append(Phrase(tuple(apply_sandhi(spoken) if sandhi else spoken), pause))
        elif phrases and pause > phrases[-1].pause:
            # Punctuation with nothing between ("，。"): the stronger break wins.
            phrases[-1] = Phrase(phrases[-1].words, pause)
        words = []
        pause = Pause.WORD

    for token in tokenize(text):
        if token.kind is Kind.PAUSE:
            if token.pause >= Pause.LIST:
                pause = max(pause, token.pause)
                close()
            continue
        if token.kind is Kind.HAN:
            words.extend(han_words(token.text, table, pronunciations))
        else:
            words.append(latin_word(token.text))
    if words:
        pause = Pause.SENTENCE
        close()
    return phrases


def word_breaks(words: Sequence[Word]) -> list[str]:
    """The mark after each word but the last: #0 before a clitic, #2 to cut long runs, else #1."""
    sizes = [len(w.syllables) for w in words]
    marks: list[str] = []
    group = 0
    for i in range(len(words) - 1):
        group += sizes[i]
        nxt = words[i + 1]
        if nxt.text in CLITICS:
            marks.append("#0")
            continue
        remaining = sum(sizes[i + 1 :])
        if group >= 3 and remaining >= 3 and group + sizes[i + 1] > MAX_PHRASE_SYLLABLES:
            marks.append("#2")
            group = 0
        else:
            marks.append("#1")
    return marks


def phrases_to_symbols(phrases: Sequence[Phrase]) -> list[str]:
    """Baker symbols for whole phrases: ``sil … sil eos``; empty when nothing is spoken."""
    entries: list[list[str]] = []  # per syllable: its symbols, then the break after it
    for p, phrase in enumerate(phrases):
        marks = word_breaks(phrase.words)
        last_phrase = p == len(phrases) - 1
        for w, word in enumerate(phrase.words):
            for s, syllable in enumerate(word.syllables):
                baker = to_baker(syllable.pinyin)
                if baker is None:
                    continue
                if w < len(marks) and s == len(word.syllables) - 1:
                    after = marks[w]
                elif s < len(word.syllables) - 1:
                    after = "#0"
                elif not last_phrase:
                    after = _PAUSE_MARK.get(phrase.pause, "#1")
                else:
                    after = ""
                if _is_erhua(syllable, s) and entries:
                    # Baker spells a word-final 儿 as er5 glued to the syllable before it.
                    entries[-1][-1:] = ["er5", after]
                    continue
                entries.append([*baker.symbols, after])
    if not entries:
        return []
    symbols = ["sil"]
    for entry in entries:
        symbols.extend(x for x in entry if x)
    if symbols[-1].startswith("#"):
        symbols.pop()
    return [*symbols, "sil", "eos"]


def _is_erhua(syllable: Syllable, position: int) -> bool:
    base, tone = split_tone(syllable.pinyin)
    return syllable.text == "儿" and base == "er" and tone == 5 and position > 0

"""What of a text a voice can say: each engine knows which characters it turns into speech, and
what it drops (emoji, letters of a script its language does not read, symbols it has no word
for) is reported instead of vanishing silently.

An engine tells it character by character (``Reading``): said, unsaid (the character means
something, and the voice drops it or reads it as noise), or quiet (punctuation, spaces,
invisible marks: never meant to be said). ``assess`` turns that into a ``Speakability``: the
runs of unsaid text as they stand (a run holds what lies between two said characters, trimmed
to its unsaid ends, so "مرحبا بكم" is one run), and whether anything is said at all.
"""

from __future__ import annotations

import enum
import tomllib
import unicodedata
from collections.abc import Callable
from functools import cache
from importlib import resources

from tts_pipeline.engines.base import Speakability


class Reading(enum.Enum):
    SAID = "said"
    UNSAID = "unsaid"  # means something, and the voice cannot say it
    QUIET = "quiet"  # punctuation, spaces, marks: nothing to say


def assess(text: str, reading: Callable[[str], Reading]) -> Speakability:
    """What of ``text`` the voice cannot say, given how it reads each character."""
    runs: list[str] = []
    first = last = -1  # the unsaid characters since the last said one
    said = False
    for index, char in enumerate(text):
        kind = reading(char)
        if kind is Reading.SAID:
            said = True
            if first >= 0:
                runs.append(text[first : last + 1])
                first = -1
        elif kind is Reading.UNSAID:
            first = index if first < 0 else first
            last = index
    if first >= 0:
        runs.append(text[first : last + 1])
    if said:
        return Speakability(tuple(runs), silent=False)
    # Nothing is said: the whole text is what cannot be said (punctuation alone included).
    whole = text.strip()
    return Speakability(tuple(runs) or ((whole,) if whole else ()), silent=True)


def combined(char: str, reading: Callable[[str], Reading]) -> Reading:
    """The reading of ``char`` folded by NFKC (① → 1, ｆｕｌｌ → full, ㎡ → m2): said if any of
    its parts is said, else unsaid if any is, else quiet."""
    parts = {reading(part) for part in unicodedata.normalize("NFKC", char)}
    for kind in (Reading.SAID, Reading.UNSAID):
        if kind in parts:
            return kind
    return Reading.QUIET


def script_of(char: str) -> str:
    """The script of a letter: the first word of its Unicode name (LATIN, CJK, ARABIC, …)."""
    return unicodedata.name(char, "").split(" ")[0]


@cache
def _language_scripts() -> dict[str, frozenset[str]]:
    table = resources.files("tts_pipeline.engines").joinpath("data/scripts.toml").read_text()
    return {lang: frozenset(scripts) for lang, scripts in tomllib.loads(table)["scripts"].items()}


def scripts_of_language(language: str) -> frozenset[str] | None:
    """The scripts a voice of ``language`` ("zh-CN", "en-US") reads; None: not known."""
    return _language_scripts().get(language.split("-")[0].lower())


def said(_char: str) -> Reading:
    return Reading.SAID


@cache
def by_script(language: str, symbol: Callable[[str], Reading] = said) -> Callable[[str], Reading]:
    """The reading of a voice that says the letters of its language's scripts and every number;
    ``symbol`` decides for symbols (eSpeak NG names them, the edge voices drop emoji)."""
    scripts = scripts_of_language(language)

    def letter_or_symbol(char: str) -> Reading:
        category = unicodedata.category(char)
        if category[0] == "L":
            return Reading.SAID if scripts is None or script_of(char) in scripts else Reading.UNSAID
        if category[0] == "N":
            return Reading.SAID
        if category[0] == "S":
            return symbol(char)
        return Reading.QUIET

    @cache
    def reading(char: str) -> Reading:
        return combined(char, letter_or_symbol)

    return reading

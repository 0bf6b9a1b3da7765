"""The narrator's lexicon: how the user wants words said.

A lexicon is a TOML file, one key per written form::

    "GTP" = "GDP"                                       # replacement: written → spoken
    "单县" = { pinyin = "shan4 xian4", spoken = "善县" }  # reading for the offline voice, and a
                                                        # homophone for engines without phonemes
    "单" = { pinyin = "shan4", whole_word = true }       # only where 单 is a word of its own
    "AI" = { spoken = "人工智能", engines = ["edge"] }   # only for these engines

Rules:

* A replacement applies wherever the written form occurs, before normalization (numbers in the
  replacement are normalized like the rest). Matches are case-sensitive, leftmost-longest and
  never overlap; a replacement's own text is not matched again.
* ``pinyin`` is one toned syllable (tone 1-5, 5 = neutral, ``v`` or ``ü`` for ü) per character
  of a written form made of Chinese characters only; it is the dictionary reading (tone sandhi
  still applies). Engines that take phonemes (the offline voice) use it; the others say
  ``spoken`` instead when the entry gives one, and otherwise read the text as written (``plan``
  warns).
* ``whole_word``: the written form must not touch another Latin letter or digit where it begins
  or ends with one (the default for such keys: "AI" does not match inside "MAIL"), and must begin
  and end on word boundaries (jieba's segmentation) where it begins or ends with a Chinese
  character (off by default for such keys: set it for a one-character surname such as 单, which
  must not change 简单). Finding the forms is the front end's ``occurrences``, so the plan and
  the offline voice find the same ones.
* ``engines``: the entry applies only when the voice's engine is listed.
* ``spoken`` is a word or a name: at most ``MAX_SPOKEN_CHARS`` characters.

Files are read in order and a later entry of the same written form replaces an earlier one; the
user lexicon (``user_lexicon_path()``) is always read first. Each is a file the user names, read
as such (``user_files``: a regular file, at most ``MAX_LEXICON_FILE_BYTES``). A malformed file
raises SettingsError with one line naming the file and the entry.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from tts_pipeline.engines.base import Pronunciation
from tts_pipeline.engines.local_zh.frontend.occurrences import is_latin
from tts_pipeline.engines.local_zh.frontend.symbols import to_baker
from tts_pipeline.engines.local_zh.frontend.text import is_han
from tts_pipeline.engines.registry import ENGINE_NAMES
from tts_pipeline.errors import SettingsError
from tts_pipeline.text.normalize.fills import MAX_FILL_CHARS
from tts_pipeline.user_files import read_user_file

USER_LEXICON_ENV = "TTS_PIPELINE_LEXICON"
USER_LEXICON_NAME = "lexicon.toml"
MAX_LEXICON_FILE_BYTES = 1 << 20  # a lexicon is a list of words, not a dictionary
# What an entry says instead of a word is a word or a name, like a fill-in (the same bound keeps
# it, spelled out, within an utterance: text.normalize.fills.MAX_FILL_CHARS).
MAX_SPOKEN_CHARS = MAX_FILL_CHARS
SETTINGS = ("spoken", "pinyin", "whole_word", "engines")

_SYLLABLE = re.compile(r"[a-zü:]+[1-5]")


@dataclass(frozen=True)
class LexiconEntry:
    """One written form and how to say it (see the module doc)."""

    text: str
    spoken: str | None = None
    pinyin: tuple[str, ...] | None = None
    whole_word: bool = False
    engines: tuple[str, ...] | None = None  # None: every engine
    source: str = ""  # the file it came from

    def applies_to(self, engine: str) -> bool:
        return self.engines is None or engine in self.engines

    @property
    def pronunciation(self) -> Pronunciation | None:
        if self.pinyin is None:
            return None
        return Pronunciation(self.text, self.pinyin, self.whole_word)


@dataclass(frozen=True)
class Lexicon:
    entries: tuple[LexiconEntry, ...] = ()
    sources: tuple[Path, ...] = field(default=())  # the files read, in order

    def __bool__(self) -> bool:
        return bool(self.entries)

    def then(self, later: Lexicon) -> Lexicon:
        """This lexicon with ``later``'s entries on top (same written form: later wins)."""
        merged = {e.text: e for e in self.entries}
        merged.update((e.text, e) for e in later.entries)
        return Lexicon(tuple(merged.values()), self.sources + later.sources)


def user_lexicon_path() -> Path:
    """The user's lexicon, always read (``$TTS_PIPELINE_LEXICON`` names another file)."""
    env = os.environ.get(USER_LEXICON_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir("tts-pipeline")) / USER_LEXICON_NAME


def load_lexicons(paths: Iterable[Path], *, user: bool = True) -> Lexicon:
    """The user lexicon (if it exists and ``user``), then every file of ``paths`` in order."""
    lexicon = Lexicon()
    if user:
        path = user_lexicon_path()
        if path.is_file():
            lexicon = lexicon.then(load_lexicon(path))
    for path in paths:
        lexicon = lexicon.then(load_lexicon(path))
    return lexicon


def load_lexicon(path: Path) -> Lexicon:
    """Read one lexicon file; SettingsError (one line) when it is unreadable or malformed."""
    where = f"lexicon file {path}"
    raw = read_user_file(
        path, what="lexicon file", limit=MAX_LEXICON_FILE_BYTES, error=SettingsError
    )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(f"{where} is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{where} is not valid TOML: {_toml_problem(error, text)}") from None
    entries = tuple(parse_entry(key, value, where, path.name) for key, value in data.items())
    return Lexicon(entries, (path,))


def _toml_problem(error: tomllib.TOMLDecodeError, text: str) -> str:
    """tomllib's message with the offending line quoted (it names the entry being written)."""
    message = str(error)
    found = re.search(r"line (\d+)", message)
    if found:
        lines = text.splitlines()
        number = int(found.group(1))
        if 0 < number <= len(lines) and lines[number - 1].strip():
            message += f": {lines[number - 1].strip()[:60]}"
    return message


def parse_entry(key: str, value: Any, where: str, source: str = "") -> LexiconEntry:
    """One TOML key and value → an entry; SettingsError naming ``where`` and the entry."""
    if not key.strip():
        raise SettingsError(f'{where}: an entry has an empty written form ("" = …)')
    entry = f"{where}: entry {key!r}"
    if key != key.strip() or "\n" in key:
        raise SettingsError(f"{entry}: the written form has surrounding spaces or a line break")
    default_whole = is_latin(key[0]) or is_latin(key[-1])
    if isinstance(value, str):
        _check_spoken(value, entry)
        return LexiconEntry(key, spoken=value, whole_word=default_whole, source=source)
    if not isinstance(value, dict):
        raise SettingsError(
            f"{entry}: the value must be the spoken text or a table such as "
            '{ pinyin = "shan4 xian4" }'
        )
    unknown = sorted(set(value) - set(SETTINGS))
    if unknown:
        known = ", ".join(SETTINGS)
        raise SettingsError(f"{entry}: unknown setting {unknown[0]!r} (known: {known})")
    spoken = value.get("spoken")
    if spoken is not None and not isinstance(spoken, str):
        raise SettingsError(f"{entry}: spoken must be text")
    if spoken is not None:
        _check_spoken(spoken, entry)
    pinyin = None if "pinyin" not in value else parse_pinyin(key, value["pinyin"], entry)
    if spoken is None and pinyin is None:
        raise SettingsError(f"{entry}: give spoken text, pinyin, or both")
    whole_word = value.get("whole_word", default_whole)
    if not isinstance(whole_word, bool):
        raise SettingsError(f"{entry}: whole_word must be true or false")
    engines = value.get("engines")
    if engines is not None:
        engines = _engines(engines, entry)
    return LexiconEntry(key, spoken, pinyin, whole_word, engines, source)


def _check_spoken(spoken: str, entry: str) -> None:
    if len(spoken) > MAX_SPOKEN_CHARS:
        raise SettingsError(
            f"{entry}: the spoken text is {len(spoken)} characters long; an entry says at most "
            f"{MAX_SPOKEN_CHARS} (a word, a name)"
        )


def parse_pinyin(key: str, value: Any, entry: str) -> tuple[str, ...]:
    """``"shan4 xian4"`` → ("shan4", "xian4"): one toned syllable per Chinese character."""
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f'{entry}: pinyin must be text such as "shan4 xian4"')
    if not all(is_han(ch) for ch in key):
        raise SettingsError(
            f"{entry}: pinyin needs a written form of Chinese characters only "
            "(use spoken text for letters and digits)"
        )
    syllables = tuple(value.lower().replace("u:", "ü").split())
    for syllable in syllables:
        if not _SYLLABLE.fullmatch(syllable) or to_baker(syllable) is None:
            raise SettingsError(
                f"{entry}: {syllable!r} is not a pinyin syllable with a tone number 1-5 "
                "(e.g. shan4)"
            )
    if len(syllables) != len(key):
        raise SettingsError(
            f"{entry}: {len(key)} character(s) but {len(syllables)} pinyin syllable(s)"
        )
    return syllables


def _engines(value: Any, entry: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise SettingsError(f'{entry}: engines must be a list of engine names, e.g. ["edge"]')
    for name in value:
        if name not in ENGINE_NAMES:
            raise SettingsError(
                f"{entry}: unknown engine {name!r} (engines: {', '.join(ENGINE_NAMES)})"
            )
    return tuple(value)

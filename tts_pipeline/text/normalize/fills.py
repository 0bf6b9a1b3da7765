"""Fill-ins: the values a speaker supplies for a template's placeholders.

A fills file is TOML, one key per written placeholder (as it appears in the text, with its
unit), the value either one string (every occurrence) or a list (by position)::

    "20xx年" = "2024年"                  # every 20xx年 reads 二零二四年
    "XX中学" = "石家庄市第一中学"
    "XX人" = ["520人", "30人", "600人"]   # 1st XX人 in the document → 520人, 2nd → 30人, …

Rules:

* Keys are matched literally, except that the placeholder letters X, x, ×, Ｘ are
  interchangeable ("XX人" also fills "xx人") and full-width digits/letters fold to ASCII. A key
  never fills part of a longer placeholder run ("XX人" does not match inside "XXX人"). Where two
  keys could match at the same place, the longer key wins.
* Positions are counted over the whole document (``normalize_all``), in reading order.
* A list shorter than the number of occurrences fills the first ones; the rest keep the default
  placeholder reading (and are reported unfilled, so the CLI can warn). ``FillMap.surplus``
  tells which lists are longer than the document needs.
* A filled value is normalized like any other text (2024年 → 二零二四年).
* ``FillMap.unused`` lists the keys that match nothing, so the CLI can warn about typos.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from tts_pipeline.errors import SettingsError
from tts_pipeline.user_files import read_user_file

# A fill-in stands for one placeholder: a name, a number, a date, a place. The longest real ones
# (an organization's full name, an address) run to 20-40 characters. 100 leaves room for them
# and keeps a value, even as the normalizer spells it out (at most about three times as long:
# ≠ → 不等于), within one utterance (pieces.MAX_UTTERANCE_CHARS = 300), so the plan cuts
# between values, never through one. A fills file is a few hundred bytes.
MAX_FILL_CHARS = 100
MAX_FILLS_FILE_BYTES = 1 << 20

_LETTER = "[Xx×Ｘｘ]"
_LATIN_OR_LETTER = "[A-Za-zＸｘ×]"
# Full-width digits and letters fold to ASCII before matching (same as the normalizer).
_FOLD_KEY = str.maketrans(
    {chr(0xFF10 + i): chr(0x30 + i) for i in range(10)}
    | {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}
    | {"％": "%"}
)


@dataclass(frozen=True)
class FillEntry:
    key: str
    values: tuple[str, ...]
    positional: bool  # a list in the file: the i-th occurrence gets values[i]

    def value_for(self, occurrence: int) -> str | None:
        if not self.positional:
            return self.values[0]
        return self.values[occurrence] if occurrence < len(self.values) else None


def _key_pattern(key: str) -> str:
    folded = key.translate(_FOLD_KEY)
    parts = [_LETTER if ch in "Xx×" else re.escape(ch) for ch in folded]
    pattern = "".join(parts)
    # A placeholder key must not bite into a longer run of letters (XX人 inside XXX人).
    if folded[:1] in "Xx×" or folded[:1].isascii() and folded[:1].isalpha():
        pattern = f"(?<!{_LATIN_OR_LETTER})" + pattern
    if folded[-1:] in "Xx×" or folded[-1:].isascii() and folded[-1:].isalpha():
        pattern += f"(?!{_LATIN_OR_LETTER})"
    return pattern


@dataclass(frozen=True)
class FillMap:
    """The fill-ins of one document. Build with ``load_fills`` or ``FillMap.from_mapping``."""

    entries: tuple[FillEntry, ...] = field(default=())

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], source: str = "fills") -> FillMap:
        entries: list[FillEntry] = []
        for key, value in data.items():
            if not isinstance(key, str) or not key.strip():
                raise SettingsError(f"{source}: empty placeholder key")
            if isinstance(value, str):
                entry = FillEntry(key, (value,), positional=False)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                entry = FillEntry(key, tuple(value), positional=True)
            else:
                raise SettingsError(
                    f"{source}: value of {key!r} must be a string or a list of strings"
                )
            longest = max((len(v) for v in entry.values), default=0)
            if longest > MAX_FILL_CHARS:
                raise SettingsError(
                    f"{source}: the value of {key!r} is {longest} characters long; a fill-in "
                    f"is at most {MAX_FILL_CHARS} (a name, a number, a date, a place)"
                )
            entries.append(entry)
        return cls(tuple(entries))

    def __bool__(self) -> bool:
        return bool(self.entries)

    def keys(self) -> list[str]:
        return [e.key for e in self.entries]

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        """One regex over all keys; group ``k<i>`` is entry i. Longest keys first."""
        if not self.entries:
            return None
        order = sorted(range(len(self.entries)), key=lambda i: -len(self.entries[i].key))
        return re.compile("|".join(f"(?P<k{i}>{_key_pattern(self.entries[i].key)})" for i in order))

    def entry_of(self, match: re.Match[str]) -> FillEntry:
        return self.entries[int((match.lastgroup or "k0")[1:])]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where keys occur in ``text``, as (start, end) offsets."""
        if self.pattern is None:
            return []
        return [match.span() for match in self.pattern.finditer(fold_text(text))]

    def usage(self, texts: Iterable[str]) -> dict[str, int]:
        """How many times each key occurs in ``texts`` (the document's utterances)."""
        counts = {e.key: 0 for e in self.entries}
        if self.pattern is None:
            return counts
        for text in texts:
            folded = fold_text(text)
            for match in self.pattern.finditer(folded):
                counts[self.entry_of(match).key] += 1
        return counts

    def unused(self, texts: Iterable[str]) -> list[str]:
        """Keys that match nothing in ``texts`` (likely a typo in the fills file)."""
        return [key for key, n in self.usage(texts).items() if n == 0]

    def surplus(self, texts: Iterable[str]) -> dict[str, int]:
        """Positional keys with more values than occurrences: key → values left over."""
        usage = self.usage(texts)
        return {
            e.key: len(e.values) - usage[e.key]
            for e in self.entries
            if e.positional and len(e.values) > usage[e.key]
        }


def fold_text(text: str) -> str:
    """The length-preserving fold applied to text before keys are matched."""
    return text.translate(_FOLD_KEY)


def load_fills(path: Path) -> FillMap:
    """Read a fills TOML file. Raises SettingsError (one line) when it is missing or malformed."""
    raw = read_user_file(path, what="fills file", limit=MAX_FILLS_FILE_BYTES, error=SettingsError)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"fills file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"fills file {path} is not valid TOML: {error}") from None
    return FillMap.from_mapping(data, source=f"fills file {path}")


# Fill-ins as the API takes them: a FillMap, or a plain mapping as TOML would give.
Fills = FillMap | Mapping[str, object]


def fill_warnings(fills: Fills | None, texts: Sequence[str]) -> tuple[str, ...]:
    """Fill-in keys that matched nothing in ``texts`` (typos) and lists longer than the document
    needs."""
    fill_map = as_fill_map(fills)
    if not fill_map:
        return ()
    warnings = [f"fill-in {key!r} matches no placeholder" for key in fill_map.unused(texts)]
    warnings += [
        f"fill-in {key!r} has {extra} more value(s) than occurrences"
        for key, extra in fill_map.surplus(texts).items()
    ]
    return tuple(warnings)


def as_fill_map(fills: object | None) -> FillMap | None:
    """Accept a FillMap, a plain mapping (as TOML would give) or None."""
    if fills is None or isinstance(fills, FillMap):
        return fills or None
    if isinstance(fills, Mapping):
        return FillMap.from_mapping(fills) or None
    raise TypeError(f"fills must be a FillMap or a mapping, not {type(fills).__name__}")


@dataclass
class FillCursor:
    """Occurrences seen so far per key, shared across a document's utterances."""

    seen: dict[str, int] = field(default_factory=dict)

    def copy(self) -> FillCursor:
        return FillCursor(dict(self.seen))

    def next_value(self, entry: FillEntry) -> str | None:
        occurrence = self.seen.get(entry.key, 0)
        self.seen[entry.key] = occurrence + 1
        return entry.value_for(occurrence)

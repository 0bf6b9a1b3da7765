"""Data tables of the normalizer (tts_pipeline/text/normalize/data/): loaded once, read-only.

TSV files: ``#`` starts a comment line, columns are tab-separated, blank lines are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"


def read_tsv(name: str, columns: int) -> list[tuple[str, ...]]:
    """Rows of ``data/<name>`` with exactly ``columns`` fields (a malformed row is a bug)."""
    rows: list[tuple[str, ...]] = []
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = tuple(line.split("\t"))
        if len(fields) != columns:
            raise ValueError(f"{name}:{number}: expected {columns} columns, got {len(fields)}")
        rows.append(fields)
    return rows


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of literal words, longest first (so 个月 wins over 个)."""
    items = sorted(set(words), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(re.escape(w) for w in items) + ")"


@dataclass(frozen=True)
class Unit:
    written: str
    spoken: str
    two: str  # reading of a bare 2 before it
    kind: str


@cache
def units() -> dict[str, Unit]:
    return {row[0]: Unit(*row) for row in read_tsv("units.tsv", 4)}


@dataclass(frozen=True)
class Currency:
    written: str
    spoken: str
    position: str  # "prefix" | "both"


@cache
def currencies() -> dict[str, Currency]:
    return {row[0]: Currency(*row) for row in read_tsv("currencies.tsv", 3)}


@cache
def measures() -> dict[str, str]:
    """Word → reading of a bare 2 before it (两 or 二)."""
    return {word: two for word, two in read_tsv("measures.tsv", 2)}


@cache
def measure_pattern() -> re.Pattern[str]:
    """Matches a measure word (any reading) at the start of a string, longest first."""
    return re.compile(alternation(measures()))


def two_before(after: str) -> str:
    """How a bare 2 reads when ``after`` follows it: 两 before a measure word, else 二."""
    match = measure_pattern().match(after.lstrip(" "))
    return measures()[match.group(0)] if match else "二"


@cache
def cues() -> dict[str, tuple[str, ...]]:
    """Kind (phone, code, score, link) → cue words."""
    table: dict[str, list[str]] = {}
    for kind, cue in read_tsv("cues.tsv", 2):
        table.setdefault(kind, []).append(cue)
    return {kind: tuple(words) for kind, words in table.items()}


@dataclass(frozen=True)
class Symbol:
    symbol: str
    spoken: str
    where: str  # "any" | "between"


@cache
def symbols() -> dict[str, Symbol]:
    return {row[0]: Symbol(*row) for row in read_tsv("symbols.tsv", 3)}


@cache
def markup() -> tuple[str, ...]:
    """Stray markup characters that are never read aloud (data/markup.tsv)."""
    rows = read_tsv("markup.tsv", 2)
    return tuple(chr(int(m[2:], 16)) if m.startswith("U+") else m for m, _note in rows)


@cache
def list_marks() -> str:
    """A regex character class of the one-character list numbers (①, ⑴, ⒈, ❶, …)."""
    ranges = [(int(a, 16), int(b, 16)) for a, b, _note in read_tsv("list_marks.tsv", 3)]
    return "[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]"

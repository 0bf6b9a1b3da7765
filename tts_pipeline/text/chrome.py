"""Page chrome: the lines a web page puts around a speech (navigation, account links,
publication lines, teasers, related lists, share buttons, copyright), found by the rules in
``data/chrome.toml`` and removed with the name of the rule that removed each.

Pure: the same lines always give the same verdicts.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tts_pipeline.text.script import simplified

DATA = Path(__file__).parent / "data" / "chrome.toml"

# A related-article list item: a short line with no sentence in it.
LIST_ITEM_MAX_CHARS = 50
_SENTENCE_INSIDE = re.compile(r"[。!?;]")
# Where a line of buttons or links splits into words.
_WORD_SPLIT = re.compile(r"[\s|/·•:,丨【】\[\]()「」<>»›]+")
_WORD_CHARS = re.compile(r"\w")


@dataclass(frozen=True)
class RemovedLine:
    """A line that is not read aloud, and the name of the rule that removed it."""

    text: str
    rule: str


@dataclass(frozen=True)
class ChromeRule:
    name: str
    patterns: tuple[re.Pattern[str], ...] = ()
    words: frozenset[str] = frozenset()
    min_words: int = 1
    mostly: int | None = None  # with patterns: at most this many word characters besides them
    max_chars: int | None = None
    list_after: bool = False

    def matches(self, folded: str) -> bool:
        if self.max_chars is not None and len(folded) > self.max_chars:
            return False
        if self.words:
            pieces = [p for p in _WORD_SPLIT.split(folded) if p]
            return len(pieces) >= self.min_words and all(p in self.words for p in pieces)
        for pattern in self.patterns:
            if not pattern.search(folded):
                continue
            if self.mostly is None:
                return True
            rest = pattern.sub("", folded)
            if len(_WORD_CHARS.findall(rest)) < self.mostly:
                return True
        return False


def match_form(line: str) -> str:
    """The form rules are matched against: simplified characters, NFKC (full-width → ASCII)."""
    return unicodedata.normalize("NFKC", simplified(line)).strip()


@cache
def rules() -> tuple[ChromeRule, ...]:
    with DATA.open("rb") as handle:
        table = tomllib.load(handle)
    shared = {
        name: "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"
        for name, words in table.get("words", {}).items()
    }

    def compiled(pattern: str) -> re.Pattern[str]:
        return re.compile(re.sub(r"@([a-z_]+)", lambda m: shared[m.group(1)], pattern))

    return tuple(
        ChromeRule(
            name=row["name"],
            patterns=tuple(compiled(p) for p in row.get("patterns", ())),
            words=frozenset(row.get("words", ())),
            min_words=row.get("min_words", 1),
            mostly=row.get("mostly"),
            max_chars=row.get("max_chars"),
            list_after=row.get("list_after", False),
        )
        for row in table["rule"]
    )


def rule_for(line: str) -> ChromeRule | None:
    """The first rule that removes ``line``, or None when it is (possibly) speech."""
    folded = match_form(line)
    if not folded:
        return None
    return next((rule for rule in rules() if rule.matches(folded)), None)


def find_chrome(lines: Sequence[str]) -> list[str | None]:
    """For each line, the name of the rule that removes it, or None to keep it."""
    verdicts: list[str | None] = []
    listing: str | None = None  # inside a related list: the rule that opened it
    for line in lines:
        rule = rule_for(line)
        if rule is not None:
            verdicts.append(rule.name)
            listing = rule.name if rule.list_after else None
        elif listing is not None and _list_item(line):
            verdicts.append(listing)
        else:
            verdicts.append(None)
            listing = None
    return verdicts


def _list_item(line: str) -> bool:
    folded = match_form(line)
    return 0 < len(folded) <= LIST_ITEM_MAX_CHARS and not _SENTENCE_INSIDE.search(folded)

"""Text preparation for the edge-tts service: cleaning, the "is there anything to say" test and
splitting of oversized texts.

edge-tts 7.x already XML-escapes ``&``, ``<`` and ``>`` and replaces most C0 control characters
by spaces (``Communicate.__init__``: ``escape(remove_incompatible_characters(text))``), and quotes
are harmless because the text ends up as element content. What it does not handle, and what we
clean here: lone surrogates (``str.encode("utf-8")`` raises inside edge-tts), DEL/C1 controls,
invisible format characters and emoji, which the service either reads out by name or rejects.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from xml.sax.saxutils import escape

# Emoji and pictographs, by code point range (the stdlib has no Emoji property). Wide on purpose:
# dingbats, arrows and stars are never worth narrating either.
_EMOJI_RANGES: tuple[tuple[int, int], ...] = (
    (0x1F000, 0x1FAFF),  # mahjong … symbols & pictographs extended-A (incl. flags, skin tones)
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats
    (0x2B00, 0x2BFF),  # arrows and stars (⭐)
    (0x2300, 0x23FF),  # miscellaneous technical (⌚ ⏰)
    (0xFE00, 0xFE0F),  # variation selectors (emoji presentation)
    (0x20E3, 0x20E3),  # combining keycap
    (0xE0000, 0xE007F),  # tag characters (subdivision flags)
)

# Sentence ends we may split at, strongest first (CJK and Latin).
_SENTENCE_END = "。！？；!?;"
_CLAUSE_END = "，、,：:"
_WHITESPACE = re.compile(r"\s+")

# Well under the 4,096 bytes edge-tts sends per request (longer texts it splits at spaces only,
# which CJK text has none of): 1,000 CJK characters are 3,000 bytes. Bytes are counted after
# XML escaping, which turns one "&" into five.
MAX_CHARS = 1000
MAX_BYTES = 3000


def _is_emoji(code: int) -> bool:
    return any(low <= code <= high for low, high in _EMOJI_RANGES)


def is_emoji(char: str) -> bool:
    """An emoji or pictograph: removed before sending (``clean_text``), so never said."""
    return _is_emoji(ord(char))


def _clean_char(char: str) -> str:
    """The replacement for one character: itself, a space or nothing."""
    code = ord(char)
    if _is_emoji(code):
        return ""
    category = unicodedata.category(char)
    if category in ("Cs", "Co", "Cn"):  # lone surrogates, private use, unassigned/non-characters
        return ""
    if category == "Cf":  # zero-width joiners, BOM, bidi marks: invisible, never spoken
        return ""
    if category == "Cc":  # C0/C1 controls, tab and newlines included: a word break at most
        return " "
    return char


def clean_text(text: str) -> str:
    """Text safe to send: no controls, surrogates, emoji or invisible characters; single spaces."""
    cleaned = "".join(_clean_char(char) for char in text)
    return _WHITESPACE.sub(" ", cleaned).strip()


def is_speakable(text: str) -> bool:
    """True if the text holds a letter or a digit: punctuation or symbols alone get no audio."""
    return any(unicodedata.category(char)[0] in ("L", "N") for char in text)


def split_for_service(
    text: str, max_chars: int = MAX_CHARS, max_bytes: int = MAX_BYTES
) -> list[str]:
    """Split a long text into pieces of at most ``max_chars`` characters and ``max_bytes`` bytes
    once escaped, at sentence ends where possible, else at clauses, else anywhere.

    Pieces that hold nothing to say are dropped (the service would return no audio for them).
    """
    if max_chars < 1 or max_bytes < 8:
        raise ValueError("max_chars and max_bytes are too small")
    limit = _Limit(max_chars, max_bytes)
    pieces: list[str] = []
    current = ""
    for unit in _units(text, limit):
        if current and not limit.fits(current + unit):
            pieces.append(current)
            current = ""
        current += unit
    if current:
        pieces.append(current)
    return [piece.strip() for piece in pieces if is_speakable(piece)]


class _Limit:
    def __init__(self, max_chars: int, max_bytes: int) -> None:
        self.max_chars = max_chars
        self.max_bytes = max_bytes

    def fits(self, text: str) -> bool:
        return len(text) <= self.max_chars and _wire_bytes(text) <= self.max_bytes


def _wire_bytes(text: str) -> int:
    return len(escape(text).encode("utf-8", "surrogatepass"))


def _units(text: str, limit: _Limit) -> Iterator[str]:
    """Sentences within the limit (over-long ones cut at clauses, then anywhere)."""
    for sentence in _split_after(text, _SENTENCE_END):
        if limit.fits(sentence):
            yield sentence
            continue
        for clause in _split_after(sentence, _CLAUSE_END):
            yield from _hard_split(clause, limit)


def _hard_split(text: str, limit: _Limit) -> Iterator[str]:
    """Cut anywhere, as late as the limit allows (no sentence or clause end to cut at)."""
    start = 0
    size = 0
    for index, char in enumerate(text):
        char_size = _wire_bytes(char)
        if index > start and (
            index - start >= limit.max_chars or size + char_size > limit.max_bytes
        ):
            yield text[start:index]
            start, size = index, 0
        size += char_size
    if start < len(text):
        yield text[start:]


def _split_after(text: str, marks: str) -> list[str]:
    """Split after each run of the given marks, keeping the marks with the text before them."""
    parts: list[str] = []
    start = 0
    index = 0
    while index < len(text):
        if text[index] in marks:
            while index + 1 < len(text) and text[index + 1] in marks:
                index += 1
            parts.append(text[start : index + 1])
            start = index + 1
        index += 1
    if start < len(text):
        parts.append(text[start:])
    return parts

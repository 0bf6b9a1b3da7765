"""Traditional Chinese folded to simplified, one character for one.

Pages copied from the web are often in traditional characters. The normalizer's tables, the
offline voice's word list and polyphone table, and the page-chrome rules are written in
simplified characters, so traditional text is read (and matched) through this fold. It keeps
the length, so offsets into the folded text are offsets into the original.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# OpenCC's table has one chain (薴 → 苧 → 苎); folding again until nothing changes makes the
# fold idempotent. Two rounds reach the end of every chain in the table.
_MAX_ROUNDS = 3


@cache
def _converter() -> Any:
    import opencc  # OpenCC's own phrase and character tables (Apache-2.0)

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` with traditional characters replaced by simplified ones (same length)."""
    if text.isascii():
        return text
    convert = _converter().convert
    folded = text
    for _ in range(_MAX_ROUNDS):
        again = convert(folded)
        if again == folded:
            break
        folded = again
    if len(folded) == len(text):
        return folded
    # A phrase mapped to a different length: fold character by character instead.
    return "".join(_one(convert, ch) for ch in text)


def _one(convert: Any, ch: str) -> str:
    folded = ch
    for _ in range(_MAX_ROUNDS):
        again = convert(folded)
        if len(again) != 1 or again == folded:
            break
        folded = again
    return folded

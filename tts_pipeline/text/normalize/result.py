"""What normalization gives: the spoken text, and the template placeholders it found."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlaceholderHit:
    """An unfilled template placeholder found in the text, and how it will be spoken.

    ``text`` is the written span (e.g. "XX亿元", "20xx年"), ``start``/``end`` its offsets in the
    input, ``kind`` the policy row that decided the reading (quantity, name, year, …), ``filled``
    whether a fill-in value replaced it.
    """

    text: str
    spoken: str
    start: int
    end: int
    kind: str
    filled: bool = False


@dataclass(frozen=True)
class Normalized:
    original: str
    spoken: str
    placeholders: tuple[PlaceholderHit, ...] = field(default=())

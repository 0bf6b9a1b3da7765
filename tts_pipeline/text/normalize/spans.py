"""Rewrite text piece by piece while remembering where every piece came from.

The text starts as one unfrozen piece. A rule finds matches in unfrozen pieces only; each
rewrite becomes a frozen piece (spoken words, never touched again), so the rules run in a fixed
priority order and a later rule cannot re-read what an earlier one produced. Every piece keeps
its offsets in the input, which is how placeholder hits report where they were written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# How much text around a match a rule may look at (cue words are short).
CONTEXT_CHARS = 16


@dataclass(frozen=True)
class Edit:
    """Replace ``start:end`` of the piece (may reach outside the match) with ``spoken``.

    ``kind`` set means the span is a placeholder and is reported as a hit.
    """

    start: int
    end: int
    spoken: str
    kind: str | None = None
    filled: bool = False


@dataclass(frozen=True)
class Context:
    before: str  # up to CONTEXT_CHARS of the text before the match, as rewritten so far
    after: str  # up to CONTEXT_CHARS of the text after the match
    raw_before: str  # the unrewritten text of this piece between the last edit and the match


Render = Callable[[re.Match[str], Context], "str | Edit | None"]


@dataclass(frozen=True)
class Rule:
    """One pattern and how to say what it matches (``None``: leave it to a later rule)."""

    name: str
    pattern: re.Pattern[str]
    render: Render


@dataclass
class Piece:
    start: int
    end: int
    text: str
    frozen: bool


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    spoken: str
    kind: str
    filled: bool


@dataclass
class Spans:
    pieces: list[Piece]
    hits: list[Hit] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> Spans:
        return cls([Piece(0, len(text), text, False)])

    def text(self) -> str:
        return "".join(p.text for p in self.pieces)

    def apply(self, rule: Rule) -> None:
        out: list[Piece] = []
        pieces = self.pieces
        for index, piece in enumerate(pieces):
            if piece.frozen:
                out.append(piece)
                continue
            text = piece.text
            pos = 0
            for match in rule.pattern.finditer(text):
                if match.end() == match.start() or match.start() < pos:
                    continue
                context = Context(
                    before=_tail(out, text[pos : match.start()]),
                    after=_head(text[match.end() : match.end() + CONTEXT_CHARS], pieces, index),
                    raw_before=text[pos : match.start()],
                )
                result = rule.render(match, context)
                if result is None:
                    continue
                edit = (
                    result if isinstance(result, Edit) else Edit(match.start(), match.end(), result)
                )
                if edit.start < pos or edit.end > len(text) or edit.start >= edit.end:
                    continue
                if edit.start > pos:
                    out.append(
                        Piece(
                            piece.start + pos,
                            piece.start + edit.start,
                            text[pos : edit.start],
                            False,
                        )
                    )
                out.append(
                    Piece(piece.start + edit.start, piece.start + edit.end, edit.spoken, True)
                )
                if edit.kind is not None:
                    self.hits.append(
                        Hit(
                            piece.start + edit.start,
                            piece.start + edit.end,
                            edit.spoken,
                            edit.kind,
                            edit.filled,
                        )
                    )
                pos = edit.end
            if pos == 0:
                out.append(piece)
            elif pos < len(text):
                out.append(Piece(piece.start + pos, piece.end, text[pos:], False))
        self.pieces = out


def _tail(done: list[Piece], current: str) -> str:
    if len(current) >= CONTEXT_CHARS:
        return current[-CONTEXT_CHARS:]
    parts = [current]
    size = len(current)
    for piece in reversed(done):
        if size >= CONTEXT_CHARS:
            break
        parts.append(piece.text)
        size += len(piece.text)
    return "".join(reversed(parts))[-CONTEXT_CHARS:]


def _head(current: str, pieces: list[Piece], index: int) -> str:
    parts = [current]
    size = len(current)
    for piece in pieces[index + 1 :]:
        if size >= CONTEXT_CHARS:
            break
        parts.append(piece.text)
        size += len(piece.text)
    return "".join(parts)[:CONTEXT_CHARS]

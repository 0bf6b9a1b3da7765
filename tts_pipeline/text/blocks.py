"""What a reader finds in a document, whatever its format: blocks of text (paragraphs and
headings), the document's own title field, and notes of what it skipped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SourceFormat = Literal["txt", "md", "docx", "html"]


@dataclass(frozen=True)
class Block:
    """A paragraph of the source, or a heading (``level`` 1–6) of it."""

    text: str
    level: int = 0


@dataclass(frozen=True)
class SourceText:
    """A document as its reader found it."""

    name: str  # as messages name it: the path, or "stdin"
    stem: str  # the input's name without extension (the title when no line looks like one)
    format: SourceFormat
    blocks: tuple[Block, ...]
    title_field: str | None = None  # the document's own title field (HTML <title>, Word's)
    notes: tuple[str, ...] = ()  # what the reader skipped (tables, text boxes, code, …)

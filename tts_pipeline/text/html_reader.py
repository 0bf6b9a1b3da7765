"""A saved web page → its main text as blocks, with trafilatura (Apache-2.0).

trafilatura finds the page's main text (leaving out menus, sidebars and most footers) and keeps
its structure: headings with their level, paragraphs, list items, tables. Whatever page lines
it keeps around the speech (publication lines, teasers, share text) go through the same chrome
cleaning as a text file, so `plan` lists them. Settings favour recall: a speech's short lines
(同志们：, 谢谢大家！) must never be dropped as boilerplate, nor repeated lines deduplicated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from tts_pipeline.errors import InputError
from tts_pipeline.text.blocks import Block

# Elements of trafilatura's output that start a new block.
_BLOCK_TAGS = {"p", "head", "item", "quote", "code", "row", "cell", "list", "table", "div"}
_NO_MAIN_TEXT_NOTE = "the page has no main text that trafilatura could find; all its text was read"


@dataclass(frozen=True)
class Page:
    blocks: tuple[Block, ...]
    title: str | None
    notes: tuple[str, ...]


def read_html(html: str, name: str) -> Page:
    import trafilatura
    from trafilatura.settings import Document as Extracted

    _quiet()
    try:
        document = trafilatura.bare_extraction(
            html,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            include_formatting=True,
            favor_recall=True,
            deduplicate=False,
            with_metadata=True,
        )
    except (ValueError, TypeError) as exc:  # a page lxml cannot parse at all
        raise InputError(f"{name} is not a readable web page ({exc})") from None
    notes: list[str] = []
    blocks: list[Block] = []
    title = None
    if isinstance(document, Extracted):  # (None: nothing found)
        title = (document.title or "").strip() or None
        if document.body is not None:
            blocks = _blocks(document.body, notes)
    if not any(b.text.strip() for b in blocks):
        text = trafilatura.html2txt(html) or ""
        blocks = [Block(line) for line in text.splitlines() if line.strip()]
        if blocks:
            notes.append(_NO_MAIN_TEXT_NOTE)
    if not blocks:
        raise InputError(f"{name} holds no text (a web page with nothing to read)")
    return Page(tuple(blocks), title, tuple(notes))


def _quiet() -> None:
    """trafilatura and its helpers log their doubts; the user sees only our one-line errors."""
    for logger in ("trafilatura", "htmldate", "courlan", "justext"):
        log = logging.getLogger(logger)
        if not log.handlers:
            log.addHandler(logging.NullHandler())
        log.propagate = False


def _blocks(body: Any, notes: list[str]) -> list[Block]:
    """Walk trafilatura's XML in document order: one block per paragraph, heading, list item or
    table row; <lb/> breaks a block into lines."""
    blocks: list[Block] = []
    current: list[str] = []
    level = 0

    def flush() -> None:
        nonlocal level
        text = "".join(current)
        for line in text.split("\n"):
            if line.strip():
                blocks.append(Block(line.strip(), level))
        current.clear()
        level = 0

    def walk(element: Any) -> None:
        nonlocal level
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "table" and _skip_table(element, notes):
            flush()
            if element.tail:
                current.append(element.tail)
            return
        if tag in _BLOCK_TAGS:
            flush()
        if tag == "head":
            rend = element.get("rend", "h2")
            level = int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2
        if tag == "lb":
            current.append("\n")
        if tag == "item" and element.getparent() is not None:
            numbered = element.getparent()
            if numbered.get("rend") == "ol":  # an ordered list keeps its numbers as text
                current.append(f"{numbered.index(element) + 1}. ")
        if element.text:
            current.append(element.text)
        for child in element:
            walk(child)
        if tag in _BLOCK_TAGS:
            flush()
        if element.tail:
            current.append(element.tail)

    walk(body)
    flush()
    return blocks


def _skip_table(table: Any, notes: list[str]) -> bool:
    """A table laid out as one column (a page's layout) is read; a grid is skipped with a note."""
    rows = table.findall("row")
    widest = max((len(row.findall("cell")) for row in rows), default=0)
    if widest <= 1:
        return False
    first = " ".join("".join(table.itertext()).split())[:20]
    notes.append(f"a table skipped ({len(rows)} rows × {widest} columns, starting {first!r})")
    return True

"""Plain text and Markdown → blocks: one block a line; Markdown headings with their level, list
items with their numbers, inline markup (emphasis, links, code) as plain text; code blocks,
tables and front matter skipped with a note. Pure."""

from __future__ import annotations

import re

from tts_pipeline.text.blocks import Block

MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*#*\s*$")


def text_blocks(text: str) -> tuple[Block, ...]:
    """One block a line; a Markdown heading line (``# …``) is a heading in plain text too."""
    blocks: list[Block] = []
    for line in _lines(text):
        heading = MARKDOWN_HEADING.match(line.strip())
        if heading and line.strip().startswith("#"):
            blocks.append(Block(heading.group(2), len(heading.group(1))))
        else:
            blocks.append(Block(line))
    return tuple(blocks)


def _lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE_LINE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_SETEXT = re.compile(r"^\s*(=+|-+)\s*$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_QUOTE = re.compile(r"^\s*>\s?")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`]*)`")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def markdown_blocks(text: str) -> tuple[tuple[Block, ...], tuple[str, ...]]:
    """Markdown as the speech it carries: headings with their level, list items with their
    numbers, inline markup (emphasis, links, code) as plain text; code blocks, tables and
    front matter are skipped with a note."""
    lines = _lines(text)
    blocks: list[Block] = []
    notes: list[str] = []
    i = 0
    if lines and lines[0].strip() == "---":  # front matter
        end = next((j for j in range(1, len(lines)) if lines[j].strip() in ("---", "...")), None)
        if end is not None:
            notes.append(f"front matter skipped ({_lines_count(end - 1)})")
            i = end + 1
    while i < len(lines):
        line = lines[i]
        fenced = _FENCE.match(line)
        if fenced:
            fence = fenced.group(1)
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(fence)),
                len(lines),
            )
            notes.append(f"a code block skipped ({_lines_count(end - i - 1)})")
            i = end + 1
            continue
        if _TABLE_ROW.match(line):
            end = i
            while end < len(lines) and _TABLE_ROW.match(lines[end]):
                end += 1
            first = _inline(lines[i].strip().strip("|").split("|")[0])
            notes.append(f"a table skipped ({end - i} rows, starting {first.strip()!r})")
            i = end
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and _SETEXT.match(following) and not _RULE_LINE.match(line):
            blocks.append(Block(_inline(line.strip()), 1 if "=" in following else 2))
            i += 2
            continue
        i += 1
        if _RULE_LINE.match(line):
            continue
        heading = MARKDOWN_HEADING.match(line.strip())
        if heading and line.strip().startswith("#"):
            blocks.append(Block(_inline(heading.group(2)), len(heading.group(1))))
            continue
        body = _BULLET.sub("", _QUOTE.sub("", line), count=1)
        blocks.append(Block(_inline(body)))
    return tuple(blocks), tuple(notes)


def _lines_count(count: int) -> str:
    return f"{count} line" if count == 1 else f"{count} lines"


def _inline(text: str) -> str:
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or "", text)
    return _TAG.sub("", text)

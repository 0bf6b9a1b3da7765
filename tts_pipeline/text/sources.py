"""Read a speech from any supported format into one typed shape, ``SourceText``.

Formats: ``.txt`` and ``.md`` (text in UTF-8, UTF-16 or GB18030), ``.docx`` (Word), ``.html`` /
``.htm`` (a saved web page; its main text is extracted with trafilatura), and ``-`` for standard
input. The format comes from the extension; standard input and an unknown extension are sniffed
from the content. An unsupported, empty or damaged file is one InputError line.
"""

from __future__ import annotations

import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from tts_pipeline.document import MAX_INPUT_BYTES, decode, read_text
from tts_pipeline.errors import InputError

STDIN = "-"
STDIN_NAME = "stdin"
# A Word file is a zip holding its text and its pictures; a speech with photos stays well
# below this. (Text formats keep the text limit of document.read_text.)
MAX_DOCX_BYTES = 20 * 1024 * 1024
EXTENSIONS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}
SUPPORTED = ".txt, .md, .docx, .html, .htm, or - for standard input"
# Leading bytes of files we cannot read, and what to tell the user.
_UNSUPPORTED_MAGIC = (
    (b"\xd0\xcf\x11\xe0", "an old Word .doc (or other Office 97-2003) file: save it as .docx"),
    (b"%PDF", "a PDF file: copy its text into a .txt file"),
    (b"{\\rtf", "an RTF file: save it as .docx or .txt"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)
_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta)\b", re.I | re.S
)
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Block:
    """A paragraph of the source, or a heading (``level`` 1–6) of it."""

    text: str
    level: int = 0


@dataclass(frozen=True)
class SourceText:
    """What a reader found in a document, whatever its format."""

    name: str  # as messages name it: the path, or "stdin"
    stem: str  # the file's name without extension (the title when no line looks like one)
    format: str  # "txt" | "md" | "docx" | "html"
    blocks: tuple[Block, ...]
    title_hint: str | None = None  # the document's own title field (HTML <title>, Word's)
    notes: tuple[str, ...] = ()  # what the reader skipped (tables, text boxes, code, …)


def is_stdin(path: Path) -> bool:
    return str(path) == STDIN


def display_name(path: Path) -> str:
    return STDIN_NAME if is_stdin(path) else path.name


def output_stem(path: Path, title: str) -> str:
    """The output files' name: the input's, or for standard input one made from the title."""
    if not is_stdin(path):
        return path.stem
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', " ", title)
    safe = " ".join(safe.split()).strip(" .")[:60].strip()
    return safe or STDIN_NAME


def read_source(path: Path) -> SourceText:
    """Read ``path`` (or standard input for ``-``) in whatever supported format it is."""
    if is_stdin(path):
        return from_bytes(_read_stdin(), STDIN_NAME, STDIN_NAME)
    name, stem = str(path), path.stem
    declared = EXTENSIONS.get(path.suffix.lower())
    if declared == "docx":
        return _docx(_read_bounded(path, MAX_DOCX_BYTES), name, stem)
    if declared is not None:
        return from_text(read_text(path), name, stem, declared)
    return from_bytes(_read_bounded(path, max(MAX_INPUT_BYTES, MAX_DOCX_BYTES)), name, stem)


def from_bytes(data: bytes, name: str, stem: str) -> SourceText:
    """A document whose format is not known from its name: sniffed from its first bytes."""
    if data.startswith(b"PK\x03\x04"):
        return _docx(data, name, stem)
    for magic, what in _UNSUPPORTED_MAGIC:
        if data.startswith(magic):
            raise InputError(f"{name} is {what} (supported: {SUPPORTED})")
    text = decode(data, name=name)
    head = text.lstrip("\ufeff")[:2048].encode("utf-8", errors="replace")
    return from_text(text, name, stem, "html" if _HTML_START.match(head) else "txt")


def from_text(text: str, name: str, stem: str, fmt: str) -> SourceText:
    if fmt == "html":
        from tts_pipeline.text.html_reader import read_html

        page = read_html(text, name)
        return SourceText(name, stem, "html", page.blocks, page.title, page.notes)
    if fmt == "md":
        blocks, notes = markdown_blocks(text)
        return SourceText(name, stem, "md", blocks, None, notes)
    return SourceText(name, stem, "txt", text_blocks(text))


def text_source(text: str, name: str = "input", stem: str = "input") -> SourceText:
    """A plain text already decoded (tests, the Python API)."""
    return SourceText(name, stem, "txt", text_blocks(text))


def _docx(data: bytes, name: str, stem: str) -> SourceText:
    from tts_pipeline.text.docx_reader import read_docx

    doc = read_docx(data, name)
    return SourceText(name, stem, "docx", doc.blocks, doc.title, doc.notes)


# ---------------------------------------------------------------------------------------------
# Reading bytes (formats that are not text: Word files, and what must be sniffed)


def _read_stdin() -> bytes:
    stream = sys.stdin.buffer if sys.stdin is not None else None
    if stream is None or sys.stdin.isatty():
        raise InputError(
            "- reads the speech from standard input, but nothing is piped in "
            "(e.g. cat speech.txt | tts-pipeline render -)"
        )
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(
            f"standard input holds more than {MAX_INPUT_BYTES / 1e6:.0f} MB; "
            "the limit for a speech (split the document)"
        )
    return data


def _read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or one clear InputError."""
    try:
        if path.is_dir():
            raise InputError(f"{path} is a directory, not a document")
        if not path.exists():
            raise InputError(f"input file not found: {path}")
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{path} is not a regular file (a device, a pipe or a socket)")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except InputError:
        raise
    except RuntimeError as exc:  # symlink loops surface as RuntimeError on some Pythons
        raise InputError(f"cannot read {path}: {exc}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(
            f"{path} is larger than {limit / 1e6:.0f} MB, the limit for this kind of document"
        )
    if not data:
        raise InputError(f"{path} is empty")
    return data


# ---------------------------------------------------------------------------------------------
# Plain text and Markdown


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
        if _FENCE.match(line):
            fence = _FENCE.match(line).group(1)  # type: ignore[union-attr]
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

"""Read a speech from any supported format into one typed shape, ``SourceText``.

Formats: ``.txt`` and ``.md`` (text in UTF-8, UTF-16 or GB18030), ``.docx`` (Word), ``.html`` /
``.htm`` (a saved web page; its main text is extracted with trafilatura), and ``-`` for standard
input. The format comes from the extension; standard input and an unknown extension are sniffed
from the content. Every byte is read through ``user_files`` (regular files only, a hard byte
limit); an unsupported, empty or damaged file is one InputError line.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tts_pipeline.errors import InputError
from tts_pipeline.text.blocks import SourceFormat, SourceText
from tts_pipeline.text.decoding import decode
from tts_pipeline.text.markdown import markdown_blocks, text_blocks
from tts_pipeline.user_files import STDIN_NAME, is_stdin, read_stream, read_user_file

# Refuse larger texts: a speech is kilobytes; 5 MB of text is a long book (~4 days of audio).
MAX_INPUT_BYTES = 5 * 1024 * 1024
# A Word file is a zip holding its text and its pictures; a speech with photos stays well
# below this.
MAX_DOCX_BYTES = 20 * 1024 * 1024
_ADVICE = "split the document"
EXTENSIONS: dict[str, SourceFormat] = {
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
_ZIP_MAGIC = b"PK\x03\x04"
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


def read_source(path: Path) -> SourceText:
    """Read ``path`` (or standard input for ``-``) in whatever supported format it is."""
    if is_stdin(path):
        return from_bytes(_read_stdin(), STDIN_NAME, STDIN_NAME)
    name, stem = str(path), path.stem
    declared = EXTENSIONS.get(path.suffix.lower())
    if declared == "docx":
        return _docx(_read(path, MAX_DOCX_BYTES), name, stem)
    if declared is not None:
        return from_text(read_text(path), name, stem, declared)
    return from_bytes(_read(path, max(MAX_INPUT_BYTES, MAX_DOCX_BYTES)), name, stem)


def read_text(path: Path) -> str:
    """Read and decode a text file, or raise InputError with one clear line."""
    return decode(_read(path, MAX_INPUT_BYTES), name=str(path))


def from_bytes(data: bytes, name: str, stem: str) -> SourceText:
    """A document whose format is not known from its name: sniffed from its first bytes."""
    if data.startswith(_ZIP_MAGIC):
        return _docx(data, name, stem)
    for magic, what in _UNSUPPORTED_MAGIC:
        if data.startswith(magic):
            raise InputError(f"{name} is {what} (supported: {SUPPORTED})")
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(
            f"{name} holds more than {MAX_INPUT_BYTES >> 20} MB of text; the limit for text is "
            f"{MAX_INPUT_BYTES >> 20} MB ({_ADVICE})"
        )
    text = decode(data, name=name)
    head = text.lstrip("\ufeff")[:2048].encode("utf-8", errors="replace")
    return from_text(text, name, stem, "html" if _HTML_START.match(head) else "txt")


def from_text(text: str, name: str, stem: str, fmt: SourceFormat) -> SourceText:
    """A document decoded already, read as the text format ``fmt``."""
    if fmt == "html":
        from tts_pipeline.text.html_reader import read_html  # (trafilatura: only when needed)

        page = read_html(text, name)
        return SourceText(name, stem, "html", page.blocks, page.title, page.notes)
    if fmt == "md":
        blocks, notes = markdown_blocks(text)
        return SourceText(name, stem, "md", blocks, None, notes)
    return SourceText(name, stem, "txt", text_blocks(text))


def _docx(data: bytes, name: str, stem: str) -> SourceText:
    from tts_pipeline.text.docx_reader import read_docx  # (python-docx: only when needed)

    if not data.strip():
        raise InputError(f"{name} is empty")
    doc = read_docx(data, name)
    return SourceText(name, stem, "docx", doc.blocks, doc.title, doc.notes)


def _read(path: Path, limit: int) -> bytes:
    return read_user_file(path, what="input file", limit=limit, error=InputError, advice=_ADVICE)


def _read_stdin() -> bytes:
    stream = sys.stdin.buffer if sys.stdin is not None else None
    if stream is None or sys.stdin.isatty():
        raise InputError(
            "- reads the speech from standard input, but nothing is piped in "
            "(e.g. cat speech.txt | tts-pipeline render -)"
        )
    return read_stream(
        stream,
        what="the speech on",
        name="standard input",
        limit=max(MAX_INPUT_BYTES, MAX_DOCX_BYTES),
        error=InputError,
        advice=_ADVICE,
    )

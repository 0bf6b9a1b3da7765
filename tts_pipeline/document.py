"""Load a speech, remove what is not part of the speech, and find title and chapters.

The readers of each format are in ``text/sources.py``; page chrome in ``text/chrome.py``; the
title in ``text/title.py``. Pure functions except ``read_text`` and ``load_document``, which
touch the file system.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tts_pipeline.errors import InputError
from tts_pipeline.text.chrome import RemovedLine, find_chrome
from tts_pipeline.text.title import TitleLine, choose_title

if TYPE_CHECKING:
    from tts_pipeline.text.sources import SourceText

# Refuse larger inputs: a speech is kilobytes; 5 MB of text is a long book (~4 days of audio).
MAX_INPUT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Chapter:
    """A chapter of the speech. ``heading`` is True when the title line itself is spoken."""

    title: str
    paragraphs: tuple[str, ...]
    kind: str  # "opening" | "section" | "closing"
    heading: bool = False


@dataclass(frozen=True)
class Document:
    title: str
    chapters: tuple[Chapter, ...]
    language: str = "zh-CN"
    removed: tuple[RemovedLine, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())  # what the reader skipped (tables, text boxes)
    title_origin: str = "document"  # "document" | "page" | "file name" | "option"


# ---------------------------------------------------------------------------------------------
# Loading and decoding


def read_text(path: Path) -> str:
    """Read and decode a text file, or raise InputError with one clear line."""
    try:
        if path.is_dir():
            raise InputError(f"{path} is a directory, not a text file")
        if not path.exists():
            raise InputError(f"input file not found: {path}")
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(
                f"{path} is {size / 1e6:.1f} MB; the limit is {MAX_INPUT_BYTES / 1e6:.0f} MB "
                "of text (split the document)"
            )
        data = path.read_bytes()
    except InputError:
        raise
    except RuntimeError as exc:  # symlink loops surface as RuntimeError on some Pythons
        raise InputError(f"cannot read {path}: {exc}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode(data, name=str(path))


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes, name: str = "input") -> str:
    """Decode UTF-8 (with or without BOM), UTF-16/32 with BOM, UTF-16 without BOM, GB18030."""
    if not data.strip():
        raise InputError(f"{name} is empty")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(encoding, errors="strict"), name)
    try:
        return _checked(data.decode("utf-8"), name)
    except UnicodeDecodeError as exc:
        _refuse_mixed_utf8(data, exc.start, name)
    bom_less_utf16 = _guess_utf16(data)
    if bom_less_utf16:
        try:
            return _checked(data.decode(bom_less_utf16), name)
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise InputError(f"{name} looks like binary data, not text")
    try:
        # GB18030 is a superset of GBK and GB2312: Chinese documents often come in it.
        return _checked(data.decode("gb18030"), name)
    except UnicodeDecodeError:
        raise InputError(
            f"{name} is not text in a known encoding (tried UTF-8, UTF-16, GB18030)"
        ) from None


def _refuse_mixed_utf8(data: bytes, bad_at: int, name: str) -> None:
    """A file that is valid UTF-8 with Chinese in it up to some point and then is not was pasted
    together from files in different encodings: decoding it as one would garble one part."""
    head = data[:bad_at]
    if sum(1 for byte in head if byte >= 0xE0) >= 4:  # several multi-byte UTF-8 characters
        line = head.count(b"\n") + 1
        raise InputError(
            f"{name} mixes encodings: UTF-8 up to line {line}, then bytes that are not UTF-8 "
            "(re-save the whole file as UTF-8)"
        )


def _guess_utf16(data: bytes) -> str | None:
    """UTF-16 without BOM: NUL bytes present, and one byte order decodes to plausible text."""
    if len(data) < 4 or len(data) % 2 or b"\x00" not in data:
        return None
    best, best_score = None, 0.9
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = sum(1 for ch in text if _plausible(ch)) / len(text)
        if score > best_score:
            best, best_score = encoding, score
    return best


def _plausible(ch: str) -> bool:
    """A character ordinary prose is made of (so wrong-byte-order UTF-16 scores low)."""
    code = ord(ch)
    return (
        0x20 <= code < 0x7F
        or ch in "\n\r\t"
        or 0x3000 <= code <= 0x303F  # CJK punctuation
        or 0x4E00 <= code <= 0x9FFF  # CJK ideographs
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x2010 <= code <= 0x206F  # general punctuation (quotes, dashes)
        or 0xC0 <= code <= 0x24F  # Latin with accents
    )


def _checked(text: str, name: str) -> str:
    """Refuse decoded text that is mostly control characters (binary data that decoded)."""
    controls = sum(
        1 for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\r\t\f"
    )
    if controls > max(2, len(text) // 100):
        raise InputError(f"{name} looks like binary data, not text")
    if not text.strip():
        raise InputError(f"{name} holds only white space")
    return text


# ---------------------------------------------------------------------------------------------
# Cleaning

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ASCII_TO_FULLWIDTH = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？"}
_PUNCT_NEAR_CJK = re.compile(rf"(?<=[{CJK}”’》）])([,:;!?])|([,:;!?])(?=[{CJK}“‘《（])")


def normalize_whitespace(text: str) -> str:
    """Unify line endings and spaces: full-width and no-break spaces become plain spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = re.sub(r"[\u3000\u00a0\u2000-\u200a\u202f\u205f\t]", " ", text)
    text = re.sub(r"[\u200b\u200c\u200d\u2060\ufeff]", "", text)  # zero-width characters
    # Control characters other than newline cannot be spoken and break engines.
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs"))
    return "\n".join(line.strip() for line in text.split("\n"))


def fullwidth_punctuation(text: str) -> str:
    """ASCII , : ; ! ? next to Chinese become full-width, as Chinese typesetting writes them."""

    def repl(match: re.Match[str]) -> str:
        return _ASCII_TO_FULLWIDTH[match.group(1) or match.group(2)]

    return _PUNCT_NEAR_CJK.sub(repl, text)


def source_lines(source: SourceText) -> list[TitleLine]:
    """The source's blocks as clean lines: one per non-empty line, headings kept whole."""
    lines: list[TitleLine] = []
    for block in source.blocks:
        text = fullwidth_punctuation(normalize_whitespace(block.text))
        if block.level:
            joined = " ".join(part for part in text.split("\n") if part)
            if joined:
                lines.append(TitleLine(joined, block.level))
        else:
            lines.extend(TitleLine(part) for part in text.split("\n") if part)
    return lines


def clean(text: str) -> tuple[list[str], list[RemovedLine]]:
    """Split a plain text into lines and drop the page chrome (data/chrome.toml).

    Returns (paragraphs, removed lines with the rule that removed each).
    """
    from tts_pipeline.text.sources import text_source

    lines = [line.text for line in source_lines(text_source(text))]
    verdicts = find_chrome(lines)
    kept = [line for line, rule in zip(lines, verdicts, strict=True) if rule is None]
    removed = [RemovedLine(line, rule) for line, rule in zip(lines, verdicts, strict=True) if rule]
    return kept, removed


# ---------------------------------------------------------------------------------------------
# Chapters

CN_NUM = "一二三四五六七八九十百零〇两"
# Section marker styles, most formal first. A document's top level is the style of its first
# marked paragraph; only that style starts chapters (so （一） inside 第一 stays inside).
SECTION_STYLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ordinal", re.compile(rf"^第[{CN_NUM}]+[，,、：:．.]")),
    ("numeral", re.compile(rf"^[{CN_NUM}]+[、．.]")),
    ("paren", re.compile(rf"^[（(][{CN_NUM}]+[）)]")),
    ("arabic", re.compile(r"^\d{1,2}[、．]|^\d{1,2}\.(?!\d)")),
    ("chapter", re.compile(rf"^第[{CN_NUM}\d]+[章节部分篇]")),
)
CLOSING_OPENERS = re.compile(r"^(总之|最后|总而言之|综上所述|综上|总的来说|同志们，最后)")
SENTENCE_END = re.compile(r"[。！？；!?;]")
HEADING_CLAUSE_MAX = 60

CHAPTER_NAMES = {
    "zh": {"opening": "开场白", "closing": "结束语"},
    "en": {"opening": "Opening", "closing": "Closing"},
}


def detect_language(text: str) -> str:
    cjk = len(re.findall(rf"[{CJK}]", text))
    letters = len(re.findall(r"[A-Za-z]", text))
    return "zh-CN" if cjk >= letters / 4 else "en-US"


def chapter_names(language: str) -> dict[str, str]:
    return CHAPTER_NAMES.get(language.split("-")[0], CHAPTER_NAMES["en"])


def section_style(paragraph: str) -> str | None:
    for name, pattern in SECTION_STYLES:
        if pattern.match(paragraph):
            return name
    return None


def heading_clause(paragraph: str) -> str:
    """The heading of a numbered section: its text up to the first sentence end."""
    match = SENTENCE_END.search(paragraph)
    clause = paragraph[: match.start()] if match else paragraph
    if len(clause) > HEADING_CLAUSE_MAX:
        clause = clause[:HEADING_CLAUSE_MAX].rstrip("，、,") + "…"
    return clause.strip()


def parse(text: str, language: str | None = None) -> Document:
    """Find title, chapters and removed lines in a decoded plain text."""
    from tts_pipeline.text.sources import text_source

    return build_document(text_source(text), language)


def build_document(
    source: SourceText,
    language: str | None = None,
    *,
    title: str | None = None,
    keep_all: bool = False,
) -> Document:
    """Title, chapters and removed lines of a document read by any reader.

    Page chrome is removed (each line with its rule), the title is chosen by what a title
    looks like and its copies dropped; ``keep_all`` keeps every line, ``title`` overrides.
    """
    lines = source_lines(source)
    verdicts = [None] * len(lines) if keep_all else find_chrome([line.text for line in lines])
    kept = [i for i, rule in enumerate(verdicts) if rule is None]
    choice = choose_title(
        [lines[i] for i in kept],
        file_name=source.stem,
        hint=source.title_hint,
        override=title,
        drop_extra=not keep_all,
    )
    rules: dict[int, str] = {i: rule for i, rule in enumerate(verdicts) if rule is not None}
    rules.update((kept[k], rule) for k, rule in choice.removed)
    own = {kept[k] for k in choice.lines}
    body = [lines[i] for i in kept if i not in rules and i not in own]
    removed = tuple(RemovedLine(lines[i].text, rules[i]) for i in sorted(rules))
    if not body and not own and title is None:
        raise InputError(f"{source.name} holds no speech text")
    lang = language or detect_language("\n".join([choice.title, *(line.text for line in body)]))
    names = chapter_names(lang)
    if any(line.level for line in body):
        chapters = _heading_chapters(body, names)
    else:
        chapters = _heuristic_chapters([line.text for line in body], names)
    if not chapters:
        # A title alone: speak it as the only chapter.
        chapters = [Chapter(title=names["opening"], paragraphs=(), kind="opening")]
    notes = source.notes
    if choice.origin in ("file name", "page"):
        where = "the file name" if choice.origin == "file name" else "the document's own title"
        notes += (f"no line looks like a title; {where} is the title (set one with --title)",)
    return Document(
        title=choice.title,
        chapters=tuple(chapters),
        language=lang,
        removed=removed,
        notes=notes,
        title_origin=choice.origin,
    )


def _heading_chapters(body: list[TitleLine], names: dict[str, str]) -> list[Chapter]:
    """Headings of the top level present start chapters (a Word heading style, Markdown #);
    deeper headings are read inside their chapter."""
    top = min(line.level for line in body if line.level)
    chapters: list[Chapter] = []
    current_title, current_kind, current_heading = names["opening"], "opening", False
    current: list[str] = []
    for line in body:
        if line.level == top:
            if current or current_heading:
                chapters.append(
                    Chapter(current_title, tuple(current), current_kind, current_heading)
                )
            current_title, current_kind, current_heading = line.text, "section", True
            current = []
        else:
            current.append(line.text)
    if current or current_heading:
        chapters.append(Chapter(current_title, tuple(current), current_kind, current_heading))
    return chapters


def _heuristic_chapters(body: list[str], names: dict[str, str]) -> list[Chapter]:
    top_style = next((s for p in body if (s := section_style(p))), None)
    starts = [i for i, p in enumerate(body) if top_style and section_style(p) == top_style]
    if not starts:
        return [Chapter(names["opening"], tuple(body), "opening")] if body else []
    chapters: list[Chapter] = []
    if starts[0] > 0:
        chapters.append(Chapter(names["opening"], tuple(body[: starts[0]]), "opening"))
    last = starts[-1]
    closing_at = next(
        (i for i in range(last + 1, len(body)) if CLOSING_OPENERS.match(body[i])), None
    )
    bounds = [*starts, closing_at if closing_at is not None else len(body)]
    for begin, end in zip(bounds, bounds[1:], strict=False):
        chapters.append(Chapter(heading_clause(body[begin]), tuple(body[begin:end]), "section"))
    if closing_at is not None:
        chapters.append(Chapter(names["closing"], tuple(body[closing_at:]), "closing"))
    return chapters


def load_document(
    path: Path,
    language: str | None = None,
    *,
    title: str | None = None,
    keep_all: bool = False,
) -> Document:
    """Read ``path`` in any supported format (``-``: standard input) and find its speech."""
    from tts_pipeline.text.sources import read_source

    return build_document(read_source(path), language, title=title, keep_all=keep_all)

"""Load a speech text file, remove what is not part of the speech, and find title and chapters.

Pure functions except ``read_text``, which touches the file system.
"""

from __future__ import annotations

import codecs
import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from tts_pipeline.errors import InputError
from tts_pipeline.user_files import read_user_file

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
    removed: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------------------------
# Loading and decoding


def read_text(path: Path) -> str:
    """Read and decode a text file, or raise InputError with one clear line."""
    data = read_user_file(
        path,
        what="input file",
        limit=MAX_INPUT_BYTES,
        error=InputError,
        advice="split the document",
    )
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
    """A file that is valid UTF-8 up to ``bad_at`` and then is not: pasted together from files
    in different encodings (refuse it: decoding it as one would garble one part), or a GB18030
    file whose first bytes happen to be valid UTF-8 too (common for a character or two: 路 is
    C2 B7, the UTF-8 of ·), which decodes as GB18030.

    The length of the valid start proves nothing (a UTF-8 title may be two characters); what
    its bytes mean does. Files are pasted together line by line, so the question is whether
    "UTF-8 up to some line, GB18030 from there on" (the best such line) explains the start
    clearly better (``MIXED_EVIDENCE``) than "GB18030 throughout", each line scored by how
    much its reading is like Chinese text. A line that is no GB18030 at all settles it.
    """
    head = data[:bad_at]
    if head.isascii():
        return  # nothing but ASCII before the first non-UTF-8 byte: one encoding throughout
    start = 0
    if len(head) > MIXED_WINDOW_BYTES:  # a long valid start: its last lines are evidence enough
        newline = head.find(b"\n", len(head) - MIXED_WINDOW_BYTES)
        start = newline + 1 if newline >= 0 else len(head) - MIXED_WINDOW_BYTES
    lines = head[start:].split(b"\n")
    evidence = best = 0.0  # log P(UTF-8 up to here) - log P(GB18030 up to here)
    for number, line in enumerate(lines, 1):
        partial = number == len(lines)  # the line the non-UTF-8 bytes are on, up to them
        try:  # final=False: a character cut off by the first non-UTF-8 byte is left out
            as_gb18030 = codecs.getincrementaldecoder("gb18030")().decode(line, final=not partial)
        except UnicodeDecodeError:
            best = math.inf
            break
        as_utf8 = line.decode("utf-8", errors="ignore")
        evidence += chinese_log_likelihood(as_utf8) - chinese_log_likelihood(as_gb18030)
        best = max(best, evidence)
    if best <= MIXED_EVIDENCE:
        return
    line_number = head.count(b"\n") + 1
    raise InputError(
        f"{name} mixes encodings: UTF-8 up to line {line_number}, then bytes that are not UTF-8 "
        "(re-save the whole file as UTF-8)"
    )


# How much likelier (natural log) the UTF-8 reading of a file's start must be than its GB18030
# reading before the file counts as mixed: a file in one encoding is the likelier story, and
# e^7 ≈ 1,100 is less than what one character more common than another gives (e^5.8).
MIXED_EVIDENCE = 7.0
MIXED_WINDOW_BYTES = 4096


def chinese_log_likelihood(text: str) -> float:
    """log P(text) under a one-character-at-a-time model of Chinese prose (higher: more like
    Chinese text); see ``data/chinese_text_model.toml``."""
    logp = _text_model()
    return sum(logp[_character_kind(ch)] for ch in text)


@cache
def _text_model() -> dict[str, float]:
    table = resources.files("tts_pipeline").joinpath("data/chinese_text_model.toml").read_text()
    kinds = tomllib.loads(table)
    return {kind: math.log(row["share"] / row["size"]) for kind, row in kinds.items()}


@cache
def _character_kind(ch: str) -> str:
    if ch.isascii():
        return "ascii" if ch.isprintable() or ch in "\t\n\r" else "other"
    try:
        lead = ch.encode("gb2312")[0]
    except UnicodeEncodeError:
        is_ideograph = "IDEOGRAPH" in unicodedata.name(ch, "")
        return "other_ideographs" if is_ideograph else "other"
    if lead in (0xA1, 0xA3):
        return "punctuation"
    if 0xB0 <= lead <= 0xD7:
        return "common_hanzi"
    if 0xD8 <= lead <= 0xF7:
        return "less_common_hanzi"
    return "other"


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

# Lines copied from the web along with the speech: attributions, sources, share notices.
BOILERPLATE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"由互联网用户分享",
        r"(文章|原文|本文)(地址|链接|来源|出处)\s*[:：]",
        r"转载请(注明|保留)",
        r"(版权|著作权)(归|所有)",
        r"免责声明",
        r"本文(由|来自|转自)",
        r"(?i)^\s*(source|via|read more|originally published)\s*[:：]",
    )
)
URL_RE = re.compile(r"(?i)\b(?:https?://|www\.)[^\s\u3000<>\"'“”‘’（）()，。！？；]+")
# A line that is mostly a link (little text around it) is a footer, not speech.
MIN_SPEECH_CHARS_AROUND_URL = 20

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


def is_boilerplate(line: str) -> bool:
    if any(p.search(line) for p in BOILERPLATE_PATTERNS):
        return True
    if URL_RE.search(line):
        rest = URL_RE.sub("", line)
        return len(re.sub(r"\W", "", rest)) < MIN_SPEECH_CHARS_AROUND_URL
    return False


def clean(text: str) -> tuple[list[str], list[str]]:
    """Split into paragraphs (non-empty lines) and drop the lines that are not speech.

    Returns (paragraphs, removed lines).
    """
    text = fullwidth_punctuation(normalize_whitespace(text))
    paragraphs: list[str] = []
    removed: list[str] = []
    for line in text.split("\n"):
        if not line:
            continue
        if is_boilerplate(line):
            removed.append(line)
        else:
            paragraphs.append(line)
    return paragraphs, removed


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
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*#*\s*$")
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
    """Find title, chapters and removed lines in a decoded text."""
    paragraphs, removed = clean(text)
    if not paragraphs:
        raise InputError("the document holds no speech text")
    lang = language or detect_language("\n".join(paragraphs))
    names = chapter_names(lang)
    title_line = paragraphs[0]
    heading = MARKDOWN_HEADING.match(title_line)
    title = heading.group(2) if heading else title_line
    body = paragraphs[1:]
    if any(MARKDOWN_HEADING.match(p) for p in body):
        chapters = _markdown_chapters(body, names)
    else:
        chapters = _heuristic_chapters(body, names)
    if not chapters:
        # A title alone: speak it as the only chapter.
        chapters = [Chapter(title=names["opening"], paragraphs=(), kind="opening")]
    return Document(title=title, chapters=tuple(chapters), language=lang, removed=tuple(removed))


def _markdown_chapters(body: list[str], names: dict[str, str]) -> list[Chapter]:
    chapters: list[Chapter] = []
    current_title, current_kind, current_heading = names["opening"], "opening", False
    current: list[str] = []
    for paragraph in body:
        match = MARKDOWN_HEADING.match(paragraph)
        if match:
            if current or current_heading:
                chapters.append(
                    Chapter(current_title, tuple(current), current_kind, current_heading)
                )
            current_title, current_kind, current_heading = match.group(2), "section", True
            current = []
        else:
            current.append(paragraph)
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


def load_document(path: Path, language: str | None = None) -> Document:
    return parse(read_text(path), language=language)

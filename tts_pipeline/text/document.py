"""A speech read in any format (``sources``), cleaned of page chrome (``chrome``), its title
(``title``) and chapters found: the Document.

Pure functions except ``load_document``, which reads the file (or standard input).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from tts_pipeline.errors import InputError
from tts_pipeline.text.blocks import SourceText
from tts_pipeline.text.chrome import RemovedLine, find_chrome
from tts_pipeline.text.sources import from_text, read_source
from tts_pipeline.text.title import SPOKEN_ORIGINS, TitleLine, TitleOrigin, choose_title


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
    removed: tuple[RemovedLine, ...] = ()  # lines not read aloud, each with its rule
    notes: tuple[str, ...] = ()  # what the reader skipped (tables, text boxes), the title's origin
    title_origin: TitleOrigin = "text"

    @property
    def title_spoken(self) -> bool:
        """The title is said when it is the speech's own (found in its text, or --title); a
        name (the file's, the title field's, "stdin") only names the files."""
        return self.title_origin in SPOKEN_ORIGINS


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
    """Find title, chapters and removed lines in a decoded plain text (named "input")."""
    return build_document(from_text(text, "input", "input", "txt"), language)


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
    verdicts: list[str | None] = (
        [None] * len(lines) if keep_all else find_chrome([line.text for line in lines])
    )
    kept = [i for i, rule in enumerate(verdicts) if rule is None]
    choice = choose_title(
        [lines[i] for i in kept],
        file_name=source.stem,
        title_field=source.title_field,
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
    if choice.origin not in SPOKEN_ORIGINS:
        where = "the input's name" if choice.origin == "file name" else "the title field"
        notes += (
            f"no line looks like a title: {where}, {choice.title!r}, names the files and is "
            "not spoken (give a title with --title)",
        )
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
    return build_document(read_source(path), language, title=title, keep_all=keep_all)

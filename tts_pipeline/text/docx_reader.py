"""A Word .docx → blocks, with python-docx (MIT).

Paragraphs in document order; Word heading styles (Heading 1…, 标题 1…, Title, or an outline
level) become heading blocks, which the chapter finder turns into chapters; numbered lists keep
their numbers as text (一、 / 第一， / 1. / ①, from data/numbering.toml) so the chapter
heuristics see them; a table laid out as one column is read in order, a grid is skipped with a
note; text boxes are skipped with a note.
"""

from __future__ import annotations

import io
import re
import tomllib
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from tts_pipeline.errors import InputError
from tts_pipeline.text.blocks import Block
from tts_pipeline.text.normalize.numbers import cardinal

# The text parts of a .docx unpacked: a zip whose XML unpacks to more than this is refused
# before python-docx reads it (a speech's document.xml is well under a megabyte).
MAX_XML_BYTES = 64 * 1024 * 1024
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
NUMBERING = Path(__file__).parent / "data" / "numbering.toml"
# Text boxes once each: Word stores a modern and a fallback copy (mc:Choice / mc:Fallback).
_TEXT_BOXES = etree.XPath(".//w:txbxContent[not(ancestor::mc:Fallback)]", namespaces=NS)
_OUTLINE_LEVEL = etree.XPath("./w:pPr/w:outlineLvl/@w:val", namespaces=NS)
_NUM_ID = etree.XPath("./w:pPr/w:numPr/w:numId/@w:val", namespaces=NS)
_NUM_LEVEL = etree.XPath("./w:pPr/w:numPr/w:ilvl/@w:val", namespaces=NS)
_TEXTS = etree.XPath(".//w:t/text()", namespaces=NS)


def _text_of(element: Any) -> str:
    return " ".join("".join(_TEXTS(element)).split())


_HEADING_STYLE = re.compile(r"^(heading|标题)\s*([1-9])$", re.I)
_TITLE_STYLES = {"title", "标题"}
_NUMBER_ENDS_IN_WORD = re.compile(r"[0-9A-Za-z\u3400-\u9fff]$")


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass(frozen=True)
class WordText:
    blocks: tuple[Block, ...]
    title: str | None
    notes: tuple[str, ...]


def read_docx(data: bytes, name: str) -> WordText:
    _check_package(data, name)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx on a damaged package: KeyError, XMLSyntaxError, …
        reason = " ".join(str(exc).split())[:80] or type(exc).__name__
        raise InputError(f"{name} is damaged: not a readable Word .docx file ({reason})") from None
    try:
        reader = _Reader(document, _Numbering.of(document))
        reader.walk(document.element.body)
        title = (document.core_properties.title or "").strip() or None
    except (KeyError, ValueError) as exc:  # a reference to a style or list that is not there
        raise InputError(f"{name} is damaged: not a readable Word .docx file ({exc})") from None
    if not any(block.text.strip() for block in reader.blocks):
        raise InputError(f"{name} holds no text (an empty Word document)")
    return WordText(tuple(reader.blocks), title, tuple(reader.notes))


def _check_package(data: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            infos = package.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise InputError(f"{name} is damaged: not a readable Word .docx file") from None
    names = {info.filename for info in infos}
    if "word/document.xml" not in names:
        raise InputError(f"{name} is a ZIP archive but not a Word .docx file")
    unpacked = sum(info.file_size for info in infos if info.filename.endswith((".xml", ".rels")))
    if unpacked > MAX_XML_BYTES:
        raise InputError(
            f"{name} unpacks to {unpacked / 1e6:.0f} MB of text; the limit is "
            f"{MAX_XML_BYTES / 1e6:.0f} MB"
        )


@dataclass
class _Reader:
    document: Any
    numbering: _Numbering
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def walk(self, container: Any) -> None:
        for child in container.iterchildren():
            if child.tag == _q("p"):
                self.paragraph(child)
            elif child.tag == _q("tbl"):
                self.table(child)
            elif child.tag == _q("sdt"):  # a content control: its content is ordinary text
                for content in child.iterchildren(_q("sdtContent")):
                    self.walk(content)

    def paragraph(self, element: Any) -> None:
        from docx.text.paragraph import Paragraph

        paragraph = Paragraph(element, self.document._body)
        boxes = _TEXT_BOXES(element)
        for box in boxes:
            text = _text_of(box)
            if text:
                self.notes.append(f"a text box skipped ({text[:20]!r}…)")
        text = paragraph.text
        if not text.strip():
            return
        level = _heading_level(paragraph, element)
        label = self.numbering.label(element, paragraph)
        lines = [line for line in text.split("\n") if line.strip()]
        if label and lines:
            lines[0] = label + lines[0].lstrip()
        if level:
            self.blocks.append(Block(" ".join(line.strip() for line in lines), level))
        else:
            self.blocks.extend(Block(line) for line in lines)

    def table(self, element: Any) -> None:
        rows = element.findall(_q("tr"))
        widest = max((len(row.findall(_q("tc"))) for row in rows), default=0)
        if widest <= 1:  # one column: a layout box around text, read in order
            for row in rows:
                for cell in row.findall(_q("tc")):
                    self.walk(cell)
            return
        first = _text_of(element)[:20]
        self.notes.append(
            f"a table skipped ({len(rows)} rows × {widest} columns, starting {first!r})"
        )


def _heading_level(paragraph: Any, element: Any) -> int:
    style = paragraph.style
    name = (style.name or "").strip() if style is not None else ""
    match = _HEADING_STYLE.match(name)
    if match:
        return min(int(match.group(2)), 6)
    if name.lower() in _TITLE_STYLES:
        return 1
    outline = _OUTLINE_LEVEL(element)
    while not outline and style is not None:
        outline = _OUTLINE_LEVEL(style.element)
        style = style.base_style
    if outline and outline[0].isdigit() and int(outline[0]) < 6:
        return int(outline[0]) + 1
    return 0


# ---------------------------------------------------------------------------------------------
# List numbers


@dataclass(frozen=True)
class _Level:
    start: int
    fmt: str
    text: str  # lvlText, e.g. "%1、" or "第%1，" or "%1.%2"


@dataclass
class _Numbering:
    nums: dict[str, tuple[str, dict[int, int]]]  # numId → (abstractNumId, start overrides)
    abstracts: dict[str, dict[int, _Level]]
    counters: dict[str, dict[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, document: Any) -> _Numbering:
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return cls({}, {})
        abstracts: dict[str, dict[int, _Level]] = {}
        for abstract in root.findall(_q("abstractNum")):
            levels: dict[int, _Level] = {}
            for lvl in abstract.findall(_q("lvl")):
                levels[_int(lvl.get(_q("ilvl")), 0)] = _Level(
                    start=_int(_val(lvl, "start"), 1),
                    fmt=_val(lvl, "numFmt") or "decimal",
                    text=_val(lvl, "lvlText") or "",
                )
            abstracts[abstract.get(_q("abstractNumId")) or ""] = levels
        nums: dict[str, tuple[str, dict[int, int]]] = {}
        for num in root.findall(_q("num")):
            overrides = {
                _int(o.get(_q("ilvl")), 0): _int(_val(o, "startOverride"), 1)
                for o in num.findall(_q("lvlOverride"))
                if o.find(_q("startOverride")) is not None
            }
            nums[num.get(_q("numId")) or ""] = (_val(num, "abstractNumId") or "", overrides)
        return cls(nums, abstracts)

    def label(self, element: Any, paragraph: Any) -> str:
        """The number Word shows before this paragraph ("一、", "1.", "①"), or ""."""
        num_id, ilvl = _num_pr(element, paragraph)
        if not num_id or num_id == "0" or num_id not in self.nums:
            return ""
        abstract_id, overrides = self.nums[num_id]
        levels = self.abstracts.get(abstract_id, {})
        if ilvl not in levels:
            return ""
        counts = self.counters.setdefault(num_id, {})
        start = overrides.get(ilvl, levels[ilvl].start)
        counts[ilvl] = counts.get(ilvl, start - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]
        level = levels[ilvl]
        if level.fmt in ("bullet", "none") or not level.text:
            return ""

        def number(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            lvl = levels.get(k, level)
            return format_number(counts.get(k, overrides.get(k, lvl.start)), lvl.fmt)

        label = re.sub(r"%([1-9])", number, level.text).strip()
        # Word puts a tab after the number; in text it needs a mark to read as a number.
        return label + "、" if _NUMBER_ENDS_IN_WORD.search(label) else label


def _num_pr(element: Any, paragraph: Any) -> tuple[str | None, int]:
    num_id = _NUM_ID(element)
    ilvl = _NUM_LEVEL(element)
    style = paragraph.style
    while not num_id and style is not None:  # a list style (List Number, 编号…) numbers it
        num_id = _NUM_ID(style.element)
        ilvl = ilvl or _NUM_LEVEL(style.element)
        style = style.base_style
    return (num_id[0] if num_id else None), _int(ilvl[0] if ilvl else None, 0)


def _val(element: Any, child: str) -> str | None:
    found = element.find(_q(child))
    return found.get(_q("val")) if found is not None else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


@cache
def _formats() -> dict[str, dict[str, Any]]:
    with NUMBERING.open("rb") as handle:
        return tomllib.load(handle)


def format_number(value: int, fmt: str) -> str:
    """A list counter as Word shows it in format ``fmt`` (w:numFmt)."""
    table = _formats()
    if fmt in table["sequence"]:
        symbols = table["sequence"][fmt]
        return symbols[value - 1] if 1 <= value <= len(symbols) else str(value)
    if fmt in table["digits"]:
        return "".join(table["digits"][fmt][int(d)] for d in str(value))
    if fmt in table["chinese"]:
        replace = table["chinese"][fmt]
        return "".join(replace.get(ch, ch) for ch in cardinal(str(value)))
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(value)


def _roman(value: int) -> str:
    out = ""
    for number, letters in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        while value >= number:
            out, value = out + letters, value - number
    return out

"""Bytes → text: UTF-8 (with or without BOM), UTF-16/32 with BOM, UTF-16 without BOM, GB18030;
a file pasted together from two encodings is refused, binary data is refused. Pure."""

from __future__ import annotations

import codecs
import math
import tomllib
import unicodedata
from functools import cache
from importlib import resources

from tts_pipeline.errors import InputError

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
            try:
                return _checked(data.decode(encoding, errors="strict"), name)
            except UnicodeDecodeError:  # cut short, or the BOM's bytes begin something else
                label = encoding.removesuffix("-sig").upper()
                raise InputError(
                    f"{name} starts with a {label} byte-order mark but is not {label} text"
                ) from None
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

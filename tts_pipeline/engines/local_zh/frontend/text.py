"""Character classes and tokenization: what is spoken, what is a pause, what is dropped.

Text reaching the engine is already normalized (numbers are words), but it may still hold Latin
letters, Chinese and ASCII punctuation, quotes and brackets, and now and then anything else
(emoji, symbols, control characters). Nothing here raises: unknown characters are dropped.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass


class Pause(enum.IntEnum):
    """Strength of the break a punctuation mark asks for (ordered: a bigger one wins)."""

    WORD = 1  # quotes, brackets, spaces: the words on either side are separate words
    LIST = 2  # 、 between listed items
    CLAUSE = 3  # ， ； ： — …
    SENTENCE = 4  # 。 ！ ？


class Kind(enum.Enum):
    HAN = "han"
    LATIN = "latin"
    PAUSE = "pause"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    pause: Pause = Pause.WORD


# Marks after NFKC folding (full-width ，！？；： become ASCII, … becomes "...").
_PAUSES: dict[str, Pause] = {
    **dict.fromkeys("。.!?｡", Pause.SENTENCE),
    **dict.fromkeys(",;:，；：—–~～", Pause.CLAUSE),
    **dict.fromkeys("、､", Pause.LIST),
    **dict.fromkeys("“”‘’\"'()[]{}《》〈〉【】「」『』〔〕<>/|·•-_", Pause.WORD),
}

_HAN_RE = re.compile("[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Digits left over after normalization are read one by one, like a code (better than silence).
_DIGITS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))

# An ellipsis folds to "..." under NFKC; it is one clause pause, not three sentence ends.
_ELLIPSIS_RE = re.compile(r"\.{2,}")


def is_han(char: str) -> bool:
    return bool(_HAN_RE.fullmatch(char))


def clean(text: str) -> str:
    """NFKC-fold (full-width letters and punctuation → ASCII) and read stray digits as 汉字."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _ELLIPSIS_RE.sub("…", folded)
    return "".join(_DIGITS.get(ch, ch) for ch in folded)


def tokenize(text: str) -> list[Token]:
    """Split text into runs of Han characters, runs of Latin letters, and pause marks.

    Whitespace separates words; every other character is dropped.
    """
    tokens: list[Token] = []
    run_kind: Kind | None = None
    run: list[str] = []

    def flush() -> None:
        nonlocal run_kind
        if run_kind is not None and run:
            tokens.append(Token(run_kind, "".join(run)))
        run.clear()
        run_kind = None

    for ch in clean(text):
        if is_han(ch):
            kind: Kind | None = Kind.HAN
        elif ch.isascii() and ch.isalpha():
            kind = Kind.LATIN
        else:
            kind = None
        if kind is not None:
            if kind is not run_kind:
                flush()
                run_kind = kind
            run.append(ch)
            continue
        pause = _PAUSES.get(ch)
        if pause is None and ch == "…":
            pause = Pause.CLAUSE
        if pause is None and (ch.isspace() or unicodedata.category(ch).startswith("Z")):
            pause = Pause.WORD
        if pause is None:
            continue  # emoji, symbols, control characters: not spoken, and no break either
        flush()
        tokens.append(Token(Kind.PAUSE, ch, pause))
    flush()
    return tokens


def spoken_units(text: str) -> int:
    """How many characters of ``text`` are spoken (Han characters, Latin letters, digits)."""
    return sum(1 for tok in tokenize(text) if tok.kind is not Kind.PAUSE for _ in tok.text)

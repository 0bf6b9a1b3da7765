"""Toned pinyin syllables → the Baker phoneme set (initial + final-with-tone).

The Baker corpus labels every syllable as an initial (``^`` when there is none) and a final
carrying the tone digit. Its finals spell out what written pinyin abbreviates: ``iou`` (you, liu),
``uei`` (wei, gui), ``uen`` (wen, lun), ``v``/``ve``/``van``/``vn`` (yu, jue, quan, xun), and the
"empty" vowels ``ii`` (zi ci si) and ``iii`` (zhi chi shi ri). The mapping is derived by rule
here; a test checks it against the ``pinyin_dict`` shipped in the model's ``baker_mapper.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# Every final the acoustic model knows (each exists with tones 1-5 in its symbol table).
# fmt: off
BAKER_FINALS = frozenset({
    "a", "ai", "an", "ang", "ao", "e", "ei", "en", "eng", "er", "i", "ia", "ian", "iang", "iao",
    "ie", "ii", "iii", "in", "ing", "iong", "iou", "o", "ong", "ou", "u", "ua", "uai", "uan",
    "uang", "uei", "uen", "ueng", "uo", "v", "van", "ve", "vn",
})
BAKER_INITIALS = frozenset({
    "^", "b", "c", "ch", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "q", "r", "s", "sh",
    "t", "x", "z", "zh",
})
# fmt: on

# Longest first so that "zh" wins over "z".
_INITIALS_BY_LENGTH = ("zh", "ch", "sh", *"bpmfdtnlgkhjqxrzcs")

# Syllabic nasals (嗯 ń, 呣 ḿ, 哼 hng) have no Baker final; ``en`` is what the corpus used for 嗯.
_NASAL_SYLLABLES = frozenset({"n", "ng", "m", "hm", "hng", "ê"})


@dataclass(frozen=True)
class BakerSyllable:
    """One syllable in Baker symbols: ``initial`` then ``final`` + tone; ``erhua`` adds er5."""

    initial: str
    final: str
    tone: int
    erhua: bool = False

    @property
    def symbols(self) -> tuple[str, ...]:
        tail = ("er5",) if self.erhua else ()
        return (self.initial, f"{self.final}{self.tone}", *tail)


def split_tone(pinyin: str) -> tuple[str, int]:
    """``"zhong1"`` → ``("zhong", 1)``; a syllable without a digit is neutral (5)."""
    if pinyin and pinyin[-1] in "12345":
        return pinyin[:-1], int(pinyin[-1])
    return pinyin, 5


@lru_cache(maxsize=4096)
def split_syllable(base: str) -> tuple[str, str] | None:
    """Toneless pinyin → (Baker initial, Baker final), or None when it is not a syllable."""
    base = base.lower().replace("ü", "v").replace("u:", "v")
    if not base or not base.isascii() and base != "ê":
        return None
    if base in _NASAL_SYLLABLES:
        return "^", "en"
    if base[0] == "y":
        rest = base[1:]
        if rest == "o":  # 哟 yo: the corpus files it under iou
            final = "iou"
        elif rest.startswith("u"):  # yu yue yuan yun: the vowel is ü
            final = "v" + rest[1:]
        elif rest.startswith("i"):  # yi yin ying
            final = rest
        else:  # ya yao ye you yan yang yong
            final = "i" + rest
        return _checked("^", final)
    if base[0] == "w":
        rest = base[1:]
        final = "u" if rest == "u" else "u" + rest  # wa wo wai wei wan wen wang weng
        return _checked("^", final)
    initial = next((i for i in _INITIALS_BY_LENGTH if base.startswith(i)), "")
    rest = base[len(initial) :]
    if not initial:
        return _checked("^", rest)  # a ai an ang ao e ei en eng er o ou
    if initial in ("j", "q", "x") and rest.startswith("u"):
        rest = "v" + rest[1:]  # ju que xuan jun: written u, spoken ü
    elif rest == "i" and initial in ("z", "c", "s"):
        rest = "ii"
    elif rest == "i" and initial in ("zh", "ch", "sh", "r"):
        rest = "iii"
    elif rest == "iu":
        rest = "iou"
    elif rest == "ui":
        rest = "uei"
    elif rest == "un":
        rest = "uen"
    elif rest == "ue" and initial in ("l", "n"):
        rest = "ve"  # lüe nüe are often typed lue nue
    return _checked(initial, rest)


def _checked(initial: str, final: str) -> tuple[str, str] | None:
    if initial in BAKER_INITIALS and final in BAKER_FINALS and _compatible(initial, final):
        return initial, final
    return None


_PALATALS = frozenset({"j", "q", "x"})
_RETROFLEXES = frozenset({"zh", "ch", "sh", "r"})
_SIBILANTS = frozenset({"z", "c", "s"})


def _compatible(initial: str, final: str) -> bool:
    """Mandarin phonotactics: which finals can follow which initials (rejects "zhv", "qa")."""
    if final == "ii":
        return initial in _SIBILANTS
    if final == "iii":
        return initial in _RETROFLEXES
    if final.startswith("v"):
        return initial in _PALATALS or initial in ("^", "l", "n")
    if final.startswith("i"):
        return initial not in _RETROFLEXES | _SIBILANTS | {"g", "k", "h", "f"}
    return initial not in _PALATALS


def to_baker(pinyin: str) -> BakerSyllable | None:
    """``"lve4"`` → ``BakerSyllable("l", "ve", 4)``; erhua ``"huar1"`` → hua1 + er5.

    Returns None for anything that is not a Mandarin syllable (the caller drops it).
    """
    base, tone = split_tone(pinyin.strip())
    parts = split_syllable(base)
    if parts is not None:
        return BakerSyllable(parts[0], parts[1], tone)
    # Erhua written into the syllable (nar3, huar1): the corpus spells it as the syllable + er5.
    if len(base) > 1 and base.endswith("r"):
        parts = split_syllable(base[:-1])
        if parts is not None:
            return BakerSyllable(parts[0], parts[1], tone, erhua=True)
    return None

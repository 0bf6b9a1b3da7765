"""Tone sandhi: the tone changes a Mandarin speaker makes that the dictionary does not write.

* 一 (yī): yí before a 4th tone, yì before 1st/2nd/3rd; stays yī when counted or ordinal
  (第一, 十一, 一九九八, 统一 at a word end) and is neutral between a repeated verb (看一看).
* 不 (bù): bú before a 4th tone; neutral between a repeated word (是不是).
* 3rd tone: a 3rd tone before another 3rd becomes 2nd. Inside a word runs are resolved from the
  right (小老虎 3-2-3) unless the word splits 2+1 (展览馆 2-2-3) or 2+2 (管理体系: each half, then
  where they meet, 2-2-3-4); across a word boundary only
  when one side is a single syllable, i.e. when the two form one prosodic word (很好, 我想).

The tones of 一/不 are decided from the dictionary tones of their neighbours, before those
neighbours change themselves (不一定 → bù yí dìng). Locked syllables never change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from tts_pipeline.engines.local_zh.frontend.g2p import Syllable, Word, is_dictionary_word
from tts_pipeline.engines.local_zh.frontend.text import is_han

_DIGITS = frozenset("零〇一二三四五六七八九")
_NUMERALS = _DIGITS | frozenset("十两")
_MAGNITUDES = frozenset("百千万亿")


@dataclass
class _Slot:
    """A syllable being worked on, with where it sits."""

    syllable: Syllable
    word: int
    position: int  # index inside its word
    word_length: int
    tone: int


def apply_sandhi(
    words: Sequence[Word], is_word: Callable[[str], bool] = is_dictionary_word
) -> list[Word]:
    """Return ``words`` with sandhi applied. ``words`` must be one phrase (no pause inside)."""
    slots = [
        _Slot(s, w, p, len(word.syllables), s.tone)
        for w, word in enumerate(words)
        for p, s in enumerate(word.syllables)
    ]
    _yi_bu(slots)
    _third_tone_in_words(slots, words, is_word)
    _third_tone_across_words(slots)
    rebuilt: list[list[Syllable]] = [[] for _ in words]
    for slot in slots:
        syllable = slot.syllable
        if slot.tone != syllable.tone:
            syllable = syllable.with_tone(slot.tone)
        rebuilt[slot.word].append(syllable)
    return [replace(word, syllables=tuple(s)) for word, s in zip(words, rebuilt, strict=True)]


def _yi_bu(slots: list[_Slot]) -> None:
    lexical = [slot.tone for slot in slots]
    for k, slot in enumerate(slots):
        if slot.syllable.locked or slot.syllable.text not in ("一", "不"):
            continue
        prev = slots[k - 1].syllable.text if k > 0 else None
        nxt = slots[k + 1].syllable.text if k + 1 < len(slots) else None
        next_tone = lexical[k + 1] if nxt is not None else None
        # X一X / X不X (看一看, 是不是): the three are one word, or three one-syllable words.
        inside = slot.position > 0 or slot.word_length == 1
        repeated = inside and prev is not None and prev == nxt and is_han(prev)
        if slot.syllable.text == "一":
            slot.tone = _yi_tone(slot, prev, nxt, next_tone, repeated)
        else:
            slot.tone = 4 if next_tone is None else 5 if repeated else 2 if next_tone == 4 else 4


def _yi_tone(
    slot: _Slot, prev: str | None, nxt: str | None, next_tone: int | None, repeated: bool
) -> int:
    if prev == "第":
        return 1  # ordinal
    if repeated:
        return 5  # 看一看
    if nxt is None or next_tone is None:
        return 1
    if nxt in _DIGITS:
        return 1  # read digit by digit: 一九九八
    if prev is not None and prev in _NUMERALS | _MAGNITUDES and nxt not in _MAGNITUDES:
        return 1  # inside a number: 十一, 三十一, 一百一十
    if slot.position == slot.word_length - 1 and slot.word_length > 1:
        return 1  # word-final: 统一, 唯一, 之一
    return 2 if next_tone in (4, 5) else 4


def _third_tone_in_words(
    slots: list[_Slot], words: Sequence[Word], is_word: Callable[[str], bool]
) -> None:
    start = 0
    while start < len(slots):
        end = start
        while end < len(slots) and slots[end].word == slots[start].word:
            end += 1
        word_slots = slots[start:end]
        tones = [s.tone for s in word_slots]
        text = words[slots[start].word].text
        if len(word_slots) == 3 and tones == [3, 3, 3] and is_word(text[:2]):
            _lower(word_slots[0])  # 2+1 word (展览|馆): both of the first pair change
            _lower(word_slots[1])
        elif len(word_slots) == 4 and is_word(text[:2]) and is_word(text[2:]):
            # 2+2 word (管理|体系): each half first, then where they meet (guán lí tǐ xì)
            _right_to_left(word_slots[:2])
            _right_to_left(word_slots[2:])
            _right_to_left(word_slots[1:3])
        else:
            _right_to_left(word_slots)
        start = end


def _right_to_left(slots: Sequence[_Slot]) -> None:
    """A run of 3rd tones, resolved from the right (小老虎 3-2-3)."""
    for k in range(len(slots) - 2, -1, -1):
        if slots[k].tone == 3 and slots[k + 1].tone == 3:
            _lower(slots[k])


def _third_tone_across_words(slots: list[_Slot]) -> None:
    for k in range(len(slots) - 2, -1, -1):
        left, right = slots[k], slots[k + 1]
        if left.word == right.word or left.tone != 3 or right.tone != 3:
            continue
        if left.word_length == 1 or right.word_length == 1:
            _lower(left)


def _lower(slot: _Slot) -> None:
    if not slot.syllable.locked and slot.tone == 3:
        slot.tone = 2

"""Properties of Chinese normalization over arbitrary text (hypothesis).

For any input: normalization never raises, the spoken text holds no ASCII digit and no
placeholder letter, normalizing it again changes nothing, and every placeholder hit points at
what was written.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tts_pipeline.text.normalize import normalize, normalize_all
from tts_pipeline.text.normalize.placeholders import keep_suffixes

# Characters the rules care about, so random text hits them often; plus fragments that trigger
# whole rules (links, cue words, units).
ATOMS = list(
    "0123456789０１２３XxX×ＸｘX%％‰.,，:：-－~～/／+=*＊×÷<>±≥ 年月日号个人万亿元第中学区同志"
    "某若干点分秒光abcAZG$¥￥€℃°kgmhsw@。、（）“”\n\t "
) + [
    "http://a.com", "www.b.cn", "a@b.com", "公元", "拨打", "编号", "比分", "中国", "尾号",
    "a.m.", "km/h", "m²", "个百分点", "10:30", "2024-01-02", "XX亿元", "20xx年", "*一中",
]  # fmt: skip
TEXTS = st.one_of(
    st.lists(st.sampled_from(ATOMS), max_size=24).map("".join),
    st.text(max_size=40),
)
PROFILE = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# A placeholder letter: X/x touching no other Latin letter (except the word X光 and its kin),
# or any ×, Ｘ, ｘ. Latin words (Xbox, SpaceX) are not placeholders.
_LETTER = re.compile(r"(?<![A-Za-z])[Xx]+(?![A-Za-z])|[×Ｘｘ]")


# The letter of a code in quotes as the code rule speaks it (“1+X” → “一加X”) is a letter too.
_CODE_LETTER = re.compile(r"(?<=加)[Xx](?=[”\"」』’'])")


def placeholder_letters(spoken: str) -> list[str]:
    found = []
    for match in _LETTER.finditer(spoken):
        is_word = match.group(0) in ("X", "x") and (
            spoken.startswith(keep_suffixes(), match.end())
            or bool(_CODE_LETTER.match(spoken, match.start()))
        )
        if not is_word:
            found.append(match.group(0))
    return found


@PROFILE
@given(TEXTS)
def test_spoken_text_has_no_digits_or_placeholder_letters(text: str) -> None:
    spoken = normalize(text).spoken
    assert not re.search(r"[0-9]", spoken), spoken
    assert placeholder_letters(spoken) == [], spoken


@PROFILE
@given(TEXTS)
def test_normalization_is_idempotent(text: str) -> None:
    once = normalize(text).spoken
    assert normalize(once).spoken == once


@PROFILE
@given(TEXTS)
def test_hits_point_at_what_was_written(text: str) -> None:
    result = normalize(text)
    end = 0
    for hit in result.placeholders:
        assert end <= hit.start < hit.end <= len(text)
        assert text[hit.start : hit.end] == hit.text
        end = hit.end


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXTS, max_size=5))
def test_a_document_normalizes_like_its_utterances(texts: list[str]) -> None:
    """Without fill-ins, normalizing a document is normalizing each utterance alone."""
    assert [n.spoken for n in normalize_all(texts)] == [normalize(t).spoken for t in texts]

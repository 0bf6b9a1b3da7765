"""Whatever text arrives, planning ends in a plan or in the tool's own clear error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tts_pipeline.errors import PipelineError
from tts_pipeline.text.decoding import decode
from tts_pipeline.text.document import parse
from tts_pipeline.text.segment import build_plan

ALPHABET = st.one_of(
    st.characters(codec=None),  # anything, lone surrogates included
    st.sampled_from(list("第一二三，。！？、XxＸ%％0123456789#\n\n\n \u3000\u200f\u202e\x00\x07")),
    st.sampled_from(
        ["😀", "👩‍👩‍👧", "مرحبا", "שלום", "\ud800", "\udfff", "http://a.b/c", "XX亿元"]
    ),
)
TEXTS = st.lists(ALPHABET, max_size=120).map("".join)


def plan_or_clear_error(text: str) -> None:
    try:
        plan = build_plan(parse(text))
    except PipelineError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for utterance in plan.utterances:
        assert utterance.text
        assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in utterance.spoken)
        assert not any(ord(ch) < 0x20 for ch in utterance.spoken)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_plan_never_raises_anything_else(text: str) -> None:
    plan_or_clear_error(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_decode_never_raises_anything_else(data: bytes) -> None:
    try:
        text = decode(data)
    except PipelineError:
        return
    plan_or_clear_error(text)


def test_long_unpunctuated_paragraph_plans() -> None:
    plan = build_plan(parse("标题\n" + "这是一段没有标点的很长的文字" * 400))
    assert max(len(u.text) for u in plan.utterances) <= 300
    assert "".join(u.text for u in plan.utterances[1:]) == "这是一段没有标点的很长的文字" * 400

"""Each engine says what of a text its voice cannot say; the plan lists it per utterance."""

from __future__ import annotations

import pytest

from tts_pipeline.engines.base import Speakability
from tts_pipeline.engines.edge.engine import EdgeEngine
from tts_pipeline.engines.espeak import EspeakEngine
from tts_pipeline.engines.local_zh.engine import LocalZhEngine
from tts_pipeline.engines.local_zh.frontend import reading, text_to_phonemes
from tts_pipeline.engines.local_zh.frontend.g2p import _char_reading, in_gb2312
from tts_pipeline.engines.speakable import Reading, assess
from tts_pipeline.text.document import parse
from tts_pipeline.text.segment import build_plan
from tts_pipeline.voices import load_profile


@pytest.mark.parametrize(
    "text, unspeakable, silent",
    [
        ("大家好😀，欢迎！", ("😀",), False),
        ("😀😀😀", ("😀😀😀",), True),
        ("！！！。。。", ("！！！。。。",), True),  # nothing to say: the whole text is reported
        ("مرحبا بكم في الاجتماع", ("مرحبا بكم في الاجتماع",), True),  # one run, spaces and all
        ("开会了（テスト）。GDP增长①%", ("テスト",), False),  # letters spelled, ① is 1
        ("👨‍👩‍👧 一家", ("👨‍👩‍👧",), False),  # joiners and selectors belong to their emoji
        ("", (), True),
    ],
)
def test_offline_mandarin_voice(text: str, unspeakable: tuple[str, ...], silent: bool) -> None:
    verdict = LocalZhEngine().speakability(text, load_profile("xiaomei"))
    assert verdict == Speakability(unspeakable, silent)


def test_the_front_end_drops_what_it_calls_unsaid_and_says_the_rest() -> None:
    # What the front end turns into phonemes agrees with what it says it says.
    alone = text_to_phonemes("好")
    for char in "中文A5😀مテ★·，":
        changed = text_to_phonemes(f"好{char}") != alone
        assert changed == (reading(char) is Reading.SAID), char


def test_every_gb2312_hanzi_has_a_reading() -> None:
    # has_reading takes this for granted (so planning need not load pypinyin's dictionary).
    hanzi = [
        char
        for lead in range(0xB0, 0xF8)
        for trail in range(0xA1, 0xFF)
        if (char := bytes([lead, trail]).decode("gb2312", errors="ignore"))
    ]
    assert len(hanzi) == 6763
    assert all(in_gb2312(char) and _char_reading(char) is not None for char in hanzi)
    assert not in_gb2312("𪚥") and not in_gb2312("、") and not in_gb2312("A")


def test_espeak_says_its_languages_letters_and_names_symbols() -> None:
    engine, voice = EspeakEngine(), load_profile("espeak-en")
    assert engine.speakability("Hello 😀 world, 3 cats ★", voice) == Speakability()
    assert engine.speakability("The word 你好 means hello.", voice) == Speakability(("你好",))
    assert engine.speakability("مرحبا", voice) == Speakability(("مرحبا",), silent=True)


def test_edge_voices_say_their_locales_script_but_no_emoji() -> None:
    engine = EdgeEngine()
    assert engine.speakability("大家好😀", load_profile("yunyang")) == Speakability(("😀",))
    assert engine.speakability("Hi 大家", load_profile("aria")) == Speakability(("大家",))
    assert engine.speakability("Привет", load_profile("zh-CN-XiaoyiNeural")).silent


def test_assess_groups_runs_between_said_characters() -> None:
    kinds = {"a": Reading.SAID, "x": Reading.UNSAID, " ": Reading.QUIET}

    def read(char: str) -> Reading:
        return kinds[char]

    assert assess("a x x a x ", read) == Speakability(("x x", "x"))
    assert assess("  ", read) == Speakability((), silent=True)


def test_plan_lists_unspeakable_text_per_utterance() -> None:
    voice, engine = load_profile("xiaomei"), LocalZhEngine()
    doc = parse("会议\n\n大家好😀。\n\nمرحبا بكم\n")
    plan = build_plan(doc, speakability=lambda text: engine.speakability(text, voice))
    assert [(x.text, x.utterance, x.silent) for x in plan.unspeakable] == [
        ("😀", "c01-p001", False),
        ("مرحبا بكم", "c01-p002", True),
    ]
    assert not plan.says_nothing
    assert plan.to_json()["unspeakable"] == [
        {"text": "😀", "utterance": "c01-p001", "silent": False},
        {"text": "مرحبا بكم", "utterance": "c01-p002", "silent": True},
    ]
    nothing = build_plan(
        parse("😀😀\n\n！！！\n"), speakability=lambda text: engine.speakability(text, voice)
    )
    assert nothing.says_nothing
    assert build_plan(doc).unspeakable == ()  # without an engine, nothing is judged

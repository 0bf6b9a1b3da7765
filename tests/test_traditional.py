"""Traditional characters are read like simplified ones by the offline voice (pages copied from
the web are often traditional): the same syllables, and the same audio from the real engine."""

from __future__ import annotations

import numpy as np
import pytest

from tts_pipeline.engines.base import SynthesisRequest
from tts_pipeline.engines.local_zh.engine import LocalZhEngine
from tts_pipeline.engines.local_zh.frontend import pinyin_of
from tts_pipeline.text.document import parse
from tts_pipeline.text.normalize import normalize
from tts_pipeline.text.segment import build_plan
from tts_pipeline.voices import load_profile

# The same sentences written both ways (by hand, not converted by the code under test). Words
# whose traditional form the word list does not know are the hard part: 復興, 銀行, 頭髮, 重複.
PAIRS = [
    ("為實現中華民族偉大復興而奮鬥", "为实现中华民族伟大复兴而奋斗"),
    ("各家銀行要加大對小微企業的支持力度", "各家银行要加大对小微企业的支持力度"),
    ("他的頭髮白了，但幹勁不減當年", "他的头发白了，但干劲不减当年"),
    ("避免重複建設，全區36萬人民受益", "避免重复建设，全区36万人民受益"),
    (
        "各位老師，同志們：今天我們在這裏隆重召開大會",
        "各位老师，同志们：今天我们在这里隆重召开大会",
    ),
]


@pytest.mark.parametrize(("traditional", "simplified"), PAIRS)
def test_same_syllables(traditional: str, simplified: str) -> None:
    spoken_t = normalize(traditional).spoken
    spoken_s = normalize(simplified).spoken
    assert pinyin_of(spoken_t) == pinyin_of(spoken_s)


def test_written_text_stays_traditional_in_the_plan() -> None:
    plan = build_plan(parse("校長在家長會上的致辭\n尊敬的各位家長：\n感謝大家來參加家長會。\n"))
    body = plan.utterances[-1]
    assert body.text == "感謝大家來參加家長會。"  # subtitles and the page show what was written
    assert body.spoken == "感谢大家来参加家长会。"


def test_same_audio_from_the_offline_engine() -> None:
    engine, voice = LocalZhEngine(), load_profile("xiaomei")
    texts = [normalize(PAIRS[0][0]).spoken, normalize(PAIRS[0][1]).spoken]
    requests = [SynthesisRequest(i, text) for i, text in enumerate(texts)]
    takes = dict(engine.synthesize(requests, voice, 1))
    traditional, simplified = takes[0].samples, takes[1].samples
    assert len(traditional) > 24_000 and np.array_equal(traditional, simplified)

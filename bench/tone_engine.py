"""A fast stand-in engine for the benchmarks: tone and noise bursts instead of speech.

It implements the Engine protocol (tts_pipeline/engines/base.py), so ``render(..., engine=
ToneEngine())`` runs the whole pipeline — take cache, trimming, loudness, encoding, subtitles —
on hours of audio in minutes. Each character of text becomes a 0.25 s "syllable" (a tone with a
Hann envelope, every seventh a noise burst, at a level that varies from syllable to syllable),
between short silences over a faint noise floor; the same text always gives the same take. Used
by the benchmarks only.

``write_document`` writes a synthetic document of a given length (unique paragraphs, Markdown
chapter headings) for it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tts_pipeline.engines.base import Boundary, Speakability, SynthesisRequest, Take

if TYPE_CHECKING:
    from tts_pipeline.voices import VoiceProfile

RATE = 24_000
SYLLABLE_SECONDS = 0.25
TONE_SECONDS = 0.20
EDGE_SECONDS = 0.20  # silence before and after the "speech"
LEVEL = 0.25  # peak of a tone
NOISE_FLOOR = 1e-4
SENTENCE_ENDS = "。！？"
# Characters the synthetic document is made of (plain Han text: nothing to normalize).
CHARACTERS = (
    "天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜金生丽水"
    "玉出昆冈剑号巨阙珠称夜光果珍李柰菜重芥姜海咸河淡鳞潜羽翔龙师火帝鸟官人皇始制文字乃服衣裳"
)


class ToneEngine:
    name = "tone"

    def identity(self, voice: VoiceProfile) -> str:
        return "tone v1 (benchmark stand-in)"

    def check(self, voice: VoiceProfile) -> None:
        pass

    def speakability(self, text: str, voice: VoiceProfile) -> Speakability:
        return Speakability()  # it makes a take of anything

    def synthesize(
        self, requests: Sequence[SynthesisRequest], voice: VoiceProfile, jobs: int = 1
    ) -> Iterator[tuple[int, Take]]:
        for request in requests:
            yield request.index, tone_take(request.text)


def tone_take(text: str) -> Take:
    spoken = [ch for ch in text if not ch.isspace() and ch not in "，、；：,.;:" + SENTENCE_ENDS]
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    syllable = round(SYLLABLE_SECONDS * RATE)
    tone = round(TONE_SECONDS * RATE)
    edge = round(EDGE_SECONDS * RATE)
    count = len(spoken)
    samples = rng.normal(0.0, NOISE_FLOOR, 2 * edge + syllable * count).astype(np.float32)
    # Every syllable at once: a tone (pitch from the character) or, every seventh, a noise
    # burst; levels vary from syllable to syllable as in speech.
    pitch = (140.0 + 15.0 * (np.array([ord(ch) for ch in spoken]) % 16)).astype(np.float32)
    t = np.arange(tone, dtype=np.float32) / np.float32(RATE)
    bursts = np.sin(np.float32(2 * np.pi) * pitch[:, np.newaxis] * t)
    noisy = np.arange(count) % 7 == 6
    bursts[noisy] = rng.uniform(-0.4, 0.4, (int(noisy.sum()), tone))
    levels = (LEVEL * rng.uniform(0.25, 1.0, count) ** 2).astype(np.float32)
    bursts *= levels[:, np.newaxis] * np.hanning(tone).astype(np.float32)
    body = samples[edge : edge + syllable * count].reshape(count, syllable)
    body[:, :tone] += bursts
    boundaries = []
    cursor = 0
    start_time = EDGE_SECONDS
    for i, ch in enumerate(text):
        if ch in SENTENCE_ENDS or i == len(text) - 1:
            sentence = text[cursor : i + 1]
            count = sum(1 for c in sentence if c in spoken)
            end_time = start_time + count * SYLLABLE_SECONDS
            if count:
                boundaries.append(Boundary(sentence, round(start_time, 4), round(end_time, 4)))
            start_time, cursor = end_time, i + 1
    return Take(samples, RATE, "tone", "tone", tuple(boundaries))


def write_document(path: Path, seconds: float, paragraph_chars: int = 120) -> int:
    """A document that the tone engine speaks for about ``seconds`` (pauses included): unique
    paragraphs of ``paragraph_chars`` characters, a chapter heading every 30 paragraphs.
    Returns the number of paragraphs."""
    spoken = paragraph_chars - paragraph_chars // 20  # a sentence end every 20 characters
    per_paragraph = spoken * SYLLABLE_SECONDS + 0.9  # trimmed take, then the paragraph pause
    count = max(1, round(seconds / per_paragraph))
    lines = ["基准测试文稿", ""]
    for i in range(count):
        if i % 30 == 0:
            lines += [f"# 第{_chinese_number(i // 30 + 1)}章", ""]
        rng = random.Random(i)
        chars = [rng.choice(CHARACTERS) for _ in range(paragraph_chars)]
        for end in range(19, paragraph_chars, 20):
            chars[end] = "。"  # sentences of 20 characters
        chars[-1] = "。"
        lines += ["".join(chars), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return count


def _chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")

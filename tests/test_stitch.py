from __future__ import annotations

import numpy as np

from tts_pipeline.document import parse
from tts_pipeline.engines.base import Take
from tts_pipeline.segment import build_plan
from tts_pipeline.stitch import (
    PROGRAMME_RATE,
    TRIM_KEEP_SECONDS,
    build_timeline,
    stream_pcm,
    to_rate,
    trim,
    voiced_bounds,
)
from tts_pipeline.voices import Pauses

SR = PROGRAMME_RATE


def tone(seconds: float, freq: float = 220.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def padded(lead: float, body: float, tail: float) -> Take:
    samples = np.concatenate([np.zeros(int(lead * SR)), tone(body), np.zeros(int(tail * SR))])
    return Take(samples.astype(np.float32), SR, "test", "tone")


def test_trim_removes_padding_but_keeps_margin() -> None:
    take = padded(0.7, 1.0, 1.3)
    start, end = voiced_bounds(take.samples, SR)
    keep = TRIM_KEEP_SECONDS * SR
    assert abs(start - (0.7 * SR - keep)) <= 0.011 * SR
    assert abs(end - (1.7 * SR + keep)) <= 0.011 * SR
    trimmed = trim(take)
    assert abs(len(trimmed) / SR - (1.0 + 2 * TRIM_KEEP_SECONDS)) < 0.025
    assert trimmed[0] == 0.0 and trimmed[-1] == 0.0  # faded in and out: no click


def test_trim_of_silence_is_empty() -> None:
    assert len(trim(Take(np.zeros(SR, dtype=np.float32), SR, "t", "v"))) == 0


def test_resample() -> None:
    assert len(to_rate(np.zeros(16000, dtype=np.float32), 16000, SR)) == SR


def test_timeline_is_exact_and_streams_the_same_length() -> None:
    doc = parse("T\nOne.\nTwo.\n# Next\nThree.\n")
    pauses = Pauses(title=1.0, paragraph=0.5, chapter=2.0)
    plan = build_plan(doc, pauses)
    bodies = [tone(0.5 + 0.1 * i) for i in range(len(plan.utterances))]
    lengths = [len(b) for b in bodies]
    timeline = build_timeline(plan, lengths)
    gaps = [p.gap_after / SR for p in timeline.placements]
    assert gaps == [u.pause_after for u in plan.utterances]
    for prev, nxt in zip(timeline.placements, timeline.placements[1:], strict=False):
        assert nxt.start == prev.end + prev.gap_after
    assert [m.title for m in timeline.chapters] == ["Opening", "Next"]
    assert timeline.chapters[0].start == 0
    heading = next(p for p in timeline.placements if p.utterance_id == "c02-p001")
    assert timeline.chapters[1].start == heading.start
    assert timeline.chapters[0].end == timeline.chapters[1].start
    assert timeline.chapters[-1].end == timeline.total
    pcm = b"".join(stream_pcm(timeline, iter(bodies)))
    assert len(pcm) == 2 * timeline.total
    audio = np.frombuffer(pcm, dtype="<i2")
    # The gap after the title is exact silence of the configured length.
    title = timeline.placements[0]
    assert not audio[title.end : title.end + title.gap_after].any()
    assert audio[title.start : title.end].any()

"""The produce stage streams: the memory it uses does not grow with the programme's length."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np

from tests.audio_tools import SR, noise, silence, tone
from tts_pipeline import produce
from tts_pipeline.document import parse
from tts_pipeline.engines.base import Boundary, Take
from tts_pipeline.export import Tags
from tts_pipeline.segment import build_plan

TAKE_SECONDS = 1.0


def _take(index: int) -> Take:
    """A take made when asked for (so only produce's own memory is measured); some are loud
    enough to need the limiter."""
    body = tone(TAKE_SECONDS, 160 + 10 * (index % 7), (0.2, 0.9, 0.4)[index % 3])
    samples = np.concatenate([silence(0.2), body, silence(0.3)])
    samples = (samples + noise(len(samples) / SR, -70, seed=index)).astype(np.float32)
    return Take(samples, SR, "synthetic", "tone", (Boundary("x", 0.2, 0.2 + TAKE_SECONDS),))


def _peak_bytes(tmp_path: Path, takes: int) -> int:
    """Peak Python/numpy memory (tracemalloc) while producing ``takes`` takes."""
    chapters = "\n".join(
        (f"# Chapter {i // 10}\n" if i % 10 == 0 else "") + f"Paragraph {i}."
        for i in range(takes - 1)
    )
    plan = build_plan(parse(f"Title\n{chapters}\n"))
    assert len(plan.utterances) >= takes
    options = produce.OutputOptions(formats=("wav",), subtitles=True)
    tracemalloc.start()
    try:
        produced = produce.produce(plan, _take, tmp_path / str(takes), "p", Tags("T"), options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert produced.timeline.duration > takes * TAKE_SECONDS
    return peak


def test_produce_memory_does_not_grow_with_the_programme(tmp_path: Path) -> None:
    short = _peak_bytes(tmp_path, 40)
    long = _peak_bytes(tmp_path, 200)
    # Holding the longer programme whole, even as 16-bit PCM, would take 15 MB more; what may
    # grow (timeline, cues, 10 loudness blocks per second) is a few kilobytes here.
    assert long < short + 4_000_000, (short, long)

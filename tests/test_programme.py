"""The programme streams: the memory it uses does not grow with the programme's length; stopping
it leaves nothing behind."""

from __future__ import annotations

import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from tests.audio_tools import SR, SyntheticEngine, noise, silence, tone
from tts_pipeline.engines.base import Boundary, Take
from tts_pipeline.errors import PipelineError, SynthesisError
from tts_pipeline.outputs.layout import OutputLayout
from tts_pipeline.outputs.programme import Production, ProgrammeOptions, produce
from tts_pipeline.outputs.sidecars import Sidecars, write_sidecars
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.render import RenderSettings, render
from tts_pipeline.synthesis.feed import TakeFeed
from tts_pipeline.synthesis.store import MemoryStore
from tts_pipeline.text.document import parse
from tts_pipeline.text.segment import build_plan
from tts_pipeline.voices import load_profile

TAKE_SECONDS = 1.0


def _take(index: int) -> Take:
    """A take made when asked for (so only produce's own memory is measured); some are loud
    enough to need the limiter."""
    body = tone(TAKE_SECONDS, 160 + 10 * (index % 7), (0.2, 0.9, 0.4)[index % 3])
    samples = np.concatenate([silence(0.2), body, silence(0.3)])
    samples = (samples + noise(len(samples) / SR, -70, seed=index)).astype(np.float32)
    return Take(samples, SR, "synthetic", "tone", (Boundary("x", 0.2, 0.2 + TAKE_SECONDS),))


def _peak_bytes(tmp_path: Path, takes: int) -> int:
    """Peak Python/numpy memory (tracemalloc) while producing ``takes`` takes and writing the
    subtitles."""
    chapters = "\n".join(
        (f"# Chapter {i // 10}\n" if i % 10 == 0 else "") + f"Paragraph {i}."
        for i in range(takes - 1)
    )
    plan = build_plan(parse(f"Title\n{chapters}\n"))
    assert len(plan.utterances) >= takes
    layout = OutputLayout(tmp_path / str(takes), "p")
    tags = Tags("T")
    tracemalloc.start()
    try:
        programme = produce(plan, _take, layout.audio(["wav"]), tags, ProgrammeOptions())
        write_sidecars(
            layout,
            plan,
            programme,
            tags,
            Sidecars(page=False),
            source="p.txt",
            voice=load_profile(None),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert programme.timeline.duration > takes * TAKE_SECONDS
    return peak


def test_produce_memory_does_not_grow_with_the_programme(tmp_path: Path) -> None:
    short = _peak_bytes(tmp_path, 40)
    long = _peak_bytes(tmp_path, 200)
    # Holding the longer programme whole, even as 16-bit PCM, would take 15 MB more; what may
    # grow (timeline, cues, 10 loudness blocks per second) is a few kilobytes here.
    assert long < short + 4_000_000, (short, long)


def test_a_cancelled_production_leaves_nothing_behind(tmp_path: Path) -> None:
    chapters = "\n".join(f"Paragraph {i}." for i in range(30))
    plan = build_plan(parse(f"Title\n{chapters}\n"))
    started = threading.Event()

    def slow_take(index: int) -> Take:
        if index == 1:
            started.set()
        time.sleep(0.05)  # the production cannot finish before it is cancelled
        return _take(index)

    out = tmp_path / "out"
    out.mkdir()
    (out / "p.wav").write_bytes(b"the previous render")
    targets = OutputLayout(out, "p").audio(["wav", "m4b"])
    production = Production(plan, slow_take, targets, Tags("T"), ProgrammeOptions()).start()
    assert started.wait(10)
    production.cancel()
    with pytest.raises(PipelineError):
        production.result()
    assert sorted(p.name for p in out.iterdir()) == ["p.wav"]
    assert (out / "p.wav").read_bytes() == b"the previous render"


class _ForgetfulStore(MemoryStore):
    """A take cache whose third take disappears once stored (another process cleared it)."""

    def get(self, key: str) -> Take | None:
        stored = list(self._takes)  # in the order they were put
        if len(stored) > 2 and key == stored[2]:
            return None
        return super().get(key)


def _render_four_paragraphs(tmp_path: Path, engine: SyntheticEngine, store: MemoryStore) -> None:
    """Render a five-utterance talk to WAV; the caller expects it to fail."""
    source = tmp_path / "talk.txt"
    source.write_text("Title\n\nOne.\n\nTwo.\n\nThree.\n\nFour.\n", encoding="utf-8")
    settings = RenderSettings(
        voice=load_profile(None), output_dir=tmp_path / "out", formats=("wav",)
    )
    render(source, settings, store=store, engine=engine)


def test_a_take_that_leaves_the_cache_mid_render_is_one_clear_error(tmp_path: Path) -> None:
    engine = SyntheticEngine(lambda text, index: _take(index))
    with pytest.raises(PipelineError, match="left the take cache"):
        _render_four_paragraphs(tmp_path, engine, _ForgetfulStore())
    assert not list((tmp_path / "out").glob("talk*"))


class _ForgetfulEngine(SyntheticEngine):
    """An engine with a bug: it ends without giving the third utterance a take."""

    def synthesize(self, requests, voice, jobs=1):  # type: ignore[no-untyped-def]
        for index, take in super().synthesize(requests, voice, jobs):
            if index != 2:
                yield index, take


def test_an_engine_that_skips_an_utterance_is_one_clear_error(tmp_path: Path) -> None:
    # Before this was checked the production waited for the missing take for ever.
    engine = _ForgetfulEngine(lambda text, index: _take(index))
    lost = r"without audio for 1 utterance\(s\) \(first: utterance 2\); 4 of 5 finished"
    with pytest.raises(SynthesisError, match=lost):
        _render_four_paragraphs(tmp_path, engine, MemoryStore())
    assert not list((tmp_path / "out").glob("talk*"))


def test_a_take_feed_stops_waiting_once_synthesis_is_over() -> None:
    store = MemoryStore()
    store.put("a", _take(0))
    feed = TakeFeed(store)
    feed.begin(["a", "b"], ["a"])
    answers: list[Take | None] = []
    waiting = threading.Thread(target=lambda: answers.append(feed.take(1)))
    waiting.start()
    time.sleep(0.1)
    assert answers == []  # "b" may still come
    feed.finish()
    waiting.join(10)
    assert answers == [None]
    assert feed.take(0) is not None

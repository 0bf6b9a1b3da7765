"""Orchestration: plan → synthesis → audio → outputs.

The programme is made while the takes are synthesized: each take is trimmed, levelled and
encoded as soon as it and every take before it exist (``outputs.programme``), so when synthesis
ends only the chapters and the files beside the audio remain (``outputs.sidecars``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tts_pipeline import scratch
from tts_pipeline.audio.loudness.measurements import MeasurementStore
from tts_pipeline.engines.base import Engine, Take
from tts_pipeline.engines.registry import default_jobs, engine_for
from tts_pipeline.outputs.layout import ensure_writable
from tts_pipeline.outputs.programme import Production, Programme
from tts_pipeline.outputs.sidecars import write_sidecars
from tts_pipeline.prepare import (
    PreparedDocument,
    VoiceCheck,
    check_voices,
    plan,
    prepare,
)
from tts_pipeline.settings import RenderResult, RenderSettings
from tts_pipeline.synthesis.cache import TakeCache
from tts_pipeline.synthesis.fallback import FallbackUse, Synthesis, synthesize_with_fallback
from tts_pipeline.synthesis.feed import TakeFeed
from tts_pipeline.synthesis.progress import NoProgress, Progress
from tts_pipeline.synthesis.store import MemoryStore, TakeStore
from tts_pipeline.text.word_list import SegmenterWords
from tts_pipeline.user_files import display_name

# The API of a render (``settings`` and ``prepare`` hold the parts made before synthesis).
__all__ = [
    "PreparedDocument",
    "RenderResult",
    "RenderSettings",
    "Rendering",
    "check_voices",
    "finish_outputs",
    "plan",
    "prepare",
    "render",
    "start_production",
    "take_store",
]


def render(
    source: Path | str,
    settings: RenderSettings | None = None,
    *,
    store: TakeStore | None = None,
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> RenderResult:
    """Render ``source`` (a document in any supported format, or ``-`` for standard input) to
    audio and the files beside it. ``store`` holds the takes (default: the take cache),
    ``engine`` replaces the voice's engine (tests)."""
    t0 = time.perf_counter()
    source, settings = Path(source), settings or RenderSettings()
    progress = progress or NoProgress()
    store = store if store is not None else take_store(settings)
    progress.stage("Reading and planning")
    engine = engine or engine_for(settings.voice)
    words = SegmenterWords(store.words_dir) if isinstance(store, TakeCache) else None
    document = prepare(source, settings, engine, store=store, words=words)
    progress.stage("Checking the voice")
    voices = check_voices(settings, engine)
    ensure_writable(settings.output_dir)
    sweep_leftovers(settings.output_dir, store)
    if words is not None:  # the render writes from here on: the word list may join the takes
        words.keep()
    rendering = Rendering(document, settings, engine, voices, store, progress, t0)
    rendering.synthesize()
    return rendering.finish()


def take_store(settings: RenderSettings) -> TakeStore:
    """Where a render keeps its takes: the take cache, or memory (``use_cache=False``)."""
    return TakeCache(settings.cache_dir) if settings.use_cache else MemoryStore()


class Rendering:
    """One document's render after ``prepare``, in two steps: ``synthesize`` (the production
    levels and encodes in its own thread as the takes arrive), then ``finish`` (the production
    catches up, the files beside the audio are written). A batch synthesizes the next document
    while this one finishes."""

    def __init__(
        self,
        document: PreparedDocument,
        settings: RenderSettings,
        engine: Engine,
        voices: VoiceCheck,
        store: TakeStore,
        progress: Progress,
        started: float,
    ) -> None:
        self.document, self.settings, self.engine = document, settings, engine
        self.voices, self.store, self.progress = voices, store, progress
        self.jobs = settings.jobs or default_jobs(settings.voice.engine)
        self._times = {"start": started, "planned": time.perf_counter()}
        self._feed = TakeFeed(store)
        memo = MeasurementStore(store.measurements_dir) if isinstance(store, TakeCache) else None
        self._production = start_production(document, self._feed.take, memo)
        self._synthesis: Synthesis | None = None

    def synthesize(self) -> None:
        """Every utterance a take (each stored the moment it arrives); the production follows."""
        document, progress = self.document, self.progress
        progress.stage("Synthesizing")
        try:
            self._synthesis = synthesize_with_fallback(
                document.speech,
                self.engine,
                document.voice,
                self.store,
                self.jobs,
                progress,
                self.voices.fallback,
                self.voices.unreachable,
                self._feed,
            )
        except BaseException:
            self._feed.close()  # the production stops and writes nothing
            self._production.abort()
            raise
        self._feed.finish()
        self._times["synthesized"] = time.perf_counter()

    def finish(self) -> RenderResult:
        """Wait for the programme, write the files beside it; the render's result."""
        assert self._synthesis is not None, "synthesize first"
        synthesis, document = self._synthesis, self.document
        outputs, programme = finish_outputs(
            document,
            self._production,
            self.progress,
            synthesis.fallback,
        )
        t_end, times = time.perf_counter(), self._times
        count, used = len(synthesis.keys), synthesis.fallback
        return RenderResult(
            outputs=outputs,
            duration=programme.timeline.duration,
            utterances=count,
            synthesized=synthesis.synthesized,
            reused=count - synthesis.synthesized,
            synthesis_seconds=times["synthesized"] - times["planned"],
            wall_seconds=t_end - times["start"],
            characters=document.characters,
            timings={
                "plan": times["planned"] - times["start"],
                "synthesis": times["synthesized"] - times["planned"],
                "stitch_export": t_end - times["synthesized"],
            },
            jobs=self.jobs,
            fallback_voice=used.voice.name if used else None,
            fallback_ids=used.utterance_ids if used else (),
            fallback_reason=used.reason if used else None,
            warnings=document.warnings,
            notes=document.speech.notes,
        )

    def abandon(self) -> None:
        """Stop the production (Ctrl-C in a batch): no partial file is left behind."""
        self._feed.close()
        self._production.cancel()


def start_production(
    document: PreparedDocument,
    take_at: Callable[[int], Take | None],
    memo: MeasurementStore | None = None,
) -> Production:
    """The document's production, started: it takes take after take from ``take_at``."""
    return Production(
        document.speech,
        take_at,
        document.targets,
        document.tags,
        document.options,
        memo=memo,
        sounds=document.sounds,
        chapter_files=document.chapter_files,
    ).start()


def finish_outputs(
    document: PreparedDocument,
    production: Production,
    progress: Progress,
    fallback: FallbackUse | None = None,
) -> tuple[dict[str, Path], Programme]:
    """Wait for the production to end, then write the files beside the audio: every file of the
    render (kind → path, the audio first) and the programme."""
    try:
        _follow(production, len(document.speech.utterances), progress)
        programme = production.result()
    except BaseException:
        production.cancel()  # Ctrl-C while finishing: no partial file is left behind
        raise
    outputs, _ = write_sidecars(
        document.layout,
        document.speech,
        programme,
        document.tags,
        document.sidecars,
        source=display_name(document.source),
        voice=document.voice,
        fallback=fallback,
        lexicon_files=document.lexicon_files,
        provenance=document.provenance,
    )
    return outputs, programme


def sweep_leftovers(output_dir: Path, store: TakeStore) -> None:
    """Remove what killed renders left (temporary files in the output folder and the take
    cache, scratch folders in the temporary folder); never a running render's."""
    scratch.sweep_parts(output_dir)
    scratch.sweep_temp_folders()
    if isinstance(store, TakeCache):
        store.sweep()


def _follow(production: Production, total: int, progress: Progress) -> None:
    """A second bar while the production catches up with synthesis (a re-render from the cache
    spends all its time here)."""
    if production.wait(0.2):
        return
    progress.stage("Synthesized")
    progress.start(total=total, done=production.done)
    progress.stage("Levelling and encoding")
    seen = production.done
    while not production.wait(0.2):
        now = production.done
        if now > seen:  # (a second loudness pass starts again from 0)
            progress.advance(now - seen)
            seen = now
    if total > seen:
        progress.advance(total - seen)

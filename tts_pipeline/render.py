"""Orchestration: plan → synthesis → audio → outputs.

The programme is made while the takes are synthesized: each take is trimmed, levelled and
encoded as soon as it and every take before it exist (``outputs.programme``), so when synthesis
ends only the chapters and the files beside the audio remain (``outputs.sidecars``).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tts_pipeline import scratch
from tts_pipeline.audio.loudness.leveller import (
    DEFAULT_TARGET_LUFS,
    DEFAULT_TRUE_PEAK_DBTP,
    check_target,
)
from tts_pipeline.audio.loudness.measurements import MeasurementStore
from tts_pipeline.engines.base import Engine, Take
from tts_pipeline.engines.registry import default_jobs, engine_for
from tts_pipeline.errors import EngineUnavailable, PipelineError
from tts_pipeline.outputs.containers import DEFAULT_FORMATS, parse_formats
from tts_pipeline.outputs.cover import Cover, load_cover
from tts_pipeline.outputs.freshness import input_sha256, settings_sha256, up_to_date
from tts_pipeline.outputs.layout import OutputLayout, ensure_writable
from tts_pipeline.outputs.manifest import Provenance
from tts_pipeline.outputs.programme import Production, Programme, ProgrammeOptions
from tts_pipeline.outputs.sidecars import Sidecars, write_sidecars
from tts_pipeline.outputs.tags import Tags
from tts_pipeline.synthesis.cache import TakeCache
from tts_pipeline.synthesis.fallback import FallbackUse, Synthesis, synthesize_with_fallback
from tts_pipeline.synthesis.feed import TakeFeed
from tts_pipeline.synthesis.progress import NoProgress, Progress
from tts_pipeline.synthesis.store import MemoryStore, TakeStore
from tts_pipeline.text.document import load_document
from tts_pipeline.text.normalize.fills import Fills, fill_warnings
from tts_pipeline.text.segment import Plan, build_plan
from tts_pipeline.text.unspeakable import require_speech, unspeakable_warnings
from tts_pipeline.user_files import display_name, is_stdin
from tts_pipeline.voices import VoiceProfile, load_profile


@dataclass(frozen=True)
class RenderSettings:
    """How to render. Every value is checked here, so a bad one fails before any synthesis."""

    voice: VoiceProfile = field(default_factory=lambda: load_profile(None))
    output_dir: Path = Path("output")
    jobs: int | None = None  # None: the engine's default (engines.registry.default_jobs)
    fills: Fills | None = None  # values for the template's placeholders
    cache_dir: Path | None = None  # None: the user cache folder (or $TTS_PIPELINE_CACHE_DIR)
    use_cache: bool = True
    # Format names, or comma-separated lists of them (as --format takes them).
    formats: tuple[str, ...] = DEFAULT_FORMATS
    loudness: float | None = DEFAULT_TARGET_LUFS  # LUFS; None: no normalization
    true_peak: float = DEFAULT_TRUE_PEAK_DBTP  # dBTP ceiling
    author: str | None = None  # default: the voice's display name
    cover: Path | None = None  # JPEG/PNG cover art
    date: str | None = None  # date tag; default: today (ISO)
    subtitles: bool = True  # .srt, .vtt, .chapters.vtt, .chapters.json
    page: bool = True  # <stem>.html listening page and <stem>.png waveform overview
    # Voice for the utterances the engine cannot deliver (--fallback); None: stop instead.
    fallback: VoiceProfile | None = None
    title: str | None = None  # the speech's title instead of the one found (--title)
    keep_all: bool = False  # read every line: no page chrome removed (--keep-all)
    cover_image: Cover | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", parse_formats(self.formats))
        if self.loudness is not None:
            object.__setattr__(self, "loudness", check_target(self.loudness))
        if self.cover is not None:
            object.__setattr__(self, "cover_image", load_cover(self.cover))


@dataclass(frozen=True)
class RenderResult:
    outputs: dict[str, Path]  # kind → file, every file written
    duration: float  # seconds of audio
    utterances: int
    synthesized: int
    reused: int
    synthesis_seconds: float
    wall_seconds: float
    characters: int
    timings: dict[str, float] = field(default_factory=dict)
    jobs: int = 1
    fallback_voice: str | None = None  # the fallback preset, if any utterance needed it
    fallback_ids: tuple[str, ...] = ()  # utterances spoken by the fallback voice
    fallback_reason: str | None = None  # why the engine could not deliver them
    warnings: tuple[str, ...] = ()  # things the user should know (unused fill-in keys, …)
    notes: tuple[str, ...] = ()  # what the document's reader skipped, where the title is from


def plan(
    source: Path | str,
    voice: VoiceProfile | None = None,
    fills: Fills | None = None,
    engine: Engine | None = None,
    *,
    title: str | None = None,
    keep_all: bool = False,
) -> Plan:
    """What will be spoken, without synthesizing: the document (any supported format, ``-`` for
    standard input) read and cleaned of page chrome, its title (``title`` replaces the one found)
    and chapters, its utterances with the spoken text and the pause after each, and what of them
    the voice cannot say (its engine, or ``engine``, tells). ``keep_all``: remove no line."""
    voice = voice or load_profile(None)
    speaker = engine or engine_for(voice)
    return build_plan(
        load_document(Path(source), title=title, keep_all=keep_all),
        voice.pauses,
        fills,
        speakability=lambda text: speaker.speakability(text, voice),
    )


@dataclass(frozen=True)
class VoiceCheck:
    """What checking the voices before synthesis found: the fallback voice and its engine (if
    any), and why the voice's own engine cannot be reached (then the fallback speaks all)."""

    fallback: tuple[Engine, VoiceProfile] | None = None
    unreachable: PipelineError | None = None


def check_voices(settings: RenderSettings, engine: Engine) -> VoiceCheck:
    """Check the voice (and the fallback voice) before any synthesis: once for a render, once
    for a whole batch."""
    fallback = (engine_for(settings.fallback), settings.fallback) if settings.fallback else None
    unreachable: PipelineError | None = None
    try:
        engine.check(settings.voice)
    except EngineUnavailable as exc:
        if fallback is None:
            raise
        unreachable = exc  # the fallback voice speaks everything not cached yet
    if fallback is not None:
        fallback[0].check(fallback[1])
    return VoiceCheck(fallback, unreachable)


@dataclass(frozen=True)
class PreparedDocument:
    """A document read and planned, with everything its files will be made of: what a render
    needs besides the takes (and what a Ray task gets: it pickles)."""

    source: Path
    speech: Plan
    layout: OutputLayout
    tags: Tags
    options: ProgrammeOptions
    formats: tuple[str, ...]
    sidecars: Sidecars
    voice: VoiceProfile
    provenance: Provenance | None

    @property
    def characters(self) -> int:
        """Spoken characters (what characters per second count)."""
        return sum(len(u.spoken) for u in self.speech.utterances)

    @property
    def expected(self) -> dict[str, Path]:
        """Every file its render writes."""
        return self.layout.expected(self.formats, self.sidecars.subtitles, self.sidecars.page)

    def up_to_date(self) -> bool:
        if self.provenance is None:
            return False
        return up_to_date(self.expected, self.layout.manifest, self.provenance)


def prepare(
    source: Path, settings: RenderSettings, engine: Engine, layout: OutputLayout | None = None
) -> PreparedDocument:
    """Read and plan ``source`` (one line of error if there is nothing to say) and settle what
    its files will be made of and where they go (``layout``; by default named after the source,
    or the title for standard input)."""
    voice = settings.voice
    speech = plan(
        source, voice, settings.fills, engine, title=settings.title, keep_all=settings.keep_all
    )
    require_speech(speech, voice, display_name(source))
    tags = Tags(
        title=speech.title,
        artist=settings.author or voice.display_name,
        date=settings.date or "",
        language=speech.language,
        comment="Narrated with tts-pipeline",
    )
    options = ProgrammeOptions(
        loudness=voice.loudness_target(settings.loudness),
        true_peak=settings.true_peak,
        cover=settings.cover_image,
        overview=settings.page,
    )
    fallback = (
        engine_for(settings.fallback).identity(settings.fallback) if settings.fallback else None
    )
    # Standard input is read once and never batched: nothing to compare a later run with.
    provenance = (
        None
        if is_stdin(source)
        else Provenance(
            input_sha256(source),
            settings_sha256(speech, engine.identity(voice), fallback, options, tags),
        )
    )
    return PreparedDocument(
        source=source,
        speech=speech,
        layout=layout or OutputLayout.for_source(settings.output_dir, source, speech.title),
        tags=replace(tags, date=settings.date or datetime.date.today().isoformat()),
        options=options,
        formats=settings.formats,
        sidecars=Sidecars(subtitles=settings.subtitles, page=settings.page),
        voice=voice,
        provenance=provenance,
    )


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
    document = prepare(source, settings, engine)
    progress.stage("Checking the voice")
    voices = check_voices(settings, engine)
    ensure_writable(settings.output_dir)
    sweep_leftovers(settings.output_dir, store)
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
            document, self._production, self.progress, synthesis.fallback
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
            warnings=fill_warnings(
                self.settings.fills, [u.text for u in document.speech.utterances]
            )
            + unspeakable_warnings(document.speech, document.voice),
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
    targets = document.layout.audio(document.formats)
    return Production(
        document.speech, take_at, targets, document.tags, document.options, memo=memo
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

"""Orchestration: plan → synthesize (progress, takes kept as they arrive) → stitch → export."""

from __future__ import annotations

import datetime
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tts_pipeline import containers, export, page, produce, subtitles
from tts_pipeline.engines.base import Engine
from tts_pipeline.engines.registry import default_jobs, engine_for
from tts_pipeline.errors import EngineUnavailable, PipelineError
from tts_pipeline.loudness import DEFAULT_TARGET_LUFS, DEFAULT_TRUE_PEAK_DBTP, parse_target
from tts_pipeline.synthesis.cache import TakeCache
from tts_pipeline.synthesis.fallback import FallbackUse, synthesize_with_fallback
from tts_pipeline.synthesis.feed import TakeFeed
from tts_pipeline.synthesis.progress import NoProgress, Progress
from tts_pipeline.synthesis.store import MemoryStore, TakeStore
from tts_pipeline.text.document import Document, load_document
from tts_pipeline.text.normalize.fills import as_fill_map
from tts_pipeline.text.segment import Plan, build_plan
from tts_pipeline.voices import VoiceProfile


@dataclass(frozen=True)
class RenderSettings:
    voice: VoiceProfile
    output_dir: Path
    jobs: int | None = None  # None: the engine's default (engines.default_jobs)
    fills: Any | None = None
    cache_dir: Path | None = None
    use_cache: bool = True
    # Output (issue 6). Checked here, so a bad value fails before any synthesis.
    formats: tuple[str, ...] = containers.DEFAULT_FORMATS
    loudness: float | None = DEFAULT_TARGET_LUFS  # LUFS; None: no normalization
    true_peak: float = DEFAULT_TRUE_PEAK_DBTP  # dBTP ceiling
    author: str | None = None  # default: the voice's display name
    cover: Path | None = None  # JPEG/PNG cover art
    date: str | None = None  # date tag; default: today (ISO)
    subtitles: bool = True  # .srt, .vtt, .chapters.vtt, .chapters.json
    page: bool = True  # <stem>.html listening page and <stem>.png waveform overview
    # Voice for the utterances the engine cannot deliver (--fallback); None: stop instead.
    fallback: VoiceProfile | None = None
    cover_image: containers.Cover | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", containers.parse_formats(self.formats))
        if self.loudness is not None:
            object.__setattr__(self, "loudness", parse_target(self.loudness))
        if self.cover is not None:
            object.__setattr__(self, "cover_image", containers.load_cover(self.cover))


@dataclass(frozen=True)
class RenderResult:
    outputs: dict[str, Path]
    duration: float
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


def fill_warnings(fills: Any | None, plan: Plan) -> tuple[str, ...]:
    """Fill-in keys that matched nothing (typos) and lists longer than the document needs."""
    fill_map = as_fill_map(fills)
    if not fill_map:
        return ()
    texts = [u.text for u in plan.utterances]
    warnings = [f"fill-in {key!r} matches no placeholder" for key in fill_map.unused(texts)]
    warnings += [
        f"fill-in {key!r} has {extra} more value(s) than occurrences"
        for key, extra in fill_map.surplus(texts).items()
    ]
    return tuple(warnings)


def plan_document(path: Path, voice: VoiceProfile, fills: Any | None = None) -> Plan:
    document: Document = load_document(path)
    return build_plan(document, voice.pauses, fills)


def render(
    source: Path,
    settings: RenderSettings,
    store: TakeStore | None = None,
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> RenderResult:
    t0 = time.perf_counter()
    progress = progress or NoProgress()
    if store is None:
        store = TakeCache(settings.cache_dir) if settings.use_cache else MemoryStore()
    voice = settings.voice
    progress.stage("Reading and planning")
    plan = plan_document(source, voice, settings.fills)
    engine = engine or engine_for(voice)
    fallback = (engine_for(settings.fallback), settings.fallback) if settings.fallback else None
    progress.stage("Checking the voice")
    unreachable: PipelineError | None = None
    try:
        engine.check(voice)
    except EngineUnavailable as exc:
        if fallback is None:
            raise
        unreachable = exc  # the fallback voice speaks everything not cached yet
    if fallback is not None:
        fallback[0].check(fallback[1])
    ensure_writable_dir(settings.output_dir)
    jobs = settings.jobs or default_jobs(voice.engine)
    out_dir = settings.output_dir
    manifest_path = out_dir / f"{source.stem}.manifest.json"
    tags = export.Tags(
        title=plan.title,
        artist=settings.author or voice.display_name,
        date=settings.date or datetime.date.today().isoformat(),
        language=plan.language,
        comment="Narrated with tts-pipeline",
    )
    options = produce.OutputOptions(
        formats=settings.formats,
        loudness=effective_loudness(settings.loudness, voice),
        true_peak=settings.true_peak,
        cover=settings.cover_image,
        subtitles=settings.subtitles,
        overview=settings.page,
    )
    # The programme is made while the takes are synthesized: each take is levelled and encoded
    # as soon as it and every take before it exist.
    feed = TakeFeed(store)
    memo = store.measurements if isinstance(store, TakeCache) else None
    production = produce.Production(plan, feed.take, out_dir, source.stem, tags, options, memo=memo)
    t_plan = time.perf_counter()
    progress.stage("Synthesizing")
    production.start()
    try:
        synthesis = synthesize_with_fallback(
            plan, engine, voice, store, jobs, progress, fallback, unreachable, feed
        )
    except BaseException:
        feed.close()  # the production stops and writes nothing
        production.abort()
        raise
    feed.finish()
    keys, synthesized = synthesis.keys, synthesis.synthesized
    t_synth = time.perf_counter()

    try:
        _follow(production, len(plan.utterances), progress)
        produced = production.result()
    except BaseException:
        production.cancel()  # Ctrl-C while finishing: no partial file is left behind
        raise
    timeline = produced.timeline
    page_path = out_dir / f"{source.stem}{page.PAGE_SUFFIX}"
    pages = {"page": page_path} if settings.page else {}
    result_outputs = {**produced.outputs, **pages, "manifest": manifest_path}
    data = export.manifest(
        plan,
        timeline,
        source=source.name,
        outputs={kind: path.name for kind, path in result_outputs.items()},
        voice=voice.to_dict(),
        engine=voice.engine,
        takes=produce.take_details(produced, plan),
        cues=subtitles.cues_json(produced.cues, timeline),
        loudness=produced.loudness.to_json() if produced.loudness else None,
        tags=tags,
    )
    if synthesis.fallback is not None:
        mark_fallback(data, synthesis.fallback)
    if settings.page:
        page.write_render_page(page_path, data, plan, produced.outputs.get("overview"))
    export.write_manifest(data, manifest_path)
    t_end = time.perf_counter()
    return RenderResult(
        outputs=result_outputs,
        duration=timeline.duration,
        utterances=len(keys),
        synthesized=synthesized,
        reused=len(keys) - synthesized,
        synthesis_seconds=t_synth - t_plan,
        wall_seconds=t_end - t0,
        characters=sum(len(u.spoken) for u in plan.utterances),
        timings={
            "plan": t_plan - t0,
            "synthesis": t_synth - t_plan,
            "stitch_export": t_end - t_synth,
        },
        jobs=jobs,
        fallback_voice=synthesis.fallback.voice.name if synthesis.fallback else None,
        fallback_ids=synthesis.fallback.utterance_ids if synthesis.fallback else (),
        fallback_reason=synthesis.fallback.reason if synthesis.fallback else None,
        warnings=fill_warnings(settings.fills, plan),
    )


def _follow(production: produce.Production, total: int, progress: Progress) -> None:
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


def effective_loudness(target: float | None, voice: VoiceProfile) -> float | None:
    """The loudness target with the voice's volume applied: normalization would otherwise undo
    the engine's gain, and ``volume`` must change the result on every engine ("-50%" → -6 dB)."""
    if target is None:
        return None
    return target + voice.volume_db


def mark_fallback(data: dict[str, Any], fallback: FallbackUse) -> None:
    """Say in the manifest which utterances the fallback voice spoke, and why."""
    data["fallback"] = {
        "voice": fallback.voice.to_dict(),
        "reason": fallback.reason,
        "utterances": list(fallback.utterance_ids),
    }
    chosen = set(fallback.utterance_ids)
    for entry in data.get("utterances", []):
        if entry.get("id") in chosen:
            entry["fallback"] = True


def ensure_writable_dir(directory: Path) -> None:
    """Fail before synthesis, not after it, when the output cannot be written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".tts-pipeline-probe-"):
            pass
    except OSError as exc:
        raise PipelineError(
            f"cannot write to the output directory {directory}: {exc.strerror or exc}"
        ) from None

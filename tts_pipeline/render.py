"""Orchestration: plan → synthesize (progress, takes kept as they arrive) → stitch → export."""

from __future__ import annotations

import datetime
import hashlib
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tts_pipeline import containers, export, produce, subtitles
from tts_pipeline.cache import TakeCache
from tts_pipeline.document import Document, load_document
from tts_pipeline.engines import Engine, SynthesisRequest, Take, get_engine
from tts_pipeline.errors import PipelineError
from tts_pipeline.loudness import DEFAULT_TARGET_LUFS, DEFAULT_TRUE_PEAK_DBTP, parse_target
from tts_pipeline.segment import Plan, build_plan
from tts_pipeline.voices import VoiceProfile


class Progress(Protocol):
    """What the orchestration reports; the CLI draws it (rich), tests may ignore it."""

    def stage(self, name: str) -> None: ...

    def start(self, total: int, done: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...


class NoProgress:
    def stage(self, name: str) -> None:
        pass

    def start(self, total: int, done: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


class TakeStore(Protocol):
    def get(self, key: str) -> Take | None: ...

    def put(self, key: str, take: Take) -> None: ...


class MemoryStore:
    """Takes kept for the duration of one render."""

    def __init__(self) -> None:
        self._takes: dict[str, Take] = {}

    def get(self, key: str) -> Take | None:
        return self._takes.get(key)

    def put(self, key: str, take: Take) -> None:
        self._takes[key] = take


@dataclass(frozen=True)
class RenderSettings:
    voice: VoiceProfile
    output_dir: Path
    jobs: int = 1
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


def take_key(engine_identity: str, spoken: str) -> str:
    """Content address of a take: everything that shapes its sound, nothing else."""
    digest = hashlib.sha256()
    digest.update(engine_identity.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(spoken.encode("utf-8"))
    return digest.hexdigest()


def plan_document(path: Path, voice: VoiceProfile, fills: Any | None = None) -> Plan:
    document: Document = load_document(path)
    return build_plan(document, voice.pauses, fills)


def synthesize_plan(
    plan: Plan,
    engine: Engine,
    voice: VoiceProfile,
    store: TakeStore,
    jobs: int = 1,
    progress: Progress | None = None,
) -> tuple[list[str], int]:
    """Make sure every utterance has a take in ``store``. Returns (keys in plan order, count
    synthesized now). Each take is stored the moment it arrives, so an interruption loses none."""
    progress = progress or NoProgress()
    identity = engine.identity(voice)
    utterances = plan.utterances
    keys = [take_key(identity, u.spoken) for u in utterances]
    missing: dict[str, SynthesisRequest] = {}
    for i, (u, key) in enumerate(zip(utterances, keys, strict=True)):
        if key not in missing and store.get(key) is None:
            missing[key] = SynthesisRequest(index=i, text=u.spoken)
    progress.start(total=len(utterances), done=len(utterances) - len(missing))
    by_index = {r.index: key for key, r in missing.items()}
    # Utterances that repeat a text share its take; count them when the take arrives.
    repeats = {key: keys.count(key) for key in missing}
    if missing:
        for index, take in engine.synthesize(list(missing.values()), voice, jobs):
            key = by_index[index]
            store.put(key, take)
            progress.advance(repeats[key])
    return keys, len(missing)


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
    engine = engine or get_engine(voice.engine)
    progress.stage("Checking the voice")
    engine.check(voice)
    ensure_writable_dir(settings.output_dir)
    t_plan = time.perf_counter()
    progress.stage("Synthesizing")
    keys, synthesized = synthesize_plan(plan, engine, voice, store, settings.jobs, progress)
    t_synth = time.perf_counter()

    progress.stage("Stitching and encoding")
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
        loudness=settings.loudness,
        true_peak=settings.true_peak,
        cover=settings.cover_image,
        subtitles=settings.subtitles,
    )
    produced = produce.produce(
        plan, lambda i: _stored(store, keys[i]), out_dir, source.stem, tags, options
    )
    timeline = produced.timeline
    result_outputs = {**produced.outputs, "manifest": manifest_path}
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
    )


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


def _stored(store: TakeStore, key: str) -> Take:
    take = store.get(key)
    if take is None:  # pragma: no cover - synthesize_plan guarantees it
        raise RuntimeError(f"take {key[:12]} vanished from the store")
    return take

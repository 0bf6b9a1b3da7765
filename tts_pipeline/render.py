"""Orchestration: plan → synthesize (progress, takes kept as they arrive) → stitch → export."""

from __future__ import annotations

import datetime
import hashlib
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tts_pipeline import containers, export, page, produce, subtitles
from tts_pipeline.cache import TakeCache
from tts_pipeline.document import Document, load_document
from tts_pipeline.engines import (
    PINYIN_ENGINES,
    Engine,
    SynthesisRequest,
    Take,
    default_jobs,
    engine_for,
)
from tts_pipeline.errors import EngineUnavailable, PipelineError, SynthesisError
from tts_pipeline.loudness import DEFAULT_TARGET_LUFS, DEFAULT_TRUE_PEAK_DBTP, parse_target
from tts_pipeline.normalize.fills import as_fill_map
from tts_pipeline.segment import Plan, build_plan
from tts_pipeline.text.lexicon import Lexicon, Pronunciation
from tts_pipeline.text.respell import Respelling
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


class TakeFeed:
    """Takes in plan order for the production thread, each as soon as it is stored.

    The synthesis side says which keys the utterances have (``begin``, again when the fallback
    voice changes some) and which keys are stored (``mark``); ``take(i)`` waits for
    utterance ``i``'s take, or returns None once ``close`` says no more will come, or once
    ``finish`` says synthesis is over and the take is not there (the production then stops
    instead of waiting for ever).
    """

    def __init__(self, store: TakeStore) -> None:
        self._store = store
        self._changed = threading.Condition()
        self._keys: list[str] | None = None
        self._ready: set[str] = set()
        self._closed = False
        self._finished = False

    def begin(self, keys: list[str], ready: Iterable[str]) -> None:
        with self._changed:
            self._keys = list(keys)
            self._ready.update(ready)
            self._changed.notify_all()

    def mark(self, key: str) -> None:
        with self._changed:
            self._ready.add(key)
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def finish(self) -> None:
        """Synthesis is over: a take that is not ready now never will be."""
        with self._changed:
            self._finished = True
            self._changed.notify_all()

    def take(self, index: int) -> Take | None:
        with self._changed:
            while True:
                if self._closed:
                    return None
                if self._keys is not None and self._keys[index] in self._ready:
                    key = self._keys[index]
                    break
                if self._finished:
                    return None
                self._changed.wait()
        return _stored(self._store, key)


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
    lexicon: Lexicon | None = None  # --lexicon files (and the user lexicon), read already
    fix_typos: bool = False  # speak the proofreading's suggestions instead of the typos
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


def take_key(
    engine_identity: str, spoken: str, pronunciations: tuple[Pronunciation, ...] = ()
) -> str:
    """Content address of a take: everything that shapes its sound, nothing else (the
    lexicon's readings only where they occur in ``spoken`` and the engine takes them)."""
    digest = hashlib.sha256()
    digest.update(engine_identity.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(spoken.encode("utf-8"))
    for p in pronunciations:  # none: the key is what it was before lexicons existed
        word = "|word" if p.whole_word else ""
        digest.update(f"\x00{p.text}={' '.join(p.pinyin)}{word}".encode())
    return digest.hexdigest()


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


def typo_warnings(plan: Plan) -> tuple[str, ...]:
    """Every typo flag: where, and what the narrator would say."""
    return tuple(
        f"{t.utterance}: {t.text!r} spoken as {t.suggestion!r} (--fix-typos)"
        if t.fixed
        else f"{t.utterance}: {t.text!r} looks like a typo of {t.suggestion!r}; "
        "--fix-typos says the suggestion"
        for t in plan.typos
    )


def plan_document(
    path: Path,
    voice: VoiceProfile,
    fills: Any | None = None,
    lexicon: Lexicon | None = None,
    fix_typos: bool = False,
) -> Plan:
    document: Document = load_document(path)
    return build_plan(
        document, voice.pauses, fills, respelling=respelling_for(voice, lexicon, fix_typos)
    )


def respelling_for(
    voice: VoiceProfile, lexicon: Lexicon | None = None, fix_typos: bool = False
) -> Respelling:
    """How the plan respells its text for ``voice``'s engine."""
    return Respelling(
        lexicon=lexicon or Lexicon(),
        engine=voice.engine,
        pinyin=voice.engine in PINYIN_ENGINES,
        fix_typos=fix_typos,
    )


def plan_keys(plan: Plan, engine: Engine, voice: VoiceProfile) -> list[str]:
    """The take key of every utterance, in plan order."""
    identity = engine.identity(voice)
    if engine.name not in PINYIN_ENGINES:
        return [take_key(identity, u.spoken) for u in plan.utterances]
    return [take_key(identity, u.spoken, u.pronunciations) for u in plan.utterances]


def missing_requests(
    plan: Plan,
    keys: list[str],
    store: TakeStore,
    indices: Iterable[int] | None = None,
    found: Callable[[str], None] | None = None,
) -> dict[str, SynthesisRequest]:
    """Key → request for every distinct take not in ``store`` (in document order); ``found``
    hears of each key that is there, as soon as it is checked."""
    utterances = plan.utterances
    missing: dict[str, SynthesisRequest] = {}
    for i in range(len(keys)) if indices is None else indices:
        key = keys[i]
        if key in missing:
            continue
        if store.get(key) is None:
            u = utterances[i]
            missing[key] = SynthesisRequest(i, u.spoken, u.pronunciations)
        elif found is not None:
            found(key)
    return missing


def run_engine(
    engine: Engine,
    voice: VoiceProfile,
    missing: dict[str, SynthesisRequest],
    keys: list[str],
    store: TakeStore,
    jobs: int,
    progress: Progress,
    stored: list[str] | None = None,
    feed: TakeFeed | None = None,
) -> None:
    """Synthesize ``missing`` (requests go out in document order), storing each take the moment
    it arrives (and telling ``feed``); ``stored`` collects the keys stored. Engine errors
    propagate after every finished take has been stored."""
    if not missing:
        return
    by_index = {r.index: key for key, r in missing.items()}
    # Utterances that repeat a text share its take; count them when the take arrives.
    repeats = {key: keys.count(key) for key in missing}
    received: set[int] = set()
    for index, take in engine.synthesize(list(missing.values()), voice, jobs):
        received.add(index)
        key = by_index[index]
        store.put(key, take)
        if stored is not None:
            stored.append(key)
        if feed is not None:
            feed.mark(key)
        progress.advance(repeats[key])
    lost = sorted(set(by_index) - received)
    if lost:  # an engine bug; without this check the render would wait for these takes
        raise SynthesisError(
            f"the {engine.name} engine ended without audio for {len(lost)} utterance(s) "
            f"(first: utterance {lost[0]}); {len(received)} of {len(by_index)} finished and "
            "are kept; rerun the same command to resume"
        )


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
    keys = plan_keys(plan, engine, voice)
    missing = missing_requests(plan, keys, store)
    progress.start(total=len(keys), done=len(keys) - _count(keys, missing))
    run_engine(engine, voice, missing, keys, store, jobs, progress)
    return keys, len(missing)


def _count(keys: list[str], missing: dict[str, SynthesisRequest]) -> int:
    """Utterances covered by the missing takes (repeated texts share one)."""
    return sum(1 for key in keys if key in missing)


@dataclass
class _Synthesis:
    keys: list[str]
    synthesized: int
    fallback_ids: tuple[str, ...] = ()
    failure: PipelineError | None = None


def _synthesize_with_fallback(
    plan: Plan,
    engine: Engine,
    voice: VoiceProfile,
    store: TakeStore,
    jobs: int,
    progress: Progress,
    fallback: tuple[Engine, VoiceProfile] | None,
    failure: PipelineError | None,
    feed: TakeFeed | None = None,
) -> _Synthesis:
    """Every utterance a take: from the voice's engine, and (with a fallback) the ones it could
    not deliver — all of them when ``failure`` says the engine is unreachable — from the
    fallback voice. Without a fallback an engine failure propagates (finished takes are kept)."""
    keys = plan_keys(plan, engine, voice)
    if feed is not None:  # the production starts on the first cached takes at once
        feed.begin(keys, ())
    missing = missing_requests(plan, keys, store, found=feed.mark if feed else None)
    progress.start(total=len(keys), done=len(keys) - _count(keys, missing))
    stored: list[str] = []
    if failure is None:
        try:
            run_engine(engine, voice, missing, keys, store, jobs, progress, stored, feed)
        except SynthesisError as exc:
            if fallback is None:
                raise
            failure = exc
    if failure is None or fallback is None:
        return _Synthesis(keys, len(missing))
    fallback_engine, fallback_voice = fallback
    progress.stage(f"Synthesizing with the fallback voice {fallback_voice.name}")
    done = set(stored)
    failed = [i for i, key in enumerate(keys) if key in missing and key not in done]
    fallback_keys = plan_keys(plan, fallback_engine, fallback_voice)
    for i in failed:
        keys[i] = fallback_keys[i]
    fallback_missing = missing_requests(plan, keys, store, failed)
    if feed is not None:
        feed.begin(keys, (keys[i] for i in failed if keys[i] not in fallback_missing))
    progress.advance(len(failed) - _count([keys[i] for i in failed], fallback_missing))
    run_engine(
        fallback_engine,
        fallback_voice,
        fallback_missing,
        keys,
        store,
        default_jobs(fallback_voice.engine),
        progress,
        stored,
        feed,
    )
    ids = tuple(plan.utterances[i].id for i in failed)
    return _Synthesis(keys, len(done) + len(fallback_missing), ids, failure)


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
    plan = plan_document(source, voice, settings.fills, settings.lexicon, settings.fix_typos)
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
        synthesis = _synthesize_with_fallback(
            plan, engine, voice, store, jobs, progress, fallback, unreachable, feed
        )
    except BaseException as exc:
        feed.close()  # the production stops and writes nothing
        production.abort()
        if isinstance(exc, SynthesisError) and isinstance(store, MemoryStore):
            # --no-cache: nothing survives this process
            raise SynthesisError(
                str(exc).replace(
                    "finished and are kept; rerun the same command to resume",
                    "finished but were not kept (--no-cache)",
                )
            ) from None
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
    if synthesis.fallback_ids and settings.fallback is not None:
        mark_fallback(data, settings.fallback, synthesis.fallback_ids, synthesis.failure)
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
        fallback_voice=settings.fallback.name
        if synthesis.fallback_ids and settings.fallback
        else None,
        fallback_ids=synthesis.fallback_ids,
        fallback_reason=str(synthesis.failure) if synthesis.fallback_ids else None,
        warnings=fill_warnings(settings.fills, plan) + plan.warnings + typo_warnings(plan),
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


def mark_fallback(
    data: dict[str, Any],
    fallback: VoiceProfile,
    ids: tuple[str, ...],
    failure: PipelineError | None,
) -> None:
    """Say in the manifest which utterances the fallback voice spoke, and why."""
    data["fallback"] = {
        "voice": fallback.to_dict(),
        "reason": str(failure) if failure else None,
        "utterances": list(ids),
    }
    chosen = set(ids)
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


def _stored(store: TakeStore, key: str) -> Take:
    take = store.get(key)
    if take is None:  # removed (cache clear) or damaged since it was stored: say so, no traceback
        raise PipelineError(
            f"a take ({key[:12]}) left the take cache during the render (another process "
            "cleared it, or the file was damaged); run the same command again"
        )
    return take

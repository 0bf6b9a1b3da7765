"""Every utterance a take, with a fallback voice for what the voice's engine cannot deliver."""

from __future__ import annotations

from dataclasses import dataclass

from tts_pipeline.engines.base import Engine
from tts_pipeline.engines.registry import default_jobs
from tts_pipeline.errors import PipelineError, SynthesisError
from tts_pipeline.synthesis.feed import TakeFeed
from tts_pipeline.synthesis.keys import plan_keys
from tts_pipeline.synthesis.progress import Progress
from tts_pipeline.synthesis.run import covered, missing_requests, run_engine
from tts_pipeline.synthesis.store import TakeStore
from tts_pipeline.text.segment import Plan
from tts_pipeline.voices import VoiceProfile


@dataclass(frozen=True)
class FallbackUse:
    """The utterances the fallback voice spoke, and why the voice's engine could not."""

    voice: VoiceProfile
    reason: str
    utterance_ids: tuple[str, ...]


@dataclass(frozen=True)
class Synthesis:
    keys: tuple[str, ...]  # the take of each utterance, in plan order
    synthesized: int  # takes made now (the rest came from the store)
    fallback: FallbackUse | None = None


def synthesize_with_fallback(
    plan: Plan,
    engine: Engine,
    voice: VoiceProfile,
    store: TakeStore,
    jobs: int,
    progress: Progress,
    fallback: tuple[Engine, VoiceProfile] | None,
    failure: PipelineError | None,
    feed: TakeFeed | None = None,
) -> Synthesis:
    """Every utterance a take: from the voice's engine, and (with a fallback) the ones it could
    not deliver — all of them when ``failure`` says the engine is unreachable — from the
    fallback voice. Without a fallback an engine failure propagates (finished takes are kept)."""
    keys = plan_keys(plan, engine, voice)
    if feed is not None:  # the production starts on the first cached takes at once
        feed.begin(keys, ())
    missing = missing_requests(plan, keys, store, found=feed.mark if feed else None)
    progress.start(total=len(keys), done=len(keys) - covered(keys, missing))
    stored: list[str] = []
    if failure is None:
        try:
            run_engine(engine, voice, missing, keys, store, jobs, progress, stored, feed)
        except SynthesisError as exc:
            if fallback is None:
                raise
            failure = exc
    if failure is None or fallback is None:
        return Synthesis(tuple(keys), len(missing))
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
    progress.advance(len(failed) - covered([keys[i] for i in failed], fallback_missing))
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
    used = FallbackUse(fallback_voice, str(failure), ids) if ids else None
    return Synthesis(tuple(keys), len(done) + len(fallback_missing), used)

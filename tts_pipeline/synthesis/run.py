"""Which takes are missing, and an engine run that stores each take the moment it arrives."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tts_pipeline.engines.base import Engine, SynthesisRequest
from tts_pipeline.errors import EngineStopped, SynthesisError
from tts_pipeline.synthesis.feed import TakeFeed
from tts_pipeline.synthesis.keys import plan_keys
from tts_pipeline.synthesis.progress import NoProgress, Progress
from tts_pipeline.synthesis.store import TakeStore
from tts_pipeline.text.segment import Plan
from tts_pipeline.voices import VoiceProfile


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


def covered(keys: list[str], missing: dict[str, SynthesisRequest]) -> int:
    """Utterances covered by the missing takes (repeated texts share one)."""
    return sum(1 for key in keys if key in missing)


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
    propagate after every finished take has been stored; the message then says what became of
    the finished takes (kept to resume from, or not with a store that does not last)."""
    if not missing:
        return
    by_index = {r.index: key for key, r in missing.items()}
    # Utterances that repeat a text share its take; count them when the take arrives.
    repeats = {key: keys.count(key) for key in missing}
    received: set[int] = set()
    try:
        for index, take in engine.synthesize(list(missing.values()), voice, jobs):
            received.add(index)
            key = by_index[index]
            store.put(key, take)
            if stored is not None:
                stored.append(key)
            if feed is not None:
                feed.mark(key)
            progress.advance(repeats[key])
    except EngineStopped as exc:
        counts = f"{len(received)} of {len(by_index)} utterances"
        raise SynthesisError(f"{exc}; {counts} {_what_became(store)}") from None
    lost = sorted(set(by_index) - received)
    if lost:  # an engine bug; without this check the render would wait for these takes
        raise SynthesisError(
            f"the {engine.name} engine ended without audio for {len(lost)} utterance(s) "
            f"(first: utterance {lost[0]}); {len(received)} of {len(by_index)} "
            f"{_what_became(store)}"
        )


def _what_became(store: TakeStore) -> str:
    """What became of the takes that finished before a failure."""
    if store.durable:
        return "finished and are kept; rerun the same command to resume"
    return "finished but were not kept (--no-cache)"


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
    progress.start(total=len(keys), done=len(keys) - covered(keys, missing))
    run_engine(engine, voice, missing, keys, store, jobs, progress)
    return keys, len(missing)

"""Which engine speaks a voice, and how many utterances it synthesizes at once by default."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tts_pipeline.engines.base import Engine, LastingEngine
from tts_pipeline.engines.workers import available_cores
from tts_pipeline.errors import PipelineError, SettingsError

if TYPE_CHECKING:
    from tts_pipeline.voices import VoiceProfile

ENGINE_NAMES = ("local-zh", "edge", "espeak")
# Engines whose front end reads the lexicon's pinyin (base.Pronunciation); the others say an
# entry's spoken homophone instead, or the text as written.
PINYIN_ENGINES = frozenset({"local-zh"})

# Utterances synthesized at once when --jobs is not given. Online engines: a modest number of
# connections (the service is shared and unofficial). Offline engines: None = one per CPU core.
DEFAULT_JOBS: dict[str, int | None] = {"edge": 4, "local-zh": None, "espeak": None}


def get_engine(name: str, *, endpoint: str | None = None, threads: int | None = None) -> Engine:
    """The engine called ``name``. ``endpoint`` (edge only) overrides the service URL unless
    ``TTS_PIPELINE_EDGE_URL`` is set, which wins; ``threads`` (offline neural engines): CPU
    threads per process, when something else shares out the cores (a Ray actor has one)."""
    # Imported lazily: each engine pulls in heavy or optional dependencies.
    if name == "local-zh":
        from tts_pipeline.engines.local_zh.engine import LocalZhEngine

        return LocalZhEngine(threads=threads)
    if name == "edge":
        from tts_pipeline.engines.edge.endpoint import ENV_VAR
        from tts_pipeline.engines.edge.engine import EdgeEngine

        return EdgeEngine(endpoint=os.environ.get(ENV_VAR, "").strip() or endpoint)
    if name == "espeak":
        from tts_pipeline.engines.espeak import EspeakEngine

        return EspeakEngine()
    raise SettingsError(f"unknown engine {name!r}; known engines: {', '.join(ENGINE_NAMES)}")


def engine_for(voice: VoiceProfile, threads: int | None = None) -> Engine:
    """The engine that speaks ``voice``, configured from it (e.g. its edge endpoint)."""
    return get_engine(voice.engine, endpoint=voice.endpoint, threads=threads)


@contextmanager
def kept_open(engine: Engine, jobs: int) -> Iterator[Engine]:
    """``engine`` with its workers kept up (if it can keep them) until the block ends."""
    if not isinstance(engine, LastingEngine):
        yield engine
        return
    engine.keep_workers(jobs)
    try:
        yield engine
    finally:
        engine.close()


def default_jobs(engine: str) -> int:
    """How many utterances an engine synthesizes at once by default."""
    jobs = DEFAULT_JOBS.get(engine)
    return jobs if jobs is not None else available_cores()


def engine_versions() -> dict[str, str]:
    """Engine name → what its sound depends on besides the voice (``tts-pipeline --version``),
    or why it cannot run here."""
    from tts_pipeline.engines.edge.engine import EdgeEngine
    from tts_pipeline.engines.espeak import EspeakEngine
    from tts_pipeline.engines.local_zh.engine import LocalZhEngine

    describe: dict[str, Callable[[], str]] = {
        "local-zh": lambda: LocalZhEngine().version(),
        "edge": lambda: EdgeEngine().version(),
        "espeak": lambda: EspeakEngine().version(),
    }
    versions: dict[str, str] = {}
    for name, version in describe.items():
        try:
            versions[name] = version()
        except PipelineError as exc:
            versions[name] = f"unavailable ({exc})"
    return versions

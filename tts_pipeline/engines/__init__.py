"""Speech engines. ``engine_for(voice)`` returns the engine a voice profile names."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tts_pipeline.engines.base import Boundary, Engine, SynthesisRequest, Take
from tts_pipeline.errors import SettingsError

if TYPE_CHECKING:
    from tts_pipeline.voices import VoiceProfile

__all__ = [
    "Boundary",
    "Engine",
    "SynthesisRequest",
    "Take",
    "get_engine",
    "engine_for",
    "default_jobs",
    "ENGINE_NAMES",
    "PINYIN_ENGINES",
]

ENGINE_NAMES = ("local-zh", "edge", "espeak")
# Engines whose front end reads the lexicon's pinyin; the others say a homophone instead.
PINYIN_ENGINES = frozenset({"local-zh"})

# Utterances synthesized at once when --jobs is not given. Online engines: a modest number of
# connections (the service is shared and unofficial). Offline engines: None = one per CPU core.
DEFAULT_JOBS: dict[str, int | None] = {"edge": 4, "local-zh": None, "espeak": None}


def get_engine(name: str, *, endpoint: str | None = None) -> Engine:
    """The engine called ``name``. ``endpoint`` (edge only) overrides the service URL unless
    ``TTS_PIPELINE_EDGE_URL`` is set, which wins."""
    # Imported lazily: each engine pulls in heavy or optional dependencies.
    if name == "local-zh":
        from tts_pipeline.engines.local_zh import LocalZhEngine

        return LocalZhEngine()
    if name == "edge":
        from tts_pipeline.engines.edge import EdgeEngine
        from tts_pipeline.engines.edge_endpoint import ENV_VAR

        return EdgeEngine(endpoint=os.environ.get(ENV_VAR, "").strip() or endpoint)
    if name == "espeak":
        from tts_pipeline.engines.espeak import EspeakEngine

        return EspeakEngine()
    raise SettingsError(f"unknown engine {name!r}; known engines: {', '.join(ENGINE_NAMES)}")


def engine_for(voice: VoiceProfile) -> Engine:
    """The engine that speaks ``voice``, configured from it (e.g. its edge endpoint)."""
    return get_engine(voice.engine, endpoint=voice.endpoint)


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_jobs(engine: str) -> int:
    """How many utterances an engine synthesizes at once by default."""
    jobs = DEFAULT_JOBS.get(engine)
    return jobs if jobs is not None else cpu_count()

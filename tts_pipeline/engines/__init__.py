"""Speech engines. ``get_engine(name)`` returns the engine a voice profile names."""

from __future__ import annotations

from tts_pipeline.engines.base import Boundary, Engine, SynthesisRequest, Take
from tts_pipeline.errors import SettingsError

__all__ = ["Boundary", "Engine", "SynthesisRequest", "Take", "get_engine", "ENGINE_NAMES"]

ENGINE_NAMES = ("local-zh", "edge")


def get_engine(name: str) -> Engine:
    # Imported lazily: each engine pulls in heavy or optional dependencies.
    if name == "local-zh":
        from tts_pipeline.engines.local_zh import LocalZhEngine

        return LocalZhEngine()
    if name == "edge":
        from tts_pipeline.engines.edge import EdgeEngine

        return EdgeEngine()
    raise SettingsError(f"unknown engine {name!r}; known engines: {', '.join(ENGINE_NAMES)}")

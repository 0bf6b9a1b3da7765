"""What runs on the Ray cluster's workers: ``TakeSynthesizer``, the actor that builds its engine
once and then synthesizes take after take, and ``DocumentProducer``, the actor that levels,
encodes and writes documents' files from their takes.

Plain Python (``batch.on_ray`` makes them remote): importing this module imports no Ray.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tts_pipeline import scratch
from tts_pipeline.engines.base import SynthesisRequest, Take
from tts_pipeline.engines.registry import engine_for
from tts_pipeline.errors import SynthesisError
from tts_pipeline.heap import give_back_large_blocks
from tts_pipeline.render import PreparedDocument, finish_outputs, start_production
from tts_pipeline.synthesis.progress import NoProgress
from tts_pipeline.voices import VoiceProfile


class TakeSynthesizer:
    """One engine for ``voice`` (its models loaded once, on the first take), with ``threads``
    CPU threads: the actor's share of its node."""

    def __init__(self, voice: VoiceProfile, threads: int) -> None:
        self.voice = voice
        self.engine = engine_for(voice, threads=threads)
        self.engine.check(voice)

    def synthesize(self, request: SynthesisRequest) -> Take:
        for _, take in self.engine.synthesize([request], self.voice, jobs=1):
            return take
        raise SynthesisError(f"the {self.engine.name} engine gave no audio for {request.text!r}")


@dataclass(frozen=True)
class Produced:
    """A document's files (kind → path) and the length of its audio."""

    outputs: dict[str, Path]
    duration: float


class DocumentProducer:
    """Levels, encodes and writes documents' files, in one process kept for the whole batch (a
    task per document would start a fresh Ray worker each time, seconds of imports apiece); each
    call runs in a thread of its own, so documents can overlap."""

    def __init__(self) -> None:
        give_back_large_blocks()
        # Started again after its process died: what that one had in this node's temporary
        # folder goes (the call it was making is made again here).
        scratch.sweep_temp_folders()

    def produce(self, document: PreparedDocument, takes: Sequence[Any]) -> Produced:
        """``document``'s files from its takes (Ray object references, one per utterance, in
        plan order; each is fetched when the production reaches it)."""
        import ray

        # Made again after the actor's process died: the parts of files it was writing go.
        scratch.sweep_parts(document.layout.folder)
        production = start_production(document, lambda index: ray.get(takes[index]))
        outputs, programme = finish_outputs(document, production, NoProgress())
        return Produced(outputs, programme.timeline.duration)

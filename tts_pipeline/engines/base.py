"""The engine interface every synthesizer implements, and the Take it produces."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from tts_pipeline.text.lexicon import Pronunciation

if TYPE_CHECKING:
    from tts_pipeline.voices import VoiceProfile


@dataclass(frozen=True)
class Boundary:
    """A sentence (or word) the engine reports, in seconds from the start of its take."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Take:
    """The audio of one utterance as an engine produced it (untrimmed).

    ``samples`` is mono float32 in [-1, 1].
    """

    samples: np.ndarray
    sample_rate: int
    engine: str
    voice: str
    boundaries: tuple[Boundary, ...] = field(default=())

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class SynthesisRequest:
    """One utterance to synthesize: its index in the plan, the text to speak, and the lexicon's
    readings that occur in it (for engines that take pinyin; the others ignore them)."""

    index: int
    text: str
    pronunciations: tuple[Pronunciation, ...] = ()


# Called with (index, take) as each take is finished, in completion order.
TakeCallback = Callable[[int, Take], None]


@runtime_checkable
class Engine(Protocol):
    """A speech synthesizer.

    ``identity`` must change whenever the sound for the same text could change (engine version,
    model files, voice and its settings): it is part of the take cache key.
    """

    name: str

    def identity(self, voice: VoiceProfile) -> str: ...

    def check(self, voice: VoiceProfile) -> None:
        """Fail fast (raise EngineUnavailable / SettingsError) before any synthesis."""
        ...

    def synthesize(
        self, requests: Sequence[SynthesisRequest], voice: VoiceProfile, jobs: int = 1
    ) -> Iterator[tuple[int, Take]]:
        """Yield (index, take) for every request, in completion order."""
        ...

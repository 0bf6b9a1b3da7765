"""Takes → programme: trim each take's silence, insert exact pauses, and keep a Timeline.

The timeline is computed from sample counts before any audio is joined, so chapter and subtitle
times are exact, and the programme can be streamed take by take (never held whole in memory).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from tts_pipeline.engines.base import Take
from tts_pipeline.segment import Plan

PROGRAMME_RATE = 24_000

# Trimming: a 10 ms frame is silence when its RMS is this far below the take's loudest frames.
TRIM_FRAME_SECONDS = 0.010
TRIM_RELATIVE_DB = -40.0
# Keep this much around the voiced part so no soft onset or final consonant is clipped.
TRIM_KEEP_SECONDS = 0.030
FADE_SECONDS = 0.005


@dataclass(frozen=True)
class Placement:
    """Where one utterance sits in the programme, in samples."""

    utterance_id: str
    chapter: int
    start: int
    end: int
    gap_after: int


@dataclass(frozen=True)
class ChapterMark:
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Timeline:
    sample_rate: int
    placements: tuple[Placement, ...]
    chapters: tuple[ChapterMark, ...]
    total: int  # samples
    leading: int = 0  # silence before the first utterance
    extras: dict[str, float] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.total / self.sample_rate

    def seconds(self, samples: int) -> float:
        return samples / self.sample_rate


def to_rate(samples: np.ndarray, source_rate: int, target_rate: int = PROGRAMME_RATE) -> np.ndarray:
    """Resample by linear interpolation (engines here all produce 24 kHz; this is a safety net)."""
    if source_rate == target_rate or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    n = round(len(samples) * target_rate / source_rate)
    positions = np.linspace(0, len(samples) - 1, num=n)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def voiced_bounds(samples: np.ndarray, sample_rate: int) -> tuple[int, int]:
    """First and last sample of the voiced part, with a small margin kept on both sides."""
    frame = max(1, int(sample_rate * TRIM_FRAME_SECONDS))
    n_frames = len(samples) // frame
    if n_frames == 0:
        return 0, len(samples)
    frames = samples[: n_frames * frame].astype(np.float64).reshape(n_frames, frame)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    peak = float(np.percentile(rms, 95))
    if peak <= 1e-5:
        return 0, 0  # silence only
    threshold = peak * 10 ** (TRIM_RELATIVE_DB / 20)
    voiced = np.flatnonzero(rms > threshold)
    keep = int(sample_rate * TRIM_KEEP_SECONDS)
    start = max(0, int(voiced[0]) * frame - keep)
    end = min(len(samples), (int(voiced[-1]) + 1) * frame + keep)
    return start, end


def trim(take: Take, sample_rate: int = PROGRAMME_RATE) -> np.ndarray:
    """The take's voiced part at the programme rate, with short fades against clicks."""
    samples = to_rate(take.samples, take.sample_rate, sample_rate)
    start, end = voiced_bounds(samples, sample_rate)
    out = np.array(samples[start:end], dtype=np.float32)
    fade = min(len(out) // 2, int(sample_rate * FADE_SECONDS))
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    return out


def build_timeline(
    plan: Plan, lengths: Sequence[int], sample_rate: int = PROGRAMME_RATE
) -> Timeline:
    """Place each trimmed take (``lengths`` in samples, plan order) and its pause after it."""
    utterances = plan.utterances
    if len(lengths) != len(utterances):
        raise ValueError("one length per utterance is needed")
    placements: list[Placement] = []
    cursor = 0
    for utterance, length in zip(utterances, lengths, strict=True):
        gap = round(utterance.pause_after * sample_rate)
        placements.append(Placement(utterance.id, utterance.chapter, cursor, cursor + length, gap))
        cursor += length + gap
    total = cursor
    chapter_starts: list[tuple[int, int]] = []  # (chapter index, start sample)
    for placement in placements:
        if not chapter_starts or chapter_starts[-1][0] != placement.chapter:
            # The first chapter starts at 0 so the title belongs to it.
            start = 0 if not chapter_starts else placement.start
            chapter_starts.append((placement.chapter, start))
    marks = []
    for i, (chapter_index, start) in enumerate(chapter_starts):
        end = chapter_starts[i + 1][1] if i + 1 < len(chapter_starts) else total
        marks.append(ChapterMark(plan.chapters[chapter_index].title, start, end))
    return Timeline(sample_rate, tuple(placements), tuple(marks), total)


def to_pcm16(samples: np.ndarray) -> bytes:
    clipped = np.clip(samples, -1.0, 1.0)
    return (clipped * 32767.0).round().astype("<i2").tobytes()


def stream_pcm(
    timeline: Timeline,
    takes: Iterable[np.ndarray],
    gain: Callable[[int], float] | None = None,
) -> Iterator[bytes]:
    """Yield the programme as 16-bit little-endian mono PCM, one take (and its pause) at a time.

    ``takes`` yields the trimmed samples of each utterance in plan order; ``gain(i)`` is an
    optional linear gain for take i (loudness levelling).
    """
    count = 0
    for i, (placement, samples) in enumerate(zip(timeline.placements, takes, strict=True)):
        if len(samples) != placement.end - placement.start:
            raise ValueError(f"take {placement.utterance_id} changed length after timing")
        factor = gain(i) if gain else 1.0
        yield to_pcm16(samples * factor if factor != 1.0 else samples)
        if placement.gap_after:
            yield bytes(2 * placement.gap_after)
        count += 1
    if count != len(timeline.placements):
        raise ValueError("fewer takes than placements")

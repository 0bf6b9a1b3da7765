"""Each take's own silence trimmed: the voiced part found (robust to a noise floor and to
isolated clicks) and kept with a small margin, at the programme's sample rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tts_pipeline.engines.base import Take

# Trimming works on 5 ms frames. A frame is voice when its level is above a threshold that sits
# TRIM_RELATIVE_DB below the take's loudest 50 ms, but at least TRIM_FLOOR_MARGIN_DB above its
# noise floor (the quietest frames), and never closer than TRIM_MAX_THRESHOLD_DB to the loudest.
TRIM_HOP_SECONDS = 0.005
TRIM_REFERENCE_SECONDS = 0.050
TRIM_RELATIVE_DB = -40.0
TRIM_FLOOR_MARGIN_DB = 10.0
TRIM_FLOOR_PERCENTILE = 10.0
TRIM_MAX_THRESHOLD_DB = -20.0
SILENT_TAKE_DBFS = -70.0  # a take whose loudest 50 ms is quieter than this is silence
# A loud run shorter than this is a click, not voice, unless it lies within TRIM_ATTACH_SECONDS
# of voice (a plosive burst or a breath onset right before a vowel belongs to the word).
TRIM_MIN_VOICE_SECONDS = 0.040
TRIM_ATTACH_SECONDS = 0.080
# Keep this much around the voiced part so no soft onset or final consonant is clipped. The kept
# margins count towards the pause that follows, so voice-to-voice gaps equal the settings.
TRIM_KEEP_SECONDS = 0.030
FADE_SECONDS = 0.005


@dataclass(frozen=True)
class Cut:
    """Where a take was cut, in samples of the take at the programme rate.

    ``start:end`` is kept; ``voice_start:voice_end`` is the voiced part inside it (the rest is the
    kept margin).
    """

    start: int
    end: int
    voice_start: int
    voice_end: int

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def lead(self) -> int:
        return self.voice_start - self.start

    @property
    def tail(self) -> int:
        return self.end - self.voice_end


def to_rate(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Resample by linear interpolation (engines here all produce 24 kHz; this is a safety net)."""
    if source_rate == target_rate or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    n = round(len(samples) * target_rate / source_rate)
    positions = np.linspace(0, len(samples) - 1, num=n)
    resampled: np.ndarray = np.interp(positions, np.arange(len(samples)), samples)
    return resampled.astype(np.float32)


def _frame_levels(samples: np.ndarray, hop: int) -> np.ndarray:
    """Level of each ``hop``-sample frame in dBFS (RMS; -120 for digital silence)."""
    n = len(samples) // hop
    frames = samples[: n * hop].astype(np.float64).reshape(n, hop)
    power = np.mean(frames**2, axis=1)
    levels: np.ndarray = 10.0 * np.log10(np.maximum(power, 1e-12))
    return levels


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index ranges where ``mask`` is true."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _voiced_runs(runs: list[tuple[int, int]], min_len: int, attach: int) -> tuple[int, int]:
    """First and last frame (end exclusive) of voice: sustained runs plus the short runs that
    touch them (within ``attach`` frames); isolated short runs (clicks) are dropped."""
    sustained = [i for i, (a, b) in enumerate(runs) if b - a >= min_len]
    if not sustained:  # nothing sustained (a very short take): every loud frame is voice
        return runs[0][0], runs[-1][1]
    first, last = sustained[0], sustained[-1]
    while first > 0 and runs[first][0] - runs[first - 1][1] <= attach:
        first -= 1
    while last < len(runs) - 1 and runs[last + 1][0] - runs[last][1] <= attach:
        last += 1
    return runs[first][0], runs[last][1]


def find_cut(samples: np.ndarray, sample_rate: int) -> Cut:
    """Find the voiced part of a take (robust to a noise floor and to isolated clicks) and the
    margins kept around it. An all-silent take gives an empty cut."""
    hop = max(1, round(sample_rate * TRIM_HOP_SECONDS))
    levels = _frame_levels(samples, hop)
    if len(levels) == 0:
        return Cut(0, 0, 0, 0)
    smooth = max(1, round(TRIM_REFERENCE_SECONDS / TRIM_HOP_SECONDS))
    power = 10.0 ** (levels / 10.0)
    window = min(smooth, len(power))
    reference = 10.0 * np.log10(
        max(float(np.max(np.convolve(power, np.ones(window) / window, "valid"))), 1e-12)
    )
    if reference < SILENT_TAKE_DBFS:
        return Cut(0, 0, 0, 0)
    floor = float(np.percentile(levels, TRIM_FLOOR_PERCENTILE))
    threshold = min(
        max(reference + TRIM_RELATIVE_DB, floor + TRIM_FLOOR_MARGIN_DB),
        reference + TRIM_MAX_THRESHOLD_DB,
    )
    runs = _runs(levels > threshold)
    if not runs:  # pragma: no cover - the reference frame itself is above the threshold
        return Cut(0, 0, 0, 0)
    min_len = max(1, round(TRIM_MIN_VOICE_SECONDS / TRIM_HOP_SECONDS))
    attach = round(TRIM_ATTACH_SECONDS / TRIM_HOP_SECONDS)
    first, last = _voiced_runs(runs, min_len, attach)
    # Refine to the sample: the first/last sample louder than the threshold near the frame edge.
    amplitude = 10.0 ** (threshold / 20.0)
    lo = max(0, (first - 1) * hop)
    head = np.flatnonzero(np.abs(samples[lo : (first + 1) * hop]) > amplitude)
    voice_start = lo + int(head[0]) if len(head) else first * hop
    hi = min(len(samples), (last + 1) * hop)
    tail_lo = max(0, (last - 1) * hop)
    tail = np.flatnonzero(np.abs(samples[tail_lo:hi]) > amplitude)
    voice_end = tail_lo + int(tail[-1]) + 1 if len(tail) else last * hop
    keep = round(sample_rate * TRIM_KEEP_SECONDS)
    return Cut(
        start=max(0, voice_start - keep),
        end=min(len(samples), voice_end + keep),
        voice_start=voice_start,
        voice_end=voice_end,
    )


def cut_take(take: Take, sample_rate: int) -> tuple[np.ndarray, Cut]:
    """The take's voiced part at the programme rate (short fades against clicks) and its cut."""
    samples = to_rate(take.samples, take.sample_rate, sample_rate)
    cut = find_cut(samples, sample_rate)
    out = np.array(samples[cut.start : cut.end], dtype=np.float32)
    fade = min(len(out) // 2, int(sample_rate * FADE_SECONDS))
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    return out, cut

"""The true-peak limiter: a take with its gain, limited so its oversampled peak stays under the
ceiling (look-ahead, smooth gain, only around the peaks that need it)."""

from __future__ import annotations

import numpy as np

from tts_pipeline.audio.loudness.meter import db_to_gain, peak_envelope

LIMITER_HEADROOM_DB = 0.6  # the limiter aims this far under the ceiling (lossy codecs overshoot)
LIMITER_WINDOW_SECONDS = 0.010  # look-ahead and release of the limiter


def _running_min(values: np.ndarray, radius: int) -> np.ndarray:
    """min(values[i - radius : i + radius + 1]) for every i (van Herk / Gil-Werman, O(n))."""
    width = 2 * radius + 1
    n = len(values)
    padded = np.concatenate([np.ones(radius), values, np.ones(radius)])
    blocks = -(-len(padded) // width)
    buf = np.ones(blocks * width)
    buf[: len(padded)] = padded
    grid = buf.reshape(blocks, width)
    prefix = np.minimum.accumulate(grid, axis=1).ravel()
    suffix = np.minimum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    idx = np.arange(n)
    return np.minimum(suffix[idx], prefix[idx + width - 1])


def limit(samples: np.ndarray, ceiling: float, rate: int) -> np.ndarray:
    """Look-ahead peak limiter: the gain never lets the oversampled peak pass ``ceiling``
    (linear) and moves smoothly (it starts falling one window before a peak)."""
    envelope = peak_envelope(samples, rate, floor=ceiling)
    if float(np.max(envelope, initial=0.0)) <= ceiling:
        return samples
    needed = np.minimum(1.0, ceiling / np.maximum(envelope.astype(np.float64), 1e-12))
    radius = max(1, round(LIMITER_WINDOW_SECONDS * rate))
    # The gain only moves within 2·radius + 1 samples of a sample that needs it: work out the
    # gain around each group of such samples (peaks are few; the rest of the take keeps 1).
    reach = 2 * radius + 1
    low = np.flatnonzero(needed < 1.0)
    splits = np.flatnonzero(np.diff(low) > 2 * reach) + 1
    gain = np.ones(len(samples))
    for group in np.split(low, splits):
        start, end = max(0, int(group[0]) - reach), min(len(samples), int(group[-1]) + reach + 1)
        gain[start:end] = _smooth_gain(needed[start:end], radius)
    return (samples * gain).astype(np.float32)


def _smooth_gain(needed: np.ndarray, radius: int) -> np.ndarray:
    """The least gain within ``radius`` of each sample, then averaged over the same window:
    every value averaged is <= needed[i] (the ends repeat the edge value, which also covers the
    first/last ``radius`` samples)."""
    held = _running_min(needed, radius)
    padded = np.pad(held, radius, mode="edge")
    csum = np.concatenate([[0.0], np.cumsum(padded)])
    width = 2 * radius + 1
    gain: np.ndarray = (csum[width:] - csum[:-width]) / width
    return gain


def needs_limit(peak: float, gain_db: float, ceiling_dbtp: float) -> bool:
    return peak * db_to_gain(gain_db) > db_to_gain(ceiling_dbtp - LIMITER_HEADROOM_DB)


def gain_and_limit(
    samples: np.ndarray, gain_db: float, peak: float, ceiling_dbtp: float, rate: int
) -> np.ndarray:
    """A take with its gain, limited under the true-peak ceiling when its measured ``peak``
    (linear, before the gain) would pass it."""
    scaled = (samples * db_to_gain(gain_db)).astype(np.float32)
    if needs_limit(peak, gain_db, ceiling_dbtp):
        return limit(scaled, db_to_gain(ceiling_dbtp - LIMITER_HEADROOM_DB), rate)
    return scaled

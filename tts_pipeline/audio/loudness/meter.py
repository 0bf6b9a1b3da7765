"""The loudness meter (ITU-R BS.1770-4 / EBU R128): K-weighting, gated loudness and true peak.

Designed for streaming: each trimmed take is measured on its own (``measure_take``: K-weighted
400 ms block energies, its own loudness, its true peak), which needs one take in memory at a time
and keeps only a few numbers per second of audio; a ``BlockPool`` pools the block energies of
every take into the programme's integrated loudness in constant memory.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

# Bump when measure_take would find anything else for the same audio (cached measurements).
MEASUREMENT_VERSION = 1

BLOCK_SECONDS = 0.400
HOP_SECONDS = 0.100  # 75 % overlap
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LUFS_OFFSET = -0.691

# K-weighting (BS.1770-4 Annex 1) as analogue prototypes, so any sample rate gets exact
# coefficients (the published 48 kHz numbers follow from these).
SHELF_HZ = 1681.974450955533
SHELF_GAIN_DB = 3.999843853973347
SHELF_Q = 0.7071752369554196
HIGHPASS_HZ = 38.13547087602444
HIGHPASS_Q = 0.5003270373238773
K_FIR_SECONDS = 0.5  # the cascade's impulse response has decayed below 1e-12 long before this
K_FFT_BLOCK = 1 << 16  # samples per FFT when filtering

# True peak (BS.1770-4 Annex 2) oversamples 4x at 48 kHz; lower rates need more to reach the
# same 192 kHz (8x at 24 kHz), or peaks between samples of bright sounds are missed.
TRUE_PEAK_RATE = 192_000
MIN_OVERSAMPLE = 4
TRUE_PEAK_TAPS_PER_PHASE = 32
TRUE_PEAK_KAISER_BETA = 8.0
INTERPOLATION_CHUNK = 16_384  # samples interpolated at once (bounds memory: 4 MB of windows)


def db_to_gain(db: float) -> float:
    gain: float = 10.0 ** (db / 20.0)
    return gain


# ---------------------------------------------------------------------------------------------
# K-weighting and gating


def k_weighting_biquads(rate: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """(b, a) of the two K-weighting stages (high shelf, then high-pass) at ``rate``."""
    k = math.tan(math.pi * SHELF_HZ / rate)
    vh = 10.0 ** (SHELF_GAIN_DB / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / SHELF_Q + k * k
    shelf_b = np.array(
        [(vh + vb * k / SHELF_Q + k * k), 2.0 * (k * k - vh), (vh - vb * k / SHELF_Q + k * k)]
    )
    shelf_a = np.array([a0, 2.0 * (k * k - 1.0), 1.0 - k / SHELF_Q + k * k])
    k = math.tan(math.pi * HIGHPASS_HZ / rate)
    a0 = 1.0 + k / HIGHPASS_Q + k * k
    hp_b = np.array([1.0, -2.0, 1.0])
    hp_a = np.array([a0, 2.0 * (k * k - 1.0), 1.0 - k / HIGHPASS_Q + k * k])
    # The high-pass numerator is [1, -2, 1] unnormalized, as in the standard's 48 kHz table.
    return (shelf_b / shelf_a[0], shelf_a / shelf_a[0]), (hp_b, hp_a / hp_a[0])


@functools.cache
def k_weighting_fir(rate: int) -> np.ndarray:
    """The K-weighting cascade's impulse response (exact to double precision)."""
    n = int(rate * K_FIR_SECONDS)
    signal = np.zeros(n)
    signal[0] = 1.0
    for b, a in k_weighting_biquads(rate):
        out = np.zeros(n)
        x1 = x2 = y1 = y2 = 0.0
        b0, b1, b2 = (float(v) for v in b)
        a1, a2 = float(a[1]), float(a[2])
        for i, x in enumerate(signal.tolist()):
            y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            out[i] = y
            x2, x1, y2, y1 = x1, x, y1, y
        signal = out
    return signal


def k_weight(samples: np.ndarray, rate: int) -> np.ndarray:
    """K-weighted signal (causal filtering from rest), same length as ``samples``.

    Overlap-save in FFT blocks of K_FFT_BLOCK samples: the same convolution as one FFT over the
    whole take, about four times faster for a take of a minute (and memory per block)."""
    if len(samples) == 0:
        return np.zeros(0)
    h = k_weighting_fir(rate)
    size = max(K_FFT_BLOCK, 1 << (2 * len(h) - 1).bit_length())
    step = size - len(h) + 1  # new output samples per block
    spectrum = _k_weighting_spectrum(rate, size)
    x = np.concatenate([np.zeros(len(h) - 1), samples.astype(np.float64)])
    out = np.empty(len(samples))
    for start in range(0, len(samples), step):
        count = min(step, len(samples) - start)
        block = np.fft.irfft(np.fft.rfft(x[start : start + size], size) * spectrum, size)
        out[start : start + count] = block[len(h) - 1 : len(h) - 1 + count]
    return out


@functools.cache
def _k_weighting_spectrum(rate: int, size: int) -> np.ndarray:
    return np.fft.rfft(k_weighting_fir(rate), size)


def block_energies(weighted: np.ndarray, rate: int) -> np.ndarray:
    """Mean square of each 400 ms gating block (100 ms hop) of a K-weighted signal."""
    block = round(BLOCK_SECONDS * rate)
    hop = round(HOP_SECONDS * rate)
    if len(weighted) < block:
        return np.zeros(0)
    csum = np.concatenate([[0.0], np.cumsum(weighted.astype(np.float64) ** 2)])
    starts = np.arange(0, len(weighted) - block + 1, hop)
    energies: np.ndarray = (csum[starts + block] - csum[starts]) / block
    return energies


def energy_to_lufs(energy: float) -> float:
    return LUFS_OFFSET + 10.0 * math.log10(energy) if energy > 0 else -math.inf


def gated_loudness(energies: np.ndarray) -> float:
    """Integrated loudness (LUFS) of pooled gating blocks: absolute gate, then relative gate."""
    if len(energies) == 0:
        return -math.inf
    absolute = 10.0 ** ((ABSOLUTE_GATE_LUFS - LUFS_OFFSET) / 10.0)
    kept = energies[energies > absolute]
    if len(kept) == 0:
        return -math.inf
    relative = float(np.mean(kept)) * 10.0 ** (RELATIVE_GATE_LU / 10.0)
    kept = kept[kept > relative]
    return energy_to_lufs(float(np.mean(kept)))


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """BS.1770-4 integrated loudness of a mono signal, in LUFS (-inf for silence)."""
    return gated_loudness(block_energies(k_weight(samples, rate), rate))


# ---------------------------------------------------------------------------------------------
# True peak


def oversampling(rate: int) -> int:
    return max(MIN_OVERSAMPLE, math.ceil(TRUE_PEAK_RATE / rate))


@dataclass(frozen=True)
class _Interpolator:
    """Kaiser-windowed sinc for ``factor``x interpolation as one matrix: row p-1 gives the value
    at n + p/factor from the window x[n - after], ..., x[n + before] (phases 1..factor-1)."""

    before: int  # samples after n the window reaches (taps for j = -before .. after)
    after: int
    matrix: np.ndarray  # (factor - 1, before + after + 1)

    @functools.cached_property
    def matrix32(self) -> np.ndarray:
        return self.matrix.astype(np.float32)

    @property
    def gain_bound(self) -> float:
        """No interpolated value exceeds this times the largest sample in its window."""
        return float(np.max(np.sum(np.abs(self.matrix), axis=1)))


@functools.cache
def _interpolator(factor: int) -> _Interpolator:
    half = TRUE_PEAK_TAPS_PER_PHASE * factor // 2
    k = np.arange(-half, half + 1)
    h = np.sinc(k / factor) * np.kaiser(len(k), TRUE_PEAK_KAISER_BETA)
    before, after = -(-half // factor), half // factor
    js = np.arange(after, -before - 1, -1)  # window order: x[n - after] ... x[n + before]
    matrix = np.zeros((factor - 1, len(js)))
    for p in range(1, factor):
        taps = factor * js + p
        inside = np.abs(taps) <= half
        matrix[p - 1, inside] = h[taps[inside] + half]
    return _Interpolator(before, after, matrix)


def _loud_neighbourhoods(magnitude: np.ndarray, radius: int, level: float) -> np.ndarray:
    """Indices of every sample with a value >= ``level`` within ``radius`` of it (a superset:
    whole blocks of ``radius`` samples next to a loud one)."""
    block = max(1, radius)
    n_blocks = -(-len(magnitude) // block)
    padded = np.zeros(n_blocks * block)
    padded[: len(magnitude)] = magnitude
    loud = padded.reshape(n_blocks, block).max(axis=1) >= level
    near = loud.copy()
    near[1:] |= loud[:-1]
    near[:-1] |= loud[1:]
    idx = (np.flatnonzero(near)[:, None] * block + np.arange(block)).ravel()
    return idx[idx < len(magnitude)]


def peak_envelope(samples: np.ndarray, rate: int, floor: float = 0.0) -> np.ndarray:
    """Per sample, the largest magnitude of the oversampled signal between it and the next.

    Exact wherever the result can reach ``floor``; elsewhere it may read lower (but below
    ``floor``): samples whose whole interpolation window is quiet are skipped, which makes the
    common case (a few peaks near a ceiling) cheap.
    """
    # float32: the interpolation's own error (Kaiser window, 32 taps a phase) is far larger than
    # float32 rounding, and half the bytes make the gather and the product twice as fast.
    x = samples.astype(np.float32)
    envelope = np.abs(x)
    if len(x) == 0:
        return envelope
    interp = _interpolator(oversampling(rate))
    reach = max(interp.before, interp.after)
    candidates = _loud_neighbourhoods(envelope, reach, floor / interp.gain_bound)
    if len(candidates) == 0:
        return envelope
    padded = np.pad(x, (interp.after, interp.before))
    windows = np.lib.stride_tricks.sliding_window_view(padded, interp.matrix.shape[1])
    for start in range(0, len(candidates), INTERPOLATION_CHUNK):
        idx = candidates[start : start + INTERPOLATION_CHUNK]
        values = np.abs(windows[idx] @ interp.matrix32.T).max(axis=1)
        envelope[idx] = np.maximum(envelope[idx], values)
    return envelope


def true_peak(samples: np.ndarray, rate: int) -> float:
    """True peak (linear): the peak of the signal oversampled to at least 192 kHz."""
    if len(samples) == 0:
        return 0.0
    sample_peak = float(np.max(np.abs(samples)))  # the true peak is at least this
    return float(np.max(peak_envelope(samples, rate, floor=sample_peak)))


# ---------------------------------------------------------------------------------------------
# Limiter


# ---------------------------------------------------------------------------------------------
# Per take, and pooled


@dataclass(frozen=True)
class TakeLoudness:
    """What the loudness plan needs of one trimmed take (the audio itself is not kept).

    ``blocks``: gating-block energies with 300 ms of silence on both sides, as the take sounds in
    the programme (pooled to predict the programme's loudness); ``own``: the take's own loudness
    from the blocks inside it (levelling); ``peak``: true peak, linear.
    """

    blocks: np.ndarray
    own: float
    peak: float
    seconds: float = 0.0


def _context(rate: int) -> int:
    """Samples of silence measured on each side of a take (a gating block less one hop)."""
    return round((BLOCK_SECONDS - HOP_SECONDS) * rate)


def _inside(blocks: np.ndarray, samples: int, rate: int) -> np.ndarray:
    """The gating blocks of a take's measurement that lie within the take itself."""
    context, block, hop = _context(rate), round(BLOCK_SECONDS * rate), round(HOP_SECONDS * rate)
    starts = np.arange(len(blocks)) * hop
    return blocks[(starts >= context) & (starts + block <= context + samples)]


def _weighted_with_context(samples: np.ndarray, rate: int) -> np.ndarray:
    context = np.zeros(_context(rate))
    return k_weight(np.concatenate([context, samples.astype(np.float64), context]), rate)


def _short_take_loudness(weighted: np.ndarray, samples: int, rate: int) -> float:
    """The own loudness of a take shorter than a gating block: its mean square is its block."""
    body = weighted[_context(rate) : _context(rate) + samples]
    return gated_loudness(np.array([float(np.mean(body**2))])) if len(body) else -math.inf


def measure_take(samples: np.ndarray, rate: int) -> TakeLoudness:
    weighted = _weighted_with_context(samples, rate)
    blocks = block_energies(weighted, rate)
    inside = _inside(blocks, len(samples), rate)
    if len(inside):
        own = gated_loudness(inside)
    else:
        own = _short_take_loudness(weighted, len(samples), rate)
    return TakeLoudness(blocks, own, true_peak(samples, rate), len(samples) / rate)


def measurement_fits(measured: TakeLoudness, samples: np.ndarray, rate: int) -> bool:
    """Whether ``measured`` can be ``measure_take(samples, rate)``: a measurement kept between
    renders is used only if it can (one wrong number moves every take's gain).

    Checked against the audio, cheaply: the duration and the number of gating blocks; no block
    louder than audio of this sample peak can be through the K-weighting filter; the take's own
    loudness what its blocks give; a true peak between the sample peak and what interpolation
    can add to it. (A take shorter than a block has its own loudness measured again: cheap.)"""
    count = len(samples)
    blocks = np.asarray(measured.blocks)
    if measured.seconds != count / rate or blocks.ndim != 1:
        return False
    block = round(BLOCK_SECONDS * rate)
    padded = count + 2 * _context(rate)
    expected = (padded - block) // round(HOP_SECONDS * rate) + 1 if padded >= block else 0
    sample_peak = float(np.max(np.abs(samples))) if count else 0.0
    most = (_k_weighting_gain(rate) * sample_peak) ** 2 * (1 + 1e-9)  # mean square of a block
    if len(blocks) != expected or not np.all((blocks >= 0) & (blocks <= most)):
        return False  # (NaN fails both comparisons)
    highest = sample_peak * _interpolator(oversampling(rate)).gain_bound
    if not sample_peak <= measured.peak <= highest * (1 + 1e-4):  # float32 interpolation
        return False
    inside = _inside(blocks, count, rate)
    if len(inside):
        own = gated_loudness(inside)
    else:
        own = _short_take_loudness(_weighted_with_context(samples, rate), count, rate)
    return measured.own == own or math.isclose(measured.own, own, abs_tol=1e-9)


@functools.cache
def _k_weighting_gain(rate: int) -> float:
    """The K-weighting filter's largest gain on any signal (its impulse response's L1 norm)."""
    return float(np.sum(np.abs(k_weighting_fir(rate))))


class BlockPool:
    """Gating blocks pooled as a histogram (0.01 LU bins): the integrated loudness of every
    block added so far, in constant memory and time however long the programme gets."""

    STEP_LU = 0.01
    TOP_LUFS = 10.0

    def __init__(self) -> None:
        bins = round((self.TOP_LUFS - ABSOLUTE_GATE_LUFS) / self.STEP_LU) + 1
        self._energy = np.zeros(bins)
        self._count = np.zeros(bins, dtype=np.int64)
        self._floor = 10.0 ** ((ABSOLUTE_GATE_LUFS - LUFS_OFFSET) / 10.0)

    def add(self, energies: np.ndarray) -> None:
        kept = energies[energies > self._floor]
        if not len(kept):
            return
        lufs = LUFS_OFFSET + 10.0 * np.log10(kept)
        index = np.clip(
            ((lufs - ABSOLUTE_GATE_LUFS) / self.STEP_LU).astype(np.int64), 0, len(self._count) - 1
        )
        np.add.at(self._energy, index, kept)
        np.add.at(self._count, index, 1)

    def loudness(self) -> float:
        total = int(self._count.sum())
        if not total:
            return -math.inf
        relative = energy_to_lufs(float(self._energy.sum()) / total) + RELATIVE_GATE_LU
        first = max(0, math.ceil((relative - ABSOLUTE_GATE_LUFS) / self.STEP_LU))
        count = int(self._count[first:].sum())
        return energy_to_lufs(float(self._energy[first:].sum()) / count) if count else -math.inf

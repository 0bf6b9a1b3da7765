"""Levelling: each take brought to the programme's target loudness as it arrives.

``StreamingLeveller`` decides each take's gain the moment the take is measured (one pass, one
take in memory), limits it under the true-peak ceiling where needed, and predicts the
programme's integrated loudness from the pooled gating blocks; its ``plan()`` is what the
manifest reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tts_pipeline.audio.loudness.limiter import gain_and_limit, needs_limit
from tts_pipeline.audio.loudness.meter import BlockPool, TakeLoudness, measure_take
from tts_pipeline.errors import SettingsError

DEFAULT_TARGET_LUFS = -18.0
DEFAULT_TRUE_PEAK_DBTP = -1.5
TARGET_RANGE_LUFS = (-40.0, -5.0)
MAX_LEVEL_DB = 12.0  # levelling moves a take by at most this much (a take of noise stays quiet)


def check_target(target: float) -> float:
    """A loudness target (LUFS) within TARGET_RANGE_LUFS, or SettingsError."""
    low, high = TARGET_RANGE_LUFS
    if not (math.isfinite(target) and low <= target <= high):
        raise SettingsError(
            f"--loudness must be between {low:g} and {high:g} LUFS, or off (got {target:g})"
        )
    return float(target)


@dataclass(frozen=True)
class LoudnessPlan:
    """Per-take gains that level the takes and bring the programme to ``target`` LUFS."""

    rate: int
    target: float
    ceiling: float  # dBTP
    source: float  # programme loudness as synthesized (LUFS, predicted from the takes)
    levelled: float  # after levelling, before the overall gain
    overall_db: float
    take_gains_db: tuple[float, ...]  # total gain of each take (levelling + overall)
    peaks: tuple[float, ...]  # each take's true peak before gain, linear

    def limited(self, index: int) -> bool:
        """Whether take ``index`` needs the limiter after its gain."""
        return needs_limit(self.peaks[index], self.take_gains_db[index], self.ceiling)

    @property
    def limited_takes(self) -> int:
        return sum(self.limited(i) for i in range(len(self.peaks)))


def level_step(reference: float, own: float) -> float:
    """How far levelling moves a take of loudness ``own`` towards ``reference`` (dB, bounded)."""
    return float(np.clip(reference - own, -MAX_LEVEL_DB, MAX_LEVEL_DB))


class StreamingLeveller:
    """One pass, one take at a time: each take's gain is known the moment it is measured.

    Each take is levelled to the target by its own loudness (moving at most ±MAX_LEVEL_DB away
    from the takes so far, so a take of noise stays quiet). The takes are then as loud as each
    other whatever order they come in. The programme's integrated loudness pools gating blocks,
    edges included, so it can differ a little from the takes' own loudness (speech: -18.02 LUFS
    on the reference for a -18 target; very short takes: about 1 LU under): ``plan().source/
    levelled`` and ``result()`` tell, and a caller may make a second pass with ``offset_db``
    (the target minus the result) when that matters.
    """

    def __init__(
        self,
        rate: int,
        target: float = DEFAULT_TARGET_LUFS,
        ceiling: float = DEFAULT_TRUE_PEAK_DBTP,
        offset_db: float = 0.0,
    ) -> None:
        self.rate = rate
        self.target = target
        self.ceiling = ceiling
        self.offset_db = offset_db
        self._power_seconds = 0.0  # Σ seconds · 10^(own/10) over the audible takes so far
        self._seconds = 0.0
        self._source = BlockPool()  # as synthesized
        self._result = BlockPool()  # as written
        self._gains: list[float] = []
        self._peaks: list[float] = []
        self._overall = 0.0

    def apply(
        self, samples: np.ndarray, measured: TakeLoudness | None = None
    ) -> tuple[np.ndarray, float]:
        """The next take levelled (and limited under the ceiling if needed), and its gain (dB).

        ``measured`` is ``measure_take(samples, rate)`` if the caller has it already (it may
        measure the next takes on other cores while this one is written)."""
        if measured is None:
            measured = measure_take(samples, self.rate)
        if math.isfinite(measured.own) and measured.seconds > 0:
            self._power_seconds += measured.seconds * 10.0 ** (measured.own / 10.0)
            self._seconds += measured.seconds
        level = 0.0
        if self._seconds > 0:
            typical = 10.0 * math.log10(self._power_seconds / self._seconds)
            self._overall = self.target - typical + self.offset_db
            if math.isfinite(measured.own):
                level = level_step(typical, measured.own)
        self._source.add(measured.blocks)
        step = level + self._overall
        self._result.add(measured.blocks * 10.0 ** (step / 10.0))
        self._gains.append(step)
        self._peaks.append(measured.peak)
        return gain_and_limit(samples, step, measured.peak, self.ceiling, self.rate), step

    def result(self) -> float:
        """The programme's integrated loudness as written (predicted from the pooled blocks)."""
        return self._result.loudness()

    def plan(self) -> LoudnessPlan:
        """The gains applied, as a LoudnessPlan (for the manifest)."""
        result = self._result.loudness()
        return LoudnessPlan(
            rate=self.rate,
            target=self.target,
            ceiling=self.ceiling,
            source=self._source.loudness(),
            levelled=result - self._overall if math.isfinite(result) else -math.inf,
            overall_db=self._overall,
            take_gains_db=tuple(self._gains),
            peaks=tuple(self._peaks),
        )

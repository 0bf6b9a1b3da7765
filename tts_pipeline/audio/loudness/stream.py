"""The integrated loudness of a signal that arrives in pieces (the programme as it is written,
music and clips included), in constant memory: K-weighted across the joins, its gating blocks
pooled as they complete."""

from __future__ import annotations

import numpy as np

from tts_pipeline.audio.loudness.meter import (
    BLOCK_SECONDS,
    HOP_SECONDS,
    BlockPool,
    block_energies,
    k_weight,
    k_weighting_fir,
)


class StreamingMeter:
    """``add`` each piece in order; ``loudness()`` is BS.1770's integrated loudness of all of
    them joined (the blocks not yet complete at the end are left out, as the standard does)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._context = len(k_weighting_fir(rate)) - 1  # input the filter still remembers
        self._history = np.zeros(0)
        self._pending = np.zeros(0)  # K-weighted samples from the next block's start on
        self._hop = round(HOP_SECONDS * rate)
        self._block = round(BLOCK_SECONDS * rate)
        self._pool = BlockPool()

    def add(self, samples: np.ndarray) -> None:
        if not len(samples):
            return
        joined = np.concatenate([self._history, samples.astype(np.float64)])
        weighted = k_weight(joined, self.rate)[len(self._history) :]
        self._history = joined[-self._context :]
        pending = np.concatenate([self._pending, weighted])
        energies = block_energies(pending, self.rate)
        self._pool.add(energies)
        self._pending = pending[len(energies) * self._hop :]

    def loudness(self) -> float:
        return self._pool.loudness()

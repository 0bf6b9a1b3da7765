"""The programme's waveform envelope: min, max and RMS per pixel column of the overview picture,
gathered from the 16-bit PCM chunks as they stream to the encoder (the programme is never
decoded or held whole)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np


class Envelope:
    """Per-column min, max and RMS of a programme of ``total`` samples, fed in PCM chunks.

    Sample ``s`` belongs to column ``s * columns // total``. Chunks are 16-bit little-endian mono
    PCM in programme order (what the production streams to ffmpeg); any chunk size works.
    """

    def __init__(self, total: int, columns: int) -> None:
        if columns < 1:
            raise ValueError("an envelope needs at least one column")
        self.total = max(int(total), 1)
        self.columns = columns
        self.low = np.zeros(columns, dtype=np.float32)
        self.high = np.zeros(columns, dtype=np.float32)
        self._squares = np.zeros(columns, dtype=np.float64)
        self._counts = np.zeros(columns, dtype=np.int64)
        self.fed = 0  # samples seen

    def feed(self, chunk: bytes) -> None:
        samples = np.frombuffer(chunk, dtype="<i2", count=len(chunk) // 2)
        start = self.fed
        self.fed += len(samples)
        end = min(self.fed, self.total)  # anything past the announced length is ignored
        if end <= start:
            return
        samples = samples[: end - start]
        first = start * self.columns // self.total
        last = (end - 1) * self.columns // self.total
        cols = np.arange(first, last + 1, dtype=np.int64)
        # First sample of each column (ceil(c * total / columns)), relative to this chunk.
        offsets = np.maximum(-(-cols * self.total // self.columns), start) - start
        values = samples.astype(np.float32) / 32768.0
        span = slice(first, last + 1)
        self.low[span] = np.minimum(self.low[span], np.minimum.reduceat(values, offsets))
        self.high[span] = np.maximum(self.high[span], np.maximum.reduceat(values, offsets))
        self._squares[span] += np.add.reduceat(values.astype(np.float64) ** 2, offsets)
        self._counts[span] += np.diff(np.append(offsets, len(values)))

    def tap(self, pcm: Iterable[bytes]) -> Iterator[bytes]:
        """Pass ``pcm`` through unchanged, feeding every chunk on the way."""
        for chunk in pcm:
            self.feed(chunk)
            yield chunk

    @property
    def rms(self) -> np.ndarray:
        return np.sqrt(self._squares / np.maximum(self._counts, 1)).astype(np.float32)


class GrowingEnvelope:
    """An Envelope for a programme whose length is known only at its end.

    Samples are gathered in bins (min, max, sum of squares, count); whenever there are more than
    ``max_bins`` the bins are merged in pairs, so memory stays flat however long the programme
    runs and every pixel column still sums at least ``max_bins / 2 / columns`` bins.
    """

    def __init__(self, columns: int, bin_samples: int = 1, max_bins: int = 0) -> None:
        self.columns = columns
        self.bin = bin_samples
        self.max_bins = max_bins or 16 * columns
        self._low = np.zeros(0, dtype=np.float32)
        self._high = np.zeros(0, dtype=np.float32)
        self._squares = np.zeros(0, dtype=np.float64)
        self._counts = np.zeros(0, dtype=np.int64)
        self.fed = 0

    def feed(self, chunk: bytes) -> None:
        values = np.frombuffer(chunk, dtype="<i2", count=len(chunk) // 2).astype(np.float32)
        if not len(values):
            return
        values /= 32768.0
        # Coarser bins first if this chunk would overflow them (a bin never spans more than a
        # pixel column, and a long chunk never makes more than max_bins bins).
        while (self.fed + len(values)) > self.bin * self.max_bins:
            self._merge()
        start = self.fed
        self.fed += len(values)
        first, last = start // self.bin, (self.fed - 1) // self.bin
        bins = np.arange(first, last + 1, dtype=np.int64)
        offsets = np.maximum(bins * self.bin, start) - start
        low = np.minimum.reduceat(values, offsets)
        high = np.maximum.reduceat(values, offsets)
        squares = np.add.reduceat(values.astype(np.float64) ** 2, offsets)
        counts = np.diff(np.append(offsets, len(values)))
        have = len(self._low)
        if first < have:  # the first bin continues the last one of the previous chunk
            self._low[first] = min(self._low[first], low[0])
            self._high[first] = max(self._high[first], high[0])
            self._squares[first] += squares[0]
            self._counts[first] += counts[0]
            low, high, squares, counts = low[1:], high[1:], squares[1:], counts[1:]
        self._low = np.concatenate([self._low, low])
        self._high = np.concatenate([self._high, high])
        self._squares = np.concatenate([self._squares, squares])
        self._counts = np.concatenate([self._counts, counts])
        while len(self._low) > self.max_bins:
            self._merge()

    def _merge(self) -> None:
        if not len(self._low):
            self.bin *= 2
            return
        if len(self._low) % 2:  # pad with an empty bin so pairs line up
            self._low = np.append(self._low, np.float32(0))
            self._high = np.append(self._high, np.float32(0))
            self._squares = np.append(self._squares, 0.0)
            self._counts = np.append(self._counts, 0)
        self._low = self._low.reshape(-1, 2).min(axis=1)
        self._high = self._high.reshape(-1, 2).max(axis=1)
        self._squares = self._squares.reshape(-1, 2).sum(axis=1)
        self._counts = self._counts.reshape(-1, 2).sum(axis=1)
        self.bin *= 2
        used = -(-self.fed // self.bin)  # drop the padding bin if it holds nothing
        self._low, self._high = self._low[:used], self._high[:used]
        self._squares, self._counts = self._squares[:used], self._counts[:used]

    def envelope(self) -> Envelope:
        """The Envelope of all that was fed (a bin counts in its first sample's column)."""
        out = Envelope(self.fed, self.columns)
        if not self.fed:
            return out
        cols = np.arange(len(self._low), dtype=np.int64) * self.bin * self.columns // out.total
        np.minimum.at(out.low, cols, self._low)
        np.maximum.at(out.high, cols, self._high)
        np.add.at(out._squares, cols, self._squares)
        np.add.at(out._counts, cols, self._counts)
        out.fed = self.fed
        return out

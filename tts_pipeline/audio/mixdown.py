"""The programme's samples, stretch after stretch as the timeline places them: silence, the
user's clips, the levelled takes, with the music bed mixed under them (``music``), the mix kept
under the true-peak ceiling, and the whole metered as it is written (``loudness.stream``), so
a programme with the user's sounds is brought to the loudness target like one without."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from tts_pipeline.audio.clips import Sound
from tts_pipeline.audio.loudness.limiter import LIMITER_HEADROOM_DB, gain_and_limit, limit
from tts_pipeline.audio.loudness.meter import db_to_gain
from tts_pipeline.audio.loudness.stream import StreamingMeter
from tts_pipeline.audio.music import MusicBed, duck_depth
from tts_pipeline.audio.timeline import Segment

# When the programme's loudness is left alone, the bed is ducked under speech at this level.
UNLEVELLED_SPEECH_LUFS = -18.0


class Mixdown:
    """Writes segments as samples (``write``) and meters them; one per pass of the production.

    ``sounds``: the user's sounds by kind (clips and the music); ``loudness``: the programme's
    target (None: levels left alone); ``offset_db``: what a second loudness pass adds to the
    takes, added to the clips too (the music keeps its own level)."""

    def __init__(
        self,
        sounds: Mapping[str, Sound],
        rate: int,
        loudness: float | None,
        ceiling: float,
        offset_db: float = 0.0,
    ) -> None:
        self.rate = rate
        self.loudness = loudness
        self.ceiling = db_to_gain(ceiling - LIMITER_HEADROOM_DB)
        self.position = 0  # the next sample written
        self.meter = StreamingMeter(rate) if sounds else None
        self._clips: dict[str, np.ndarray] = {}
        self._peaks: dict[str, float] = {}
        for kind, sound in sounds.items():
            if kind == "music":
                continue
            samples, peak = sound.samples, sound.peak
            if offset_db and loudness is not None:
                samples = gain_and_limit(samples, offset_db, sound.peak, ceiling, rate)
                peak *= db_to_gain(offset_db)
            self._clips[kind], self._peaks[kind] = samples, peak
        music = sounds.get("music")
        self.bed: MusicBed | None = None
        if music is not None:
            speech = loudness if loudness is not None else UNLEVELLED_SPEECH_LUFS
            depth = duck_depth(music.loudness + (music.gain_db or 0.0), speech)
            self.bed = MusicBed(music.samples, rate, depth, music.peak)
        self._voices: deque[tuple[int, int]] = deque(maxlen=2)  # the last voices placed
        self._span: tuple[int, int | None] = (0, None)

    @property
    def tail(self) -> int:
        """Samples of the bed's tail after the last utterance (0 without music)."""
        return self.bed.tail if self.bed is not None else 0

    def write(
        self,
        segments: Sequence[Segment],
        span: tuple[int, int | None],
        take: np.ndarray | None = None,
        voice: tuple[int, int] | None = None,
        take_peak: float = 0.0,
    ) -> Iterator[tuple[Segment, np.ndarray]]:
        """Each segment's samples, in order. ``span`` is where the music bed plays; ``take``
        the levelled take of the segment "take" (its true peak ``take_peak``, linear), whose
        voice is ``voice`` (offsets into the take)."""
        self._span = span
        for segment in segments:
            start = self.position
            if segment.kind == "take":
                assert take is not None and len(take) == segment.length
                samples, peak = take, take_peak
                if voice is not None and voice[1] > voice[0]:
                    self._voices.append((start + voice[0], start + voice[1]))
            elif segment.kind == "silence":
                samples, peak = np.zeros(segment.length, dtype=np.float32), 0.0
            else:
                samples, peak = self._clips[segment.kind], self._peaks[segment.kind]
            yield segment, self._mixed(samples, start, peak)
            self.position += segment.length

    def _mixed(self, samples: np.ndarray, start: int, peak: float) -> np.ndarray:
        if self.bed is not None:
            samples, top = self.bed.mix(samples, start, tuple(self._voices), self._span)
            # Peaks add up at most (the interpolation a true peak is read through is linear).
            if self.loudness is not None and peak + self.bed.peak * top > self.ceiling:
                samples = limit(samples, self.ceiling, self.rate)
        if self.meter is not None:
            self.meter.add(samples)
        return samples
